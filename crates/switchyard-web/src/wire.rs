//! Values crossing between isolates: the structured serialization behind RPC over service
//! bindings. [`to_wire`] turns a JS value into a [`Wire`] that holds no JS handles, so it can be
//! carried to another runtime; [`from_wire`] rebuilds it there.
//!
//! The walk itself is JavaScript (`js/wire.js`, sharing structuredClone's brand checks); Rust
//! only carries what a runtime cannot share: primitives, ArrayBuffer bytes, Request/Response
//! (their bodies stay the same `Bytes`), and stubs, whose meaning the embedder chooses (`S`).

use rquickjs::{Array, ArrayBuffer, Ctx, Exception, Function, Result, Value};

use crate::{HttpRequest, HttpResponse, get_fn, internals};

/// A serialized value: a tape of primitives and opcodes, plus the objects it refers to.
pub struct Wire<S> {
    tape: Vec<Prim>,
    externals: Vec<External<S>>,
}

enum Prim {
    Int(i32),
    Float(f64),
    String(String),
}

/// What the tape refers to by position.
pub enum External<S> {
    Bytes(Vec<u8>),
    Request(HttpRequest),
    Response(HttpResponse),
    /// A function or RpcTarget passed by reference.
    Stub(S),
    /// The reader of a ReadableStream, passed by reference; the receiver pulls chunks from it.
    Stream(S),
}

impl<S> Wire<S> {
    /// The stubs this value carries, for an embedder that must release them if the value is
    /// never delivered.
    pub fn into_stubs(self) -> impl Iterator<Item = S> {
        self.externals.into_iter().filter_map(|e| match e {
            External::Stub(s) | External::Stream(s) => Some(s),
            _ => None,
        })
    }
}

/// The embedder's side of stubs.
pub trait StubHooks<'js, S> {
    /// `object` (a function, an RpcTarget, or a stream reader target when `stream`) leaves this
    /// isolate by reference: register it and return what names it elsewhere.
    fn export(&mut self, ctx: &Ctx<'js>, object: Value<'js>, stream: bool) -> Result<S>;
    /// A stub arrived: the JS object that calls back to its home.
    fn import(&mut self, ctx: &Ctx<'js>, stub: S, stream: bool) -> Result<Value<'js>>;
}

/// Serialize `value`. `root` names it in DataCloneError messages (`args[1].handler: …`);
/// `is_target` is the embedder's `(object) => boolean` deciding which objects pass by reference.
pub fn to_wire<'js, S>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
    root: &str,
    is_target: &Function<'js>,
    hooks: &mut dyn StubHooks<'js, S>,
) -> Result<Wire<S>> {
    // Most RPC values are primitives, and most argument lists arrays of them: no JS walk.
    if let Some(prim) = primitive_to_tape(&value)? {
        return Ok(Wire {
            tape: prim,
            externals: Vec::new(),
        });
    }
    let serialize = get_fn(ctx, &internals(ctx)?.wire_serialize)?;
    let parts: Array = serialize.call((value, root, is_target.clone()))?;
    let tape_js: Array = parts.get(0)?;
    let externals_js: Array = parts.get(1)?;
    let kinds: String = parts.get(2)?;

    let mut tape = Vec::with_capacity(tape_js.len());
    for item in tape_js.iter::<Value>() {
        let item = item?;
        tape.push(if let Some(i) = item.as_int() {
            Prim::Int(i)
        } else if let Some(f) = item.as_float() {
            Prim::Float(f)
        } else if let Some(s) = item.as_string() {
            Prim::String(s.to_string()?)
        } else {
            return Err(Exception::throw_internal(ctx, "wire: unexpected tape item"));
        });
    }
    let mut externals = Vec::with_capacity(externals_js.len());
    for (kind, item) in kinds.bytes().zip(externals_js.iter::<Value>()) {
        let item = item?;
        externals.push(match kind {
            b'b' => {
                let len = ArrayBuffer::from_value(item.clone()).map_or(0, |b| b.len());
                let bytes = crate::body::with_buffer(ctx, &item, 0, len, <[u8]>::to_vec)
                    .ok_or_else(|| {
                        Exception::throw_internal(ctx, "wire: expected an ArrayBuffer")
                    })?;
                External::Bytes(bytes)
            }
            b'q' => External::Request(crate::request_from_js(ctx, item)?),
            b'p' => External::Response(crate::response_from_js(ctx, item)?),
            b's' => External::Stub(hooks.export(ctx, item, false)?),
            b'r' => External::Stream(hooks.export(ctx, item, true)?),
            _ => {
                return Err(Exception::throw_internal(
                    ctx,
                    "wire: unknown external kind",
                ));
            }
        });
    }
    Ok(Wire { tape, externals })
}

/// Rebuild a value serialized by [`to_wire`] (in this or another runtime).
pub fn from_wire<'js, S>(
    ctx: &Ctx<'js>,
    wire: Wire<S>,
    hooks: &mut dyn StubHooks<'js, S>,
) -> Result<Value<'js>> {
    if wire.externals.is_empty()
        && let Some(value) = primitive_from_tape(ctx, &wire.tape)?
    {
        return Ok(value);
    }
    let tape = Array::new(ctx.clone())?;
    for (i, prim) in wire.tape.into_iter().enumerate() {
        match prim {
            Prim::Int(n) => tape.set(i, n)?,
            Prim::Float(f) => tape.set(i, f)?,
            Prim::String(s) => tape.set(i, s)?,
        }
    }
    let externals = Array::new(ctx.clone())?;
    for (i, external) in wire.externals.into_iter().enumerate() {
        let value = match external {
            External::Bytes(bytes) => ArrayBuffer::new(ctx.clone(), bytes)?.into_value(),
            External::Request(req) => crate::request_to_js(ctx, req)?,
            External::Response(res) => crate::response_to_js(ctx, res)?,
            External::Stub(stub) => hooks.import(ctx, stub, false)?,
            External::Stream(stub) => hooks.import(ctx, stub, true)?,
        };
        externals.set(i, value)?;
    }
    let deserialize = get_fn(ctx, &internals(ctx)?.wire_deserialize)?;
    deserialize.call((tape, externals))
}

// Opcodes shared with js/wire.js for the primitive fast path.
const OP_UNDEFINED: i32 = 0;
const OP_NULL: i32 = 1;
const OP_TRUE: i32 = 2;
const OP_FALSE: i32 = 3;
const OP_NUMBER: i32 = 4;
const OP_STRING: i32 = 5;
const OP_ARRAY: i32 = 8;

/// The tape of a primitive, or of an array of primitives (a call's usual arguments), written
/// without the JS walk; `None` for anything else.
fn primitive_to_tape(value: &Value<'_>) -> Result<Option<Vec<Prim>>> {
    let mut tape = Vec::new();
    if let Some(array) = value.as_array() {
        let len = array.len();
        if len > FAST_ARRAY_MAX {
            return Ok(None);
        }
        tape.reserve(2 + 2 * len);
        tape.push(Prim::Int(OP_ARRAY));
        tape.push(Prim::Int(len as i32));
        for item in array.iter::<Value>() {
            if !push_primitive(&mut tape, &item?)? {
                return Ok(None);
            }
        }
        return Ok(Some(tape));
    }
    Ok(push_primitive(&mut tape, value)?.then_some(tape))
}

/// Longest array the Rust fast path handles; longer ones are rarely all primitives.
const FAST_ARRAY_MAX: usize = 16;

fn push_primitive(tape: &mut Vec<Prim>, value: &Value<'_>) -> Result<bool> {
    if value.is_undefined() {
        tape.push(Prim::Int(OP_UNDEFINED));
    } else if value.is_null() {
        tape.push(Prim::Int(OP_NULL));
    } else if let Some(b) = value.as_bool() {
        tape.push(Prim::Int(if b { OP_TRUE } else { OP_FALSE }));
    } else if let Some(i) = value.as_int() {
        tape.extend([Prim::Int(OP_NUMBER), Prim::Int(i)]);
    } else if let Some(f) = value.as_float() {
        tape.extend([Prim::Int(OP_NUMBER), Prim::Float(f)]);
    } else if let Some(s) = value.as_string() {
        tape.extend([Prim::Int(OP_STRING), Prim::String(s.to_string()?)]);
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// The inverse of [`primitive_to_tape`]: `None` if the tape holds anything else.
fn primitive_from_tape<'js>(ctx: &Ctx<'js>, tape: &[Prim]) -> Result<Option<Value<'js>>> {
    if let [Prim::Int(OP_ARRAY), Prim::Int(len), items @ ..] = tape {
        let array = Array::new(ctx.clone())?;
        let mut rest = items;
        for i in 0..*len as usize {
            let Some((value, tail)) = read_primitive(ctx, rest)? else {
                return Ok(None);
            };
            array.set(i, value)?;
            rest = tail;
        }
        return Ok(rest.is_empty().then(|| array.into_value()));
    }
    Ok(match read_primitive(ctx, tape)? {
        Some((value, [])) => Some(value),
        _ => None,
    })
}

type Read<'js, 't> = Option<(Value<'js>, &'t [Prim])>;

fn read_primitive<'js, 't>(ctx: &Ctx<'js>, tape: &'t [Prim]) -> Result<Read<'js, 't>> {
    let (value, rest) = match tape {
        [Prim::Int(OP_UNDEFINED), rest @ ..] => (Value::new_undefined(ctx.clone()), rest),
        [Prim::Int(OP_NULL), rest @ ..] => (Value::new_null(ctx.clone()), rest),
        [Prim::Int(OP_TRUE), rest @ ..] => (Value::new_bool(ctx.clone(), true), rest),
        [Prim::Int(OP_FALSE), rest @ ..] => (Value::new_bool(ctx.clone(), false), rest),
        [Prim::Int(OP_NUMBER), Prim::Int(i), rest @ ..] => (Value::new_int(ctx.clone(), *i), rest),
        [Prim::Int(OP_NUMBER), Prim::Float(f), rest @ ..] => {
            (Value::new_float(ctx.clone(), *f), rest)
        }
        [Prim::Int(OP_STRING), Prim::String(s), rest @ ..] => (
            rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
            rest,
        ),
        _ => return Ok(None),
    };
    Ok(Some((value, rest)))
}
