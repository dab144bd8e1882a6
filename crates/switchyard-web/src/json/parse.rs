//! `JSON.parse` for the common call, from Rust.
//!
//! QuickJS's own makes a JS string for every key before it turns it into an atom, reads every
//! number with `strtod`, and grows each array one defined element at a time; with the bench's
//! JSON API worker it was over a quarter of the process's user time. This reads the same
//! grammar from UTF-8 bytes and makes the same values the same way (`JS_DefinePropertyValue`
//! with every flag, so `"__proto__"` is an own property and a repeated key keeps its first
//! place with its last value), without the intermediate strings.
//!
//! It only takes what it can finish without a doubt: a text that is valid UTF-8 (a string with
//! a lone surrogate is not) and valid JSON, with no reviver, nested at most [`MAX_DEPTH`] deep,
//! and no escaped lone surrogate. On anything else it gives up, having run no JavaScript (what
//! it made so far is freed), and QuickJS's builtin parses the text instead, so every error, and
//! every value it alone can make, is the builtin's.
//!
//! Memory: values, and the objects that keep shapes alive ([`Shapes`], at most [`MAX_PREFIXES`]
//! objects of at most [`MAX_PREFIX_KEYS`] keys), are made in QuickJS's heap and count against
//! the isolate's memory limit. Outside it are the open arrays' pending elements (at most
//! [`ARRAY_CHUNK`] per array, so 1 MiB at the deepest), the trie, and one decoded string with
//! escapes at a time, no larger than the text.

use rquickjs::qjs;
use rquickjs::{Ctx, Error, Result, Value};

use super::{Stop, Walk, arguments, or_builtin, over_builtin, with_utf8};

/// Deeper than this, the builtin does it. (The builtin also checks QuickJS's stack limit as it
/// goes; 256 levels of this parser are a few tens of KiB of a thread's 8 MiB.)
const MAX_DEPTH: usize = 256;
/// Elements of an array kept in Rust before they are moved into the JavaScript array.
const ARRAY_CHUNK: usize = 256;

/// The global `JSON.parse` (see [`over_builtin`]).
pub(crate) fn parse_function<'js>(ctx: &Ctx<'js>) -> Result<Value<'js>> {
    over_builtin(ctx, c"parse", 2, Some(parse))
}

/// `JSON.parse(text, reviver)`; `data[0]` is QuickJS's builtin.
unsafe extern "C" fn parse(
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
    let plain_call = match args {
        [text] => unsafe { qjs::JS_IsString(*text) },
        // A reviver that is not a function is ignored, as the builtin ignores it.
        [text, reviver, ..] => unsafe {
            qjs::JS_IsString(*text) && !qjs::JS_IsFunction(ctx, *reviver)
        },
        [] => false,
    };
    // `args[0]` is a live string: converting it runs no JavaScript.
    let walk = plain_call.then_some(|| with_utf8(ctx, args[0], |text| from_bytes(ctx, text)));
    let failed = c"JSON.parse failed internally";
    // SAFETY: as QuickJS called us.
    unsafe { or_builtin(ctx, this, argc, argv, data, failed, walk) }
}

/// The value of the JSON text `bytes` (UTF-8; a byte order mark is not skipped), or `None`
/// when the builtin must parse it (`JSON.parse` of the text decoded to a string then gives the
/// value, or the error, JavaScript would see).
pub(crate) fn parse_bytes<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> Result<Option<Value<'js>>> {
    let raw = ctx.as_raw().as_ptr();
    match from_bytes(raw, bytes) {
        // SAFETY: a new value of `ctx` that we own.
        Ok(value) => Ok(Some(unsafe { Value::from_raw(ctx.clone(), value) })),
        Err(Stop::GiveUp) => Ok(None),
        Err(Stop::Threw) => Err(Error::Exception),
    }
}

/// The value of the JSON text `bytes`, new and owned by the caller.
fn from_bytes(ctx: *mut qjs::JSContext, bytes: &[u8]) -> Walk<qjs::JSValue> {
    // Checked once here, every string below is a slice of valid UTF-8 (or made of escapes).
    if std::str::from_utf8(bytes).is_err() {
        return Err(Stop::GiveUp);
    }
    let mut parser = Parser {
        ctx,
        bytes,
        at: 0,
        depth: 0,
        scratch: Vec::new(),
        shapes: Shapes::new(ctx),
    };
    let value = Owned(ctx, parser.value()?);
    parser.skip_space();
    if parser.at != bytes.len() {
        return Err(Stop::GiveUp);
    }
    Ok(value.release())
}

/// A value the parser made and still owns: freed unless released.
struct Owned(*mut qjs::JSContext, qjs::JSValue);

impl Owned {
    fn release(self) -> qjs::JSValue {
        let value = self.1;
        std::mem::forget(self);
        value
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: a value of this live context that we own, freed once.
        unsafe { qjs::JS_FreeValue(self.0, self.1) };
    }
}

/// Elements of an array being parsed, owned until they are moved into it.
struct Elements(*mut qjs::JSContext, Vec<qjs::JSValue>);

impl Drop for Elements {
    fn drop(&mut self) {
        for &value in &self.1 {
            // SAFETY: values of this live context that we own, freed once.
            unsafe { qjs::JS_FreeValue(self.0, value) };
        }
    }
}

/// The shapes of the key prefixes seen in one parse, kept alive.
///
/// QuickJS frees a shape once no object has it, and an object that goes from `{a}` to `{a, b}`
/// leaves `{a}` to no one. Each record of a list then made the shape of every prefix of its
/// keys again (a clone, a resize, a hash: 5% of the bench's JSON API request). For a prefix
/// seen a second time, this makes an object with just those keys (`undefined` values, the
/// same attributes), which holds the shape until the parse ends; the records after it find
/// every shape they pass through. Values are never affected, only which shapes exist.
struct Shapes {
    ctx: *mut qjs::JSContext,
    /// A trie of key prefixes; `nodes[ROOT]` is the empty one.
    nodes: Vec<Prefix>,
}

const ROOT: usize = 0;
/// Prefixes longer than this, and past this many in one parse, are not kept: a one-off
/// object of many keys would cost more to shadow than it saves.
const MAX_PREFIX_KEYS: u32 = 16;
const MAX_PREFIXES: usize = 4096;
/// Past this many different next keys, a prefix is not followed further: the children are
/// searched one by one, and a list of records needs one or two.
const MAX_CHILDREN: usize = 8;

struct Prefix {
    parent: usize,
    /// The last key (held: QuickJS could otherwise reuse its number).
    key: qjs::JSAtom,
    keys: u32,
    children: Vec<(qjs::JSAtom, usize)>,
    seen: bool,
    /// The object with this prefix's keys, once made.
    holder: Option<qjs::JSValue>,
}

impl Shapes {
    fn new(ctx: *mut qjs::JSContext) -> Self {
        let root = Prefix {
            parent: ROOT,
            key: qjs::JS_ATOM_NULL as _,
            keys: 0,
            children: Vec::new(),
            seen: true,
            holder: None,
        };
        Shapes {
            ctx,
            nodes: vec![root],
        }
    }

    /// An object at prefix `node` was just given `key`: the node of the longer prefix, whose
    /// shape is kept if it was seen before (`None`: not followed further).
    fn keep(&mut self, node: usize, key: qjs::JSAtom) -> Walk<Option<usize>> {
        let found = self.nodes[node]
            .children
            .iter()
            .find(|(atom, _)| *atom == key);
        let next = match found {
            Some(&(_, next)) => next,
            None => {
                let keys = self.nodes[node].keys + 1;
                if keys > MAX_PREFIX_KEYS
                    || self.nodes.len() == MAX_PREFIXES
                    || self.nodes[node].children.len() == MAX_CHILDREN
                {
                    return Ok(None);
                }
                let next = self.nodes.len();
                self.nodes.push(Prefix {
                    parent: node,
                    // SAFETY: a live atom; the node holds its own reference.
                    key: unsafe { qjs::JS_DupAtom(self.ctx, key) },
                    keys,
                    children: Vec::new(),
                    seen: false,
                    holder: None,
                });
                self.nodes[node].children.push((key, next));
                next
            }
        };
        if !self.nodes[next].seen {
            self.nodes[next].seen = true;
        } else if self.nodes[next].holder.is_none() {
            self.nodes[next].holder = Some(self.holder(next)?);
        }
        Ok(Some(next))
    }

    /// A new object with the keys of prefix `node`, in order.
    fn holder(&self, node: usize) -> Walk<qjs::JSValue> {
        let mut keys = Vec::with_capacity(self.nodes[node].keys as usize);
        let mut at = node;
        while at != ROOT {
            keys.push(self.nodes[at].key);
            at = self.nodes[at].parent;
        }
        // SAFETY: a live context.
        let holder = Owned(self.ctx, made(unsafe { qjs::JS_NewObject(self.ctx) })?);
        for &key in keys.iter().rev() {
            let undefined = qjs::JS_MKVAL(qjs::JS_TAG_UNDEFINED, 0);
            // SAFETY: a live object and atom, as the parsed objects are given them.
            let defined = unsafe {
                qjs::JS_DefinePropertyValue(
                    self.ctx,
                    holder.1,
                    key,
                    undefined,
                    qjs::JS_PROP_C_W_E as _,
                )
            };
            if defined < 0 {
                return Err(Stop::Threw);
            }
        }
        Ok(holder.release())
    }
}

impl Drop for Shapes {
    fn drop(&mut self) {
        for node in &self.nodes[1..] {
            // SAFETY: the references this trie took, released once.
            unsafe {
                if let Some(holder) = node.holder {
                    qjs::JS_FreeValue(self.ctx, holder);
                }
                qjs::JS_FreeAtom(self.ctx, node.key);
            }
        }
    }
}

/// Turns a QuickJS result (the exception marker when it threw) into a walk.
fn made(value: qjs::JSValue) -> Walk<qjs::JSValue> {
    // SAFETY: reading the tag of a value.
    if unsafe { qjs::JS_IsException(value) } {
        Err(Stop::Threw)
    } else {
        Ok(value)
    }
}

struct Parser<'a> {
    ctx: *mut qjs::JSContext,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
    /// A string with escapes, decoded.
    scratch: Vec<u8>,
    shapes: Shapes,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Steps over `byte` (after whitespace), or gives up.
    fn expect(&mut self, byte: u8) -> Walk {
        self.skip_space();
        if self.peek() != Some(byte) {
            return Err(Stop::GiveUp);
        }
        self.at += 1;
        Ok(())
    }

    /// The value starting at the next token, new and owned by the caller.
    fn value(&mut self) -> Walk<qjs::JSValue> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => {
                let ctx = self.ctx;
                let text = self.string()?;
                // SAFETY: `text` is valid UTF-8 (see `string`); QuickJS copies it.
                made(unsafe { qjs::JS_NewStringLen(ctx, text.as_ptr().cast(), text.len() as _) })
            }
            Some(b't') => self.word(b"true", qjs::JS_MKVAL(qjs::JS_TAG_BOOL, 1)),
            Some(b'f') => self.word(b"false", qjs::JS_MKVAL(qjs::JS_TAG_BOOL, 0)),
            Some(b'n') => self.word(b"null", qjs::JS_MKVAL(qjs::JS_TAG_NULL, 0)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Stop::GiveUp),
        }
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Walk<qjs::JSValue>) -> Walk<qjs::JSValue> {
        if self.depth == MAX_DEPTH {
            return Err(Stop::GiveUp);
        }
        self.depth += 1;
        self.at += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn word(&mut self, word: &[u8], value: qjs::JSValue) -> Walk<qjs::JSValue> {
        if !self.bytes[self.at..].starts_with(word) {
            return Err(Stop::GiveUp);
        }
        self.at += word.len();
        Ok(value)
    }

    /// After `{`.
    fn object(&mut self) -> Walk<qjs::JSValue> {
        // SAFETY: a live context.
        let object = Owned(self.ctx, made(unsafe { qjs::JS_NewObject(self.ctx) })?);
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(object.release());
        }
        // Where the keys so far are in `shapes`.
        let mut prefix = Some(ROOT);
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(Stop::GiveUp);
            }
            let key = self.key()?;
            let defined = self.member(&object, key).and_then(|()| {
                prefix = match prefix {
                    Some(node) => self.shapes.keep(node, key)?,
                    None => None,
                };
                Ok(())
            });
            // SAFETY: the atom `key` made, released once.
            unsafe { qjs::JS_FreeAtom(self.ctx, key) };
            defined?;
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(object.release());
                }
                _ => return Err(Stop::GiveUp),
            }
        }
    }

    /// After a key: the `:` and the value, defined on `object` as the builtin does.
    fn member(&mut self, object: &Owned, key: qjs::JSAtom) -> Walk {
        self.expect(b':')?;
        let value = self.value()?;
        // SAFETY: a live object, atom and value; QuickJS takes the value, also when it fails.
        let defined = unsafe {
            qjs::JS_DefinePropertyValue(self.ctx, object.1, key, value, qjs::JS_PROP_C_W_E as _)
        };
        if defined < 0 {
            Err(Stop::Threw)
        } else {
            Ok(())
        }
    }

    /// The property key at `"`, as a new atom.
    fn key(&mut self) -> Walk<qjs::JSAtom> {
        let ctx = self.ctx;
        let text = self.string()?;
        let atom = if text.is_ascii() {
            // SAFETY: a live context; QuickJS reads `text` (ASCII, which its atom table
            // compares byte for byte; an index such as "0" becomes the number atom).
            unsafe { qjs::JS_NewAtomLen(ctx, text.as_ptr().cast(), text.len() as _) }
        } else {
            // Through a string: the atom table's byte comparison would take UTF-8 for Latin-1.
            // SAFETY: `text` is valid UTF-8; the string is released once the atom holds it.
            unsafe {
                let string = made(qjs::JS_NewStringLen(
                    ctx,
                    text.as_ptr().cast(),
                    text.len() as _,
                ))?;
                let atom = qjs::JS_ValueToAtom(ctx, string);
                qjs::JS_FreeValue(ctx, string);
                atom
            }
        };
        if atom == qjs::JS_ATOM_NULL as qjs::JSAtom {
            return Err(Stop::Threw);
        }
        Ok(atom)
    }

    /// After `[`.
    fn array(&mut self) -> Walk<qjs::JSValue> {
        let mut elements = Elements(self.ctx, Vec::new());
        // Made once ARRAY_CHUNK elements are waiting, with how many it has.
        let mut array: Option<(Owned, u32)> = None;
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                let value = self.value()?;
                elements.1.push(value);
                if elements.1.len() == ARRAY_CHUNK {
                    array = Some(self.flush(array, &mut elements)?);
                }
                self.skip_space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Stop::GiveUp),
                }
            }
        }
        Ok(self.flush(array, &mut elements)?.0.release())
    }

    /// Moves `elements` to the end of `array` (made of them if it is `None`).
    fn flush(&self, array: Option<(Owned, u32)>, elements: &mut Elements) -> Walk<(Owned, u32)> {
        let values = std::mem::take(&mut elements.1);
        let Some((array, mut length)) = array else {
            // SAFETY: a live context; QuickJS takes the values, also when it fails.
            let array =
                unsafe { qjs::JS_NewArrayFrom(self.ctx, values.len() as _, values.as_ptr()) };
            return Ok((Owned(self.ctx, made(array)?), values.len() as u32));
        };
        let mut values = values.into_iter();
        while let Some(value) = values.next() {
            // SAFETY: a live array and value; QuickJS takes the value, also when it fails.
            let defined = unsafe {
                qjs::JS_DefinePropertyValueUint32(
                    self.ctx,
                    array.1,
                    length,
                    value,
                    qjs::JS_PROP_C_W_E as _,
                )
            };
            if defined < 0 {
                elements.1.extend(values);
                return Err(Stop::Threw);
            }
            length += 1;
        }
        Ok((array, length))
    }

    /// The string at `"`, decoded, as UTF-8; the position moves past its closing quote.
    fn string(&mut self) -> Walk<&[u8]> {
        let start = self.at + 1;
        let mut at = start;
        // The common case: no escape, so the text is a slice of the input.
        loop {
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(&self.bytes[start..at]);
                }
                Some(b'\\') => break,
                Some(&byte) if byte >= 0x20 => at += 1,
                // A control character or the end: the builtin's error.
                _ => return Err(Stop::GiveUp),
            }
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.bytes[start..at]);
        loop {
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(&self.scratch);
                }
                Some(b'\\') => {
                    let (unit, len) = escape(&self.bytes[at + 1..])?;
                    at += 1 + len;
                    let ch = match unit {
                        0xD800..=0xDBFF => {
                            // A pair, or a lone surrogate only the builtin can put in a string.
                            let rest = &self.bytes[at..];
                            let low = match rest.strip_prefix(b"\\").map(escape) {
                                Some(Ok((low @ 0xDC00..=0xDFFF, len))) => {
                                    at += 1 + len;
                                    low
                                }
                                _ => return Err(Stop::GiveUp),
                            };
                            0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return Err(Stop::GiveUp),
                        unit => u32::from(unit),
                    };
                    let ch = char::from_u32(ch).ok_or(Stop::GiveUp)?;
                    let mut buf = [0; 4];
                    self.scratch
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(&byte) if byte >= 0x20 => {
                    self.scratch.push(byte);
                    at += 1;
                }
                _ => return Err(Stop::GiveUp),
            }
        }
    }

    /// The number at `-` or a digit, in JSON's grammar exactly (no leading zeros, no lone `.`).
    fn number(&mut self) -> Walk<qjs::JSValue> {
        let bytes = self.bytes;
        let start = self.at;
        let mut at = start;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - from
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let int_start = at;
        let int_digits = digits(&mut at);
        if int_digits == 0 || (int_digits > 1 && bytes[int_start] == b'0') {
            return Err(Stop::GiveUp);
        }
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if digits(&mut at) == 0 {
                return Err(Stop::GiveUp);
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if digits(&mut at) == 0 {
                return Err(Stop::GiveUp);
            }
            integer = false;
        }
        self.at = at;
        let text = &bytes[start..at];
        let number = if integer && int_digits <= 15 {
            // Exact in an f64; `-0` stays negative zero below.
            let magnitude = bytes[int_start..at]
                .iter()
                .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
            if start == int_start {
                magnitude as f64
            } else {
                -(magnitude as f64)
            }
        } else {
            // The slice is ASCII. Rust's parser rounds correctly, as JavaScript's
            // does; past f64's range it gives ±Infinity, as JSON.parse does.
            std::str::from_utf8(text)
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .ok_or(Stop::GiveUp)?
        };
        // An integral value in int32 range is made an int (the builtin makes every number a
        // double; JavaScript cannot tell the two apart).
        Ok(qjs::JS_NewFloat64(number))
    }
}

/// The escape after a backslash: the UTF-16 code unit it stands for and its length.
fn escape(rest: &[u8]) -> Walk<(u16, usize)> {
    let unit = match rest.first() {
        Some(b'"') => b'"',
        Some(b'\\') => b'\\',
        Some(b'/') => b'/',
        Some(b'b') => 0x08,
        Some(b'f') => 0x0C,
        Some(b'n') => b'\n',
        Some(b'r') => b'\r',
        Some(b't') => b'\t',
        Some(b'u') => {
            let hex = rest.get(1..5).ok_or(Stop::GiveUp)?;
            let mut unit = 0u16;
            for &digit in hex {
                let value = (digit as char).to_digit(16).ok_or(Stop::GiveUp)?;
                unit = unit << 4 | value as u16;
            }
            return Ok((unit, 5));
        }
        _ => return Err(Stop::GiveUp),
    };
    Ok((u16::from(unit), 1))
}

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Runtime};

    use super::*;

    #[test]
    fn a_key_prefix_seen_twice_keeps_its_shape_and_one_off_objects_keep_none() {
        let runtime = Runtime::new().unwrap();
        let context = Context::full(&runtime).unwrap();
        context.with(|ctx| {
            let raw = ctx.as_raw().as_ptr();
            let holders = |text: &str| {
                let mut parser = Parser {
                    ctx: raw,
                    bytes: text.as_bytes(),
                    at: 0,
                    depth: 0,
                    scratch: Vec::new(),
                    shapes: Shapes::new(raw),
                };
                let value = Owned(raw, parser.value().ok().unwrap());
                drop(value);
                let kept = parser.shapes.nodes.iter().filter(|n| n.holder.is_some());
                kept.map(|n| n.keys).collect::<Vec<_>>()
            };
            // The first record marks its prefixes, the second keeps them: {a}, {a,b}, {a,b,c}.
            assert_eq!(
                holders(r#"[{"a":1,"b":2,"c":3},{"a":4,"b":5,"c":6},{"a":7,"b":8,"c":9}]"#),
                [1, 2, 3]
            );
            // Different keys after a shared first one: only {x} is seen twice.
            assert_eq!(holders(r#"[{"x":1,"y":2},{"x":3,"z":4}]"#), [1]);
            assert!(holders(r#"{"a":1,"b":{"c":2},"d":[3]}"#).is_empty());
            // Past MAX_PREFIX_KEYS keys, prefixes are not followed.
            let wide = (0..20)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",");
            let kept = holders(&format!("[{{{wide}}},{{{wide}}}]"));
            assert_eq!(kept, (1..=MAX_PREFIX_KEYS).collect::<Vec<_>>());
        });
    }

    /// Out of memory at every point of a parse (each allocation in turn fails, as the limit
    /// grows by a little each time): the parse throws, and every value, atom and holder made
    /// until then is freed, which QuickJS checks when the runtime is freed.
    #[test]
    fn running_out_of_memory_anywhere_throws_and_leaks_nothing() {
        let records = (0..300)
            .map(|i| {
                format!(
                    r#"{{"id":{i},"name":"n\u00e9{i}","tags":["a","b"],"é{}":1}}"#,
                    i % 3
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let texts = [
            format!("[{records}]"),
            format!(
                "[{}]",
                (0..700)
                    .map(|i| format!("{i}.5"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        for text in &texts {
            let mut outcomes = (0, 0);
            let mut extra = 0;
            loop {
                let runtime = Runtime::new().unwrap();
                let context = Context::full(&runtime).unwrap();
                let used = runtime.memory_usage().malloc_size as usize;
                runtime.set_memory_limit(used + extra);
                let done = context.with(|ctx| match parse_bytes(&ctx, text.as_bytes()) {
                    Ok(Some(_)) => true,
                    Ok(None) => panic!("valid JSON was left to the builtin"),
                    Err(_) => {
                        let _ = ctx.catch();
                        false
                    }
                });
                drop(context);
                drop(runtime);
                if done {
                    outcomes.0 += 1;
                    break;
                }
                outcomes.1 += 1;
                extra += 256;
            }
            // It ran out many times before it had enough.
            assert!(outcomes.1 > 20, "{outcomes:?}");
        }
    }
}
