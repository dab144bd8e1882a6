//! `JSON.stringify` for plain data, written out from Rust.
//!
//! QuickJS's own makes, for every object it serializes, a JS array of its keys, a string per
//! key and per string value, an indent string, and a linear search of a JS array for cycles; in
//! the bench's JSON API worker it was a quarter of all CPU time. This walks the same values in
//! the same order (own enumerable string keys, array elements by index) and writes bytes.
//!
//! It only does what cannot run JavaScript: plain objects (`Object.prototype` or no
//! prototype), arrays, strings, numbers, booleans and null, with data properties only. Anything
//! else (a replacer or indent, a getter, a `toJSON` anywhere it would be looked up, a Proxy, a
//! class instance, a boxed primitive, a BigInt, a lone surrogate, an array hole, a cycle, deep
//! nesting) makes it give up before any JavaScript ran, and QuickJS's builtin does the whole
//! call instead, so every result and every error is the builtin's. The output grows in memory
//! QuickJS counts, so the isolate's memory limit applies as it does to the builtin's.

use std::collections::HashMap;
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;

use rquickjs::qjs;
use rquickjs::{Ctx, Error, Result, Value};

pub(crate) mod parse;

/// QuickJS-ng's class ids for ordinary objects and arrays (checked by a test).
const CLASS_OBJECT: u32 = 1;
const CLASS_ARRAY: u32 = 2;
/// Deeper than this, the builtin does it (and reports a stack overflow where it would).
const MAX_DEPTH: usize = 256;
/// Integers up to 2^53 are written as integers; JavaScript writes larger ones in shortest
/// round-trip form (2^60 is "1152921504606847000"), which QuickJS does for us.
const SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;
/// QuickJS's longest string; past it the builtin says what happens.
const MAX_STRING: usize = (1 << 30) - 1;

/// Why the walk stopped.
enum Stop {
    /// Not plain data: the builtin does it.
    GiveUp,
    /// QuickJS threw (out of memory); the exception is pending.
    Threw,
}

type Walk<T = ()> = std::result::Result<T, Stop>;

/// `JSON[name]` made a C function of QuickJS's (with the builtin's name and length) that keeps
/// the builtin as its data, so it needs nothing else to fall back on.
fn over_builtin<'js>(
    ctx: &Ctx<'js>,
    name: &'static std::ffi::CStr,
    length: std::ffi::c_int,
    function: qjs::JSCFunctionData,
) -> Result<Value<'js>> {
    let key = name.to_str().expect("an ASCII method name");
    let builtin: Value = ctx.globals().get::<_, rquickjs::Object>("JSON")?.get(key)?;
    let mut data = [builtin.as_raw()];
    // SAFETY: a live context; QuickJS takes its own reference to `data`'s value.
    let function = unsafe {
        qjs::JS_NewCFunctionData2(
            ctx.as_raw().as_ptr(),
            function,
            name.as_ptr(),
            length,
            0,
            1,
            data.as_mut_ptr(),
        )
    };
    // SAFETY: a new value we own, or the exception marker.
    if unsafe { qjs::JS_IsException(function) } {
        return Err(Error::Exception);
    }
    // SAFETY: ownership of the new function passes to the Value.
    Ok(unsafe { Value::from_raw(ctx.clone(), function) })
}

/// The arguments QuickJS passed.
///
/// # Safety
/// `argc` values are live at `argv`, for as long as the slice is used.
unsafe fn arguments<'a>(argc: std::ffi::c_int, argv: *mut qjs::JSValue) -> &'a [qjs::JSValue] {
    match usize::try_from(argc) {
        // SAFETY: per the contract.
        Ok(n) if n > 0 => unsafe { std::slice::from_raw_parts(argv, n) },
        _ => &[],
    }
}

/// What `walk` gives for a call it takes (`Some`); for any other call, or when it gives up, the
/// builtin's answer, the arguments passed on as they came. `failed` is thrown if it panics.
///
/// # Safety
/// The arguments are those of a function made by [`over_builtin`], as QuickJS passed them.
unsafe fn or_builtin(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    argc: std::ffi::c_int,
    argv: *mut qjs::JSValue,
    data: *mut qjs::JSValue,
    failed: &std::ffi::CStr,
    walk: Option<impl FnOnce() -> Walk<qjs::JSValue>>,
) -> qjs::JSValue {
    if let Some(walk) = walk {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(walk)) {
            Ok(Ok(value)) => return value,
            Ok(Err(Stop::GiveUp)) => {}
            Ok(Err(Stop::Threw)) => return qjs::JS_MKVAL(qjs::JS_TAG_EXCEPTION, 0),
            // SAFETY: throwing in a live context; the message has no format directives.
            Err(_) => return unsafe { qjs::JS_ThrowInternalError(ctx, failed.as_ptr()) },
        }
    }
    // SAFETY: `data[0]` is the builtin, kept alive by the function; the arguments are
    // passed on as received.
    unsafe { qjs::JS_Call(ctx, *data, this, argc, argv) }
}

/// The global `JSON.stringify` (see [`over_builtin`]).
pub(crate) fn stringify_function<'js>(ctx: &Ctx<'js>) -> Result<Value<'js>> {
    over_builtin(ctx, c"stringify", 3, Some(stringify))
}

/// `JSON.stringify(value, replacer, space)`; `data[0]` is QuickJS's builtin.
unsafe extern "C" fn stringify(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    argc: std::ffi::c_int,
    argv: *mut qjs::JSValue,
    _magic: std::ffi::c_int,
    data: *mut qjs::JSValue,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes `argc` arguments at `argv`.
    let args = unsafe { arguments(argc, argv) };
    // SAFETY: reading tags of live arguments.
    let absent = |v: &qjs::JSValue| unsafe { qjs::JS_IsUndefined(*v) || qjs::JS_IsNull(*v) };
    let plain_call = match args {
        [] => false,
        [_] => true,
        [_, replacer] => absent(replacer),
        // SAFETY: as above.
        [_, replacer, space, ..] => absent(replacer) && unsafe { qjs::JS_IsUndefined(*space) },
    };
    // SAFETY: `ctx` is the live context QuickJS called us in, `args[0]` a live value.
    let walk = plain_call.then_some(|| unsafe { fast(ctx, args[0]) });
    let failed = c"JSON.stringify failed internally";
    // SAFETY: as QuickJS called us.
    unsafe { or_builtin(ctx, this, argc, argv, data, failed, walk) }
}

/// The JSON text of `value` as a new JS string; `GiveUp` if the builtin must do it.
///
/// # Safety
/// `ctx` is a live context and `value` a live value of it.
unsafe fn fast(ctx: *mut qjs::JSContext, value: qjs::JSValue) -> Walk<qjs::JSValue> {
    // The prototypes plain data has, as the context made them (not whatever the globals are
    // now), and whether a `toJSON` on them would be found.
    // SAFETY: `ctx` is live; the new references are released at once, the objects staying
    // alive as the context's class prototypes.
    let (object_proto, array_proto) = unsafe {
        let object = qjs::JS_GetClassProto(ctx, CLASS_OBJECT);
        let array = qjs::JS_GetClassProto(ctx, CLASS_ARRAY);
        let pointers = (pointer(object), pointer(array));
        qjs::JS_FreeValue(ctx, object);
        qjs::JS_FreeValue(ctx, array);
        pointers
    };
    if object_proto.is_null() || array_proto.is_null() {
        return Err(Stop::GiveUp);
    }
    let mut writer = Writer {
        ctx,
        out: Out::new(ctx),
        stack: Vec::new(),
        keys: HashMap::default(),
        object_proto,
        array_proto,
        arrays_plain: true,
    };
    if writer.has_own(object_proto_value(object_proto), qjs::JS_ATOM_toJSON as _)? {
        return Err(Stop::GiveUp);
    }
    // An array's chain is Array.prototype, then (normally) Object.prototype, whose own
    // prototype cannot change. Anything else, and arrays are the builtin's.
    let array_value = object_proto_value(array_proto);
    // SAFETY: Array.prototype is a live ordinary object.
    if unsafe { prototype(ctx, array_value) } != object_proto
        || writer.has_own(array_value, qjs::JS_ATOM_toJSON as _)?
    {
        writer.arrays_plain = false;
    }
    if !writer.value(value)? {
        // `undefined`, a symbol at the top: the builtin says what that gives.
        return Err(Stop::GiveUp);
    }
    let text = writer.out.as_slice();
    if text.len() > MAX_STRING {
        return Err(Stop::GiveUp);
    }
    // SAFETY: `text` is UTF-8 (strings were copied from QuickJS's UTF-8 with lone surrogates
    // refused; everything else is ASCII); QuickJS copies it.
    let string = unsafe { qjs::JS_NewStringLen(ctx, text.as_ptr().cast(), text.len() as _) };
    // SAFETY: reading the tag of the new value.
    if unsafe { qjs::JS_IsException(string) } {
        return Err(Stop::Threw);
    }
    Ok(string)
}

fn pointer(value: qjs::JSValue) -> *mut c_void {
    // SAFETY: reading the tag and payload of a value has no preconditions.
    unsafe {
        if qjs::JS_VALUE_GET_TAG(value) == qjs::JS_TAG_OBJECT {
            qjs::JS_VALUE_GET_PTR(value)
        } else {
            std::ptr::null_mut()
        }
    }
}

/// A borrowed object value for a prototype pointer taken from a live value.
fn object_proto_value(object: *mut c_void) -> qjs::JSValue {
    qjs::JS_MKPTR(qjs::JS_TAG_OBJECT, object)
}

/// The prototype of `object`, as a pointer (null for none).
///
/// # Safety
/// `object` is a live ordinary object or array of `ctx` (no getPrototypeOf trap runs).
unsafe fn prototype(ctx: *mut qjs::JSContext, object: qjs::JSValue) -> *mut c_void {
    // SAFETY: per the contract; the new reference is released at once, the prototype staying
    // alive as `object`'s.
    unsafe {
        let proto = qjs::JS_GetPrototype(ctx, object);
        let ptr = pointer(proto);
        qjs::JS_FreeValue(ctx, proto);
        ptr
    }
}

/// `f` on the `len` bytes of UTF-8 QuickJS returned at `bytes` (null: it threw), which are
/// then freed.
///
/// # Safety
/// `bytes` is null or a C string of `ctx` from `JS_ToCStringLen2` or `JS_AtomToCStringLen`, of
/// `len` bytes.
unsafe fn with_text<R>(
    ctx: *mut qjs::JSContext,
    bytes: *const std::ffi::c_char,
    len: qjs::size_t,
    f: impl FnOnce(&[u8]) -> Walk<R>,
) -> Walk<R> {
    if bytes.is_null() {
        return Err(Stop::Threw);
    }
    // SAFETY: per the contract.
    let result = f(unsafe { std::slice::from_raw_parts(bytes.cast::<u8>(), len as usize) });
    // SAFETY: the C string QuickJS returned, freed once.
    unsafe { qjs::JS_FreeCString(ctx, bytes) };
    result
}

/// `f` on a string or number of `ctx` as UTF-8 (lone surrogates as their 3-byte encodings).
fn with_utf8<R>(
    ctx: *mut qjs::JSContext,
    value: qjs::JSValue,
    f: impl FnOnce(&[u8]) -> Walk<R>,
) -> Walk<R> {
    let mut len = 0;
    // SAFETY: a live primitive: converting it runs no JavaScript; `with_text` frees the result.
    unsafe {
        with_text(
            ctx,
            qjs::JS_ToCStringLen2(ctx, &mut len, value, false),
            len,
            f,
        )
    }
}

/// Hashes atoms (small integers) by multiplying: the keys of one call need nothing stronger.
#[derive(Default)]
struct AtomHasher(u64);

impl Hasher for AtomHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The output, in memory QuickJS allocates and counts against the runtime's limit: a walk that
/// would pass the limit fails as the builtin does, with QuickJS's out-of-memory error.
struct Out {
    ctx: *mut qjs::JSContext,
    ptr: *mut u8,
    len: usize,
    cap: usize,
}

impl Out {
    fn new(ctx: *mut qjs::JSContext) -> Out {
        Out {
            ctx,
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }

    fn extend(&mut self, bytes: &[u8]) -> Walk {
        let needed = self.len.checked_add(bytes.len()).ok_or(Stop::GiveUp)?;
        if needed > MAX_STRING {
            return Err(Stop::GiveUp);
        }
        if needed > self.cap {
            let cap = needed.max(self.cap * 2).max(256);
            // SAFETY: `ptr` is null or QuickJS's allocation of `cap` bytes; on failure QuickJS
            // leaves it as it was and an out-of-memory exception pending.
            let grown = unsafe { qjs::js_realloc(self.ctx, self.ptr.cast(), cap as _) };
            if grown.is_null() {
                return Err(Stop::Threw);
            }
            self.ptr = grown.cast();
            self.cap = cap;
        }
        // SAFETY: `needed <= cap`, and `bytes` is not inside our buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len())
        };
        self.len = needed;
        Ok(())
    }

    fn push(&mut self, byte: u8) -> Walk {
        self.extend(&[byte])
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    fn as_slice(&self) -> &[u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: `len` bytes at `ptr` were written.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: QuickJS's allocation, freed once.
            unsafe { qjs::js_free(self.ctx, self.ptr.cast()) };
        }
    }
}

struct Writer {
    ctx: *mut qjs::JSContext,
    out: Out,
    /// The objects being written, outermost first: meeting one again is a cycle.
    stack: Vec<*mut c_void>,
    /// Each key written so far, quoted: keys repeat across the objects of an array.
    keys: HashMap<qjs::JSAtom, Box<[u8]>, BuildHasherDefault<AtomHasher>>,
    object_proto: *mut c_void,
    array_proto: *mut c_void,
    /// Whether Array.prototype's chain is the usual one with no `toJSON` on it.
    arrays_plain: bool,
}

impl Writer {
    /// Write `value` (borrowed). Returns false, writing nothing, for what JSON leaves out
    /// (`undefined`, symbols): omitted from an object, `null` in an array.
    fn value(&mut self, value: qjs::JSValue) -> Walk<bool> {
        // SAFETY: `value` is a live value of `self.ctx`, borrowed for the call.
        let tag = unsafe { qjs::JS_VALUE_GET_NORM_TAG(value) };
        match tag {
            // SAFETY: the tag says it is an int.
            qjs::JS_TAG_INT => self.integer(i64::from(unsafe { qjs::JS_VALUE_GET_INT(value) }))?,
            qjs::JS_TAG_BOOL => {
                // SAFETY: the tag says it is a bool.
                let b = unsafe { qjs::JS_VALUE_GET_BOOL(value) };
                self.out.extend(if b { b"true" } else { b"false" })?;
            }
            qjs::JS_TAG_NULL => self.out.extend(b"null")?,
            qjs::JS_TAG_FLOAT64 => {
                // SAFETY: the tag says it is a double.
                let n = unsafe { qjs::JS_VALUE_GET_FLOAT64(value) };
                if !n.is_finite() {
                    self.out.extend(b"null")?;
                } else if n.fract() == 0.0 && n.abs() < SAFE_INTEGER {
                    // -0 is written "0", as JavaScript does.
                    self.integer(n as i64)?;
                } else {
                    let out = &mut self.out;
                    with_utf8(self.ctx, value, |text| out.extend(text))?;
                }
            }
            qjs::JS_TAG_STRING | qjs::JS_TAG_STRING_ROPE => {
                let out = &mut self.out;
                with_utf8(self.ctx, value, |text| {
                    quote(text, |piece| out.extend(piece))
                })?;
            }
            qjs::JS_TAG_UNDEFINED | qjs::JS_TAG_SYMBOL => return Ok(false),
            qjs::JS_TAG_OBJECT => self.object(value)?,
            _ => return Err(Stop::GiveUp),
        }
        Ok(true)
    }

    fn integer(&mut self, n: i64) -> Walk {
        let mut digits = [0u8; 20];
        let mut cursor = std::io::Cursor::new(&mut digits[..]);
        let _ = write!(cursor, "{n}");
        let len = cursor.position() as usize;
        self.out.extend(&digits[..len])
    }

    /// Whether `object` (an ordinary object or array) has an own property `atom`, enumerable
    /// or not.
    fn has_own(&self, object: qjs::JSValue, atom: qjs::JSAtom) -> Walk<bool> {
        // SAFETY: a null descriptor asks only whether the property exists; ordinary objects
        // and arrays have no getOwnPropertyDescriptor trap.
        match unsafe { qjs::JS_GetOwnProperty(self.ctx, std::ptr::null_mut(), object, atom) } {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Stop::Threw),
        }
    }

    fn object(&mut self, object: qjs::JSValue) -> Walk {
        // SAFETY: `object` is a live object of `self.ctx`.
        let class = unsafe { qjs::JS_GetClassID(object) };
        let expected_proto = match class {
            CLASS_OBJECT => self.object_proto,
            CLASS_ARRAY if self.arrays_plain => self.array_proto,
            _ => return Err(Stop::GiveUp),
        };
        // SAFETY: a live object of the two classes above.
        let proto_ptr = unsafe { prototype(self.ctx, object) };
        let plain_proto =
            proto_ptr == expected_proto || (class == CLASS_OBJECT && proto_ptr.is_null());
        let me = pointer(object);
        if !plain_proto || self.stack.contains(&me) || self.stack.len() >= MAX_DEPTH {
            return Err(Stop::GiveUp);
        }
        // An own `toJSON`, enumerable or not, would be called.
        if self.has_own(object, qjs::JS_ATOM_toJSON as _)? {
            return Err(Stop::GiveUp);
        }
        self.stack.push(me);
        let written = if class == CLASS_ARRAY {
            self.array(object)
        } else {
            self.members(object)
        };
        self.stack.pop();
        written
    }

    fn array(&mut self, array: qjs::JSValue) -> Walk {
        let mut len = 0i64;
        // SAFETY: an array's length is a data property: reading it runs no JavaScript.
        if unsafe { qjs::JS_GetLength(self.ctx, array, &mut len) } < 0 {
            return Err(Stop::Threw);
        }
        let len = u32::try_from(len).map_err(|_| Stop::GiveUp)?;
        self.out.push(b'[')?;
        for i in 0..len {
            if i > 0 {
                self.out.push(b',')?;
            }
            // SAFETY: an index atom, freed right after use.
            let atom = unsafe { qjs::JS_NewAtomUInt32(self.ctx, i) };
            if atom == qjs::JS_ATOM_NULL {
                return Err(Stop::Threw);
            }
            // A hole would be read through the prototype chain: `property` gives up on it.
            let written = self.property(array, atom);
            // SAFETY: the atom made above.
            unsafe { qjs::JS_FreeAtom(self.ctx, atom) };
            if !written? {
                self.out.extend(b"null")?;
            }
        }
        self.out.push(b']')
    }

    fn members(&mut self, object: qjs::JSValue) -> Walk {
        let mut tab: *mut qjs::JSPropertyEnum = std::ptr::null_mut();
        let mut len = 0u32;
        let flags = (qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_ENUM_ONLY) as i32;
        // SAFETY: an ordinary object: listing its keys runs no JavaScript. `tab` is freed below.
        if unsafe { qjs::JS_GetOwnPropertyNames(self.ctx, &mut tab, &mut len, object, flags) } < 0 {
            return Err(Stop::Threw);
        }
        let result = (|| {
            self.out.push(b'{')?;
            let mut first = true;
            for i in 0..len as usize {
                // SAFETY: QuickJS returned `len` entries at `tab`.
                let atom = unsafe { (*tab.add(i)).atom };
                let start = self.out.len;
                if !first {
                    self.out.push(b',')?;
                }
                self.key(atom)?;
                self.out.push(b':')?;
                // Listed a moment ago and no JavaScript ran since: it is there.
                if self.property(object, atom)? {
                    first = false;
                } else {
                    // Left out, key and all.
                    self.out.truncate(start);
                }
            }
            self.out.push(b'}')
        })();
        // SAFETY: the table JS_GetOwnPropertyNames returned, freed once.
        unsafe { qjs::JS_FreePropertyEnum(self.ctx, tab, len) };
        result
    }

    /// Write the value of `object`'s own data property `atom`, as `value` does. No such
    /// property, or an accessor (its getter would run), gives up.
    fn property(&mut self, object: qjs::JSValue, atom: qjs::JSAtom) -> Walk<bool> {
        let undefined = qjs::JS_MKVAL(qjs::JS_TAG_UNDEFINED, 0);
        let mut desc = qjs::JSPropertyDescriptor {
            flags: 0,
            value: undefined,
            getter: undefined,
            setter: undefined,
        };
        // SAFETY: an ordinary object or array: no getOwnPropertyDescriptor trap runs. The
        // descriptor's three values are new references, all freed below.
        let found = unsafe { qjs::JS_GetOwnProperty(self.ctx, &mut desc, object, atom) };
        match found {
            0 => return Err(Stop::GiveUp),
            1 => {}
            _ => return Err(Stop::Threw),
        }
        // SAFETY: freeing the references the descriptor holds (undefined for a data property).
        unsafe {
            qjs::JS_FreeValue(self.ctx, desc.getter);
            qjs::JS_FreeValue(self.ctx, desc.setter);
        }
        if desc.flags & qjs::JS_PROP_GETSET as i32 != 0 {
            // SAFETY: as above.
            unsafe { qjs::JS_FreeValue(self.ctx, desc.value) };
            return Err(Stop::GiveUp);
        }
        let written = self.value(desc.value);
        // SAFETY: the reference the descriptor held.
        unsafe { qjs::JS_FreeValue(self.ctx, desc.value) };
        written
    }

    /// Write a member's key, quoted.
    fn key(&mut self, atom: qjs::JSAtom) -> Walk {
        if let Some(quoted) = self.keys.get(&atom) {
            return self.out.extend(quoted);
        }
        let mut len = 0;
        let mut quoted = Vec::new();
        // SAFETY: converting an atom to text runs no JavaScript; `with_text` frees the result.
        unsafe {
            let bytes = qjs::JS_AtomToCStringLen(self.ctx, &mut len, atom);
            with_text(self.ctx, bytes, len, |text| {
                quote(text, |piece| {
                    quoted.extend_from_slice(piece);
                    Ok(())
                })
            })?;
        }
        self.out.extend(&quoted)?;
        self.keys.insert(atom, quoted.into_boxed_slice());
        Ok(())
    }
}

/// Write `text` (QuickJS's UTF-8) as a JSON string, piece by piece. A lone surrogate (which
/// QuickJS encodes as the 3 bytes `ED A0..BF ..`) gives up: JSON.stringify writes it as a `\u`
/// escape.
fn quote(text: &[u8], mut write: impl FnMut(&[u8]) -> Walk) -> Walk {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    write(b"\"")?;
    let mut plain = 0;
    for (i, &byte) in text.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            0xed if text.get(i + 1).is_some_and(|&next| next >= 0xa0) => {
                return Err(Stop::GiveUp);
            }
            _ => continue,
        };
        write(&text[plain..i])?;
        if short.is_empty() {
            write(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ])?;
        } else {
            write(short)?;
        }
        plain = i + 1;
    }
    write(&text[plain..])?;
    write(b"\"")
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use rquickjs::{Context, Runtime};

    use super::*;
    use crate::{WebOptions, install};

    fn with_web<R>(f: impl FnOnce(Ctx<'_>) -> R) -> R {
        let runtime = Runtime::new().unwrap();
        let context = Context::full(&runtime).unwrap();
        runtime.set_memory_limit(64 * 1024 * 1024);
        context.with(|ctx| {
            let builtin: Value = ctx.eval("JSON.stringify").unwrap();
            let builtin_parse: Value = ctx.eval("JSON.parse").unwrap();
            let options = WebOptions {
                console: Rc::new(|_, _| {}),
                map_stack: None,
            };
            install(&ctx, options).unwrap();
            ctx.globals().set("builtinStringify", builtin).unwrap();
            ctx.globals().set("builtinParse", builtin_parse).unwrap();
            f(ctx)
        })
    }

    /// Values of every kind the walk handles, and of every kind it must leave to the builtin.
    const CORPUS: &str = r#"
        const cyclic = { a: 1 }; cyclic.self = cyclic;
        const shared = { s: 1 };
        let deep = 1; for (let i = 0; i < 300; i++) deep = [deep];
        let nested = "end"; for (let i = 0; i < 100; i++) nested = { n: nested };
        const hidden = { a: 1 }; Object.defineProperty(hidden, "b", { value: 2, enumerable: false });
        const getter = { get a() { return 1; } };
        const nullProto = Object.create(null); nullProto.x = [1, "two"];
        const withExtra = [1, 2]; withExtra.extra = 3;
        const sparse = [1, , 3];
        const ownToJSON = { toJSON() { return "custom"; } };
        const hiddenToJSON = { a: 1 }; Object.defineProperty(hiddenToJSON, "toJSON", { value: () => 5 });
        class Point { constructor() { this.x = 1; } }
        const items = [];
        for (let i = 0; i < 24; i++) items.push({ id: i, name: "ITEM " + i, total: i * 1.5 });
        return [
          0, -0, 1, -1, 2147483647, -2147483648, 2 ** 31, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 60,
          1e21, 1e-7, 1e-6, 0.1, 1.5, -1.5e-10, 123456789.123, 5e-324, 1.7976931348623157e308,
          NaN, Infinity, -Infinity, true, false, null, undefined, Symbol("s"), () => 1, 10n,
          "", "abc", 'quote " backslash \\ slash /', "\n\r\t\b\f\u0000\u001f\u007f\u0080",
          "é", "日本語", "😀", "\u2028\u2029", "\ud800", "a\udc00b", "\ud83d\ude00",
          {}, [], { a: 1 }, { a: undefined, b: Symbol(), c: 1 }, { f() {} },
          { "0": 1, b: 2, "1": 3, "-1": 4, "01": 5, "4294967295": 6 },
          { 'a"b': 1, "\n": 2, "é": 3, "": 4 }, { [Symbol("k")]: 1, k: 2 },
          [undefined, Symbol(), 1, null], [[[]]], { a: { b: { c: [1, { d: "e" }] } } },
          [shared, shared], cyclic, deep, nested, hidden, getter, nullProto, withExtra, sparse,
          ownToJSON, hiddenToJSON, new Point(), new Date(0), new Number(3), new String("s"),
          new Boolean(false), Object(10n), new Map([[1, 2]]), new Set([1]), /re/g,
          new Uint8Array([1, 2]), new Error("e"), JSON.rawJSON ? JSON.rawJSON("1e1000") : 1,
          { count: items.length, sum: 1173, items },
        ];
    "#;

    fn outcome(ctx: &Ctx<'_>, script: &str) -> Vec<String> {
        let source = format!(
            "(() => {{ const values = (() => {{ {CORPUS} }})(); const run = (f, v) => {{ try {{ return String(f(v)); }} \
             catch (e) {{ return 'throws ' + e.constructor.name + ': ' + e.message; }} }}; \
             return values.map((v) => run({script}, v)); }})()"
        );
        match ctx.eval(source) {
            Ok(results) => results,
            Err(error) => panic!("{error}: {:?}", ctx.catch()),
        }
    }

    #[test]
    fn every_value_serializes_as_the_builtin_serializes_it() {
        with_web(|ctx| {
            let ours = outcome(&ctx, "JSON.stringify");
            let theirs = outcome(&ctx, "builtinStringify");
            assert_eq!(ours.len(), theirs.len());
            for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert_eq!(a, b, "value #{i} of the corpus");
            }
            // With a replacer or indent, the builtin does it.
            let indented: String = ctx
                .eval("JSON.stringify({ a: [1, 2] }, null, 2) + JSON.stringify({ a: 1, b: 2 }, ['b'])")
                .unwrap();
            assert_eq!(indented, "{\n  \"a\": [\n    1,\n    2\n  ]\n}{\"b\":2}");
        });
    }

    #[test]
    fn plain_data_is_written_here_and_the_rest_left_to_the_builtin() {
        with_web(|ctx| {
            let taken = |source: &str| taken(&ctx, source);
            assert_eq!(
                taken("({ a: [1, 1.5, 'x\\n', true, null], b: { c: 2 ** 60 } })").as_deref(),
                Some(r#"{"a":[1,1.5,"x\n",true,null],"b":{"c":1152921504606847000}}"#)
            );
            assert_eq!(taken("'é😀'").as_deref(), Some("\"é😀\""));
            // Next to the surrogates' encodings, and a rope (concatenations past 512 chars).
            assert_eq!(
                taken("'\\ud7ff\\ue000'").as_deref(),
                Some("\"\u{d7ff}\u{e000}\"")
            );
            let rope = taken(
                "(() => { let r = ''; for (let i = 0; i < 100; i++) r += 'ab\"cd' + i; return r; })()",
            );
            assert!(rope.is_some_and(|r| r.len() > 600));
            for plain in [
                "(() => { const a = [1, 2]; a.extra = 3; return a; })()",
                "(() => { const o = Object.create(null); o.x = [1, 'two']; return o; })()",
                "(() => { const o = { a: 1, b: 2 }; delete o.a; return o; })()",
                "Object.freeze([1, { a: [] }])",
                "(() => { const a = [1, 2]; Object.defineProperty(a, 0, { enumerable: false }); return a; })()",
                "Array.from({ length: 24 }, (_, i) => ({ id: i, name: 'ITEM ' + i, total: i * 1.5 }))",
            ] {
                let builtin: String = ctx.eval(format!("builtinStringify({plain})")).unwrap();
                assert_eq!(taken(plain), Some(builtin), "{plain}");
            }
            for other in [
                "({ get a() { return 1; } })",
                "[1, , 2]",
                "'\\ud800'",
                "new Date(0)",
                "undefined",
                "(() => { const o = {}; o.o = o; return o; })()",
            ] {
                assert_eq!(taken(other), None, "{other} should be left to the builtin");
            }
            // A toJSON on Object.prototype would be called for every object.
            let _: Value = ctx
                .eval("Object.prototype.toJSON = () => 'patched'")
                .unwrap();
            assert_eq!(taken("({ a: 1 })"), None);
            let patched: String = ctx.eval("JSON.stringify({ a: 1 })").unwrap();
            assert_eq!(patched, "\"patched\"");
        });
    }

    /// What the fast path writes for the value `source` evaluates to, or `None`.
    fn taken(ctx: &Ctx<'_>, source: &str) -> Option<String> {
        let value: Value = match ctx.eval(source) {
            Ok(value) => value,
            Err(error) => panic!("{source}: {error}: {:?}", ctx.catch()),
        };
        // SAFETY: a live value of this live context.
        let text = unsafe { fast(ctx.as_raw().as_ptr(), value.as_raw()) }.ok()?;
        // SAFETY: ownership of the new string passes to the Value.
        let text = unsafe { Value::from_raw(ctx.clone(), text) };
        Some(text.as_string().unwrap().to_string().unwrap())
    }

    fn eval_string(ctx: &Ctx<'_>, source: &str) -> String {
        match ctx.eval::<String, _>(source) {
            Ok(text) => text,
            Err(error) => panic!("{error}: {:?}", ctx.catch()),
        }
    }

    #[test]
    fn calls_with_other_arguments_go_to_the_builtin_as_they_came() {
        with_web(|ctx| {
            let calls = [
                "f()",
                "f({ a: [1] }, null)",
                "f({ a: [1] }, undefined, undefined, 'extra')",
                "f({ a: [1] }, null, 0)",
                "f({ a: [1] }, null, '')",
                "f({ a: [1] }, null, 2)",
                "f({ a: 1, b: 2 }, ['b'])",
                "f({ a: 1 }, (k, v) => (typeof v === 'number' ? v + 1 : v))",
                "f.call(null, [1])",
            ];
            for call in calls {
                let source = |f: &str| {
                    format!(
                        "(() => {{ const f = {f}; try {{ return String({call}); }}                          catch (e) {{ return 'throws ' + e.name + ': ' + e.message; }} }})()"
                    )
                };
                assert_eq!(
                    eval_string(&ctx, &source("JSON.stringify")),
                    eval_string(&ctx, &source("builtinStringify")),
                    "{call}"
                );
            }
        });
    }

    #[test]
    fn user_code_runs_exactly_as_with_the_builtin() {
        // Getters, toJSON and Proxy traps, counted: the fast path gives up before running any,
        // and the builtin then runs each once.
        let log = "(f) => { const log = [];              const value = { a: { get g() { log.push('get'); return 1; } },                b: { toJSON(k) { log.push('toJSON ' + k); return 2; } },                c: new Proxy({ x: 1 }, { get(t, k) { log.push('proxy get ' + String(k)); return t[k]; },                  ownKeys(t) { log.push('ownKeys'); return Reflect.ownKeys(t); },                  getOwnPropertyDescriptor(t, k) { log.push('gopd ' + k); return Reflect.getOwnPropertyDescriptor(t, k); } }) };              return f(value) + ' ' + log.join(); }";
        with_web(|ctx| {
            assert_eq!(
                eval_string(&ctx, &format!("({log})(JSON.stringify)")),
                eval_string(&ctx, &format!("({log})(builtinStringify)"))
            );
        });
    }

    #[test]
    fn a_tojson_or_proxy_on_the_prototype_chain_is_honoured_without_running_early() {
        for (setup, value) in [
            (
                "Array.prototype.toJSON = function () { return 'array'; }",
                "[[1], { a: [2] }]",
            ),
            (
                "Object.setPrototypeOf(Array.prototype, null);                  Object.prototype.toJSON = function () { return 'object'; }",
                "[{ a: 1 }, 'x']",
            ),
            (
                "globalThis.trapped = []; Object.setPrototypeOf(Array.prototype, new Proxy({}, {                  has(t, k) { trapped.push('has ' + String(k)); return false; },                  get(t, k) { trapped.push('get ' + String(k)); return undefined; } }))",
                "[[1], 'x', { a: 1 }]",
            ),
        ] {
            let [ours, theirs] = ["JSON.stringify", "builtinStringify"].map(|f| {
                with_web(|ctx| {
                    let _: Value = ctx.eval(setup).unwrap();
                    eval_string(
                        &ctx,
                        &format!("String({f}({value})) + ' ' + (globalThis.trapped || []).join()"),
                    )
                })
            });
            assert_eq!(ours, theirs, "{setup}");
        }
    }

    #[test]
    fn output_counts_against_the_memory_limit() {
        with_web(|ctx| {
            // 1 MiB of string, written 200 times: 200 MiB of output under a 64 MiB limit.
            let result: rquickjs::Result<Value> =
                ctx.eval("JSON.stringify(Array(200).fill('x'.repeat(1 << 20)))");
            assert!(result.is_err(), "200 MiB of JSON fit in a 64 MiB heap");
            let message = format!("{:?}", ctx.catch());
            assert!(message.contains("out of memory"), "{message}");
            // The context goes on.
            assert_eq!(
                eval_string(&ctx, "JSON.stringify({ ok: true })"),
                "{\"ok\":true}"
            );
        });
    }

    #[test]
    fn stringify_works_after_uninstall() {
        with_web(|ctx| {
            crate::uninstall(&ctx);
            assert_eq!(
                eval_string(&ctx, "JSON.stringify([{ a: 1 }, new Date(0)])"),
                "[{\"a\":1},\"1970-01-01T00:00:00.000Z\"]"
            );
        });
    }

    #[test]
    fn class_ids_are_quickjs_ngs() {
        with_web(|ctx| {
            let object: Value = ctx.eval("({})").unwrap();
            let array: Value = ctx.eval("[]").unwrap();
            // SAFETY: live values of this context.
            unsafe {
                assert_eq!(qjs::JS_GetClassID(object.as_raw()), CLASS_OBJECT);
                assert_eq!(qjs::JS_GetClassID(array.as_raw()), CLASS_ARRAY);
            }
        });
    }

    #[test]
    fn the_global_looks_like_the_builtin() {
        with_web(|ctx| {
            let shape: String = ctx
                .eval(
                    "const d = Object.getOwnPropertyDescriptor(JSON, 'stringify'); \
                     [JSON.stringify.name, JSON.stringify.length, d.writable, d.enumerable, \
                     d.configurable].join()",
                )
                .unwrap();
            assert_eq!(shape, "stringify,3,true,false,true");
        });
    }

    // === JSON.parse ===

    /// JSON texts of every shape the parser takes, and of every kind it leaves to the builtin
    /// (invalid ones, lone surrogates, deep nesting), as JavaScript string literals.
    const TEXTS: &str = r#"[
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "123456789012345", "-999999999999999", "1234567890123456789", "9007199254740993",
        "1.5", "-1.5e-10", "1e400", "-1e400", "1E2", "1e+2", "1e-2", "0.1", "0.30000000000000004",
        "5e-324", "1e-400", "1.7976931348623157e308", "0e0", "-0.0", "10.0",
        "true", "false", "null", " \t\r\n 7 \n",
        '""', '"abc"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\u65e5\\u0000"',
        '"\\ud83d\\ude00"', '"\\uD83D\\uDE00x"', '"é日本😀"', '"a\\u2028b"',
        '"\\ud800"', '"\\udc00"', '"\\ud800x"', '"\\ud800\\u0041"', '"\\udc00\\ud800"',
        '"\ud800"', '"x\udc00"',
        "{}", "[]", '{"a":1}', ' { "a" : [ 1 , 2 ] , "b" : { } } ',
        '{"__proto__": 1}', '{"__proto__": {"x": 1}}', '{"a":1,"a":2}', '{"b":1,"a":2,"b":3}',
        '{"0":1,"1":2,"b":3,"-1":4,"01":5}', '{"4294967295": 1, "4294967294": 2}',
        '{"é": 1}', '{"\\u00e9": 1, "é": 2}', '{"Ã©": 1, "é": 2}', '{"": 1, "\\n": 2}',
        '{"a\\"b": {"c": [true, false, null]}}', "[1,[2,[3,[]]]]",
        "[" + Array.from({ length: 600 }, (_, i) => i * 1.25).join(",") + "]",
        "[" + Array.from({ length: 520 }, (_, i) => `{"id":${i},"name":"n${i}"}`).join(",") + "]",
        "[".repeat(200) + "]".repeat(200), "[".repeat(300) + "]".repeat(300),
        "[" + Array.from({ length: 520 }, (_, i) => `{"id":${i}}`).join(",") + ",]",
        "[" + Array.from({ length: 520 }, (_, i) => `{"id":${i}}`).join(",") + ',"\\ud800"]',
        '{"a":'.repeat(300) + "1" + "}".repeat(300),
        "", " ", "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", "0x10", "NaN",
        "Infinity", "tru", "nul", "truex", "[1,]", "[,1]", "[1 2]", '{"a":1,}', "{a:1}",
        "{'a':1}", '{"a" 1}', '{"a":}', '{1:1}', '"abc', '"a\\x"', '"\\u12"', '"\\u12G4"',
        '"tab\there"', '"nul\u0000"', "[1] x", "1 2", "\ufeff1", "[", "{", '{"a":1',
        "\u00a01", "1\u2028",
    ]"#;

    /// What `parse` gives for each text: the value in full (key order, property attributes,
    /// prototypes, -0, each string's code units) or the error.
    fn parsed(ctx: &Ctx<'_>, parse: &str) -> Vec<String> {
        let source = format!(
            "(() => {{ \
               const describe = (v) => {{ \
                 if (typeof v === 'string') return 's' + Array.from(v, (c) => c.length === 1 ? c.charCodeAt(0) : c.codePointAt(0)).join(','); \
                 if (typeof v === 'number') return Object.is(v, -0) ? 'n-0' : 'n' + v; \
                 if (v === null || typeof v !== 'object') return String(v); \
                 const proto = Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype) ? '' : '!proto'; \
                 const props = Reflect.ownKeys(v).map((k) => {{ \
                   const d = Object.getOwnPropertyDescriptor(v, k); \
                   const flags = (d.writable ? 'w' : '') + (d.enumerable ? 'e' : '') + (d.configurable ? 'c' : ''); \
                   return JSON.stringify(k) + flags + ':' + describe(d.value); \
                 }}); \
                 return (Array.isArray(v) ? '[' : '{{') + proto + props.join(';'); \
               }}; \
               return {TEXTS}.map((text) => {{ \
                 try {{ return describe(({parse})(text)); }} \
                 catch (e) {{ return 'throws ' + e.constructor.name + ': ' + e.message; }} \
               }}); \
             }})()"
        );
        match ctx.eval(source) {
            Ok(results) => results,
            Err(error) => panic!("{error}: {:?}", ctx.catch()),
        }
    }

    #[test]
    fn every_text_parses_as_the_builtin_parses_it() {
        with_web(|ctx| {
            let ours = parsed(&ctx, "JSON.parse");
            let theirs = parsed(&ctx, "builtinParse");
            assert_eq!(ours.len(), theirs.len());
            for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert_eq!(a, b, "text #{i} of the corpus");
            }
            // Not strings, or with a reviver: the builtin's, as they came.
            let others: String = ctx
                .eval(
                    "JSON.stringify([JSON.parse(12), JSON.parse({ toString: () => '[1]' }), \
                     JSON.parse('{\"a\":1,\"b\":2}', (k, v) => (k === 'a' ? undefined : v)), \
                     JSON.parse('[1]', null), JSON.parse('[2]', {}), JSON.parse.name, JSON.parse.length, \
                     Object.getOwnPropertyDescriptor(JSON, 'parse').enumerable])",
                )
                .unwrap();
            assert_eq!(others, r#"[12,[1],{"b":2},[1],[2],"parse",2,false]"#);
        });
    }

    /// Whether the parser here took `text` (a JavaScript string literal) rather than leaving it
    /// to the builtin.
    fn parsed_here(ctx: &Ctx<'_>, text: &str) -> bool {
        let text: String = ctx.eval(text).unwrap();
        parse::parse_bytes(ctx, text.as_bytes()).unwrap().is_some()
    }

    #[test]
    fn valid_text_is_parsed_here_and_the_rest_left_to_the_builtin() {
        with_web(|ctx| {
            for taken in [
                r#"'{"items":[{"id":1,"name":"é","price":1.5}],"ok":true,"none":null}'"#,
                r#"'"\\ud83d\\ude00 \\u0041"'"#,
                r#"'[' + '1,'.repeat(999) + '1]'"#,
                r#"'[['.repeat(128) + ']]'.repeat(128)"#,
                r#"' -0.5e-3 '"#,
            ] {
                assert!(parsed_here(&ctx, taken), "{taken}");
            }
            for left in [
                r#"'"\\ud800"'"#,
                r#"'"\\udc00\\ud800"'"#,
                r#"'[1,]'"#,
                r#"'01'"#,
                r#"'[['.repeat(129) + ']]'.repeat(129)"#,
                r#"''"#,
            ] {
                assert!(!parsed_here(&ctx, left), "{left}");
            }
            // Bytes that are not UTF-8 are the builtin's (after decoding, which replaces them).
            assert!(parse::parse_bytes(&ctx, b"\"\xff\"").unwrap().is_none());
            // A body's bytes are parsed here, after a byte order mark; what is not taken is
            // undefined, for fetch.js to give the decoded text to the builtin.
            let body = |bytes: &'static [u8]| {
                let handle =
                    crate::body::BodyBytes::into_js(&ctx, bytes::Bytes::from_static(bytes));
                let value = crate::natives::body_json(ctx.clone(), handle.unwrap()).unwrap();
                (!value.is_undefined()).then(|| {
                    ctx.json_stringify(value)
                        .unwrap()
                        .unwrap()
                        .to_string()
                        .unwrap()
                })
            };
            assert_eq!(
                body(b"\xEF\xBB\xBF{\"a\":[1,\"\xC3\xA9\"]}").as_deref(),
                Some(r#"{"a":[1,"é"]}"#)
            );
            assert_eq!(body(b"\"\xff\""), None);
            assert_eq!(body(b""), None);
        });
    }
}
