//! `Request` and `Response` objects: instances of a Rust class whose prototype is the JavaScript
//! class's, holding the state array fetch.js keeps (see `S_*` there). Rust makes the objects for
//! requests and responses that arrive, and takes apart the ones that leave, by reading and
//! writing that array directly: a request or response that passes through a worker untouched
//! never calls into JavaScript on its way in or out. Anything out of the ordinary (a
//! `Headers` object made, a body that became a stream) is left to fetch.js's own functions.

use rquickjs::{
    Array, Class, Ctx, Exception, JsLifetime, Object, Result, String as JsString, Value,
    class::Trace,
};

use crate::body::with_string_utf8;

/// Which class an object is an instance of.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Request = 0,
    Response = 1,
}

impl Kind {
    pub(crate) fn from_js(kind: u8) -> Option<Kind> {
        match kind {
            0 => Some(Kind::Request),
            1 => Some(Kind::Response),
            _ => None,
        }
    }
}

// Slots of the state array (fetch.js's S_*) and of a body record (its B_*), and the header
// guards (headers.js's GUARD_*): none for a response JavaScript makes, immutable for a request
// or response from Rust.
pub(crate) const S_HEADERS: usize = 0;
pub(crate) const S_HEADER_LIST: usize = 1;
pub(crate) const S_BODY: usize = 3;
pub(crate) const S_METHOD: usize = 4;
pub(crate) const S_URL: usize = 5;
pub(crate) const S_STATUS: usize = 4;
pub(crate) const S_TYPE: usize = 6;
pub(crate) const B_SOURCE: usize = 0;
pub(crate) const B_STREAM: usize = 1;
pub(crate) const B_USED: usize = 2;
pub(crate) const GUARD_NONE: i32 = 0;
pub(crate) const GUARD_IMMUTABLE: i32 = 1;

/// The internal slot of a `Request` or `Response`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(frozen)]
pub(crate) struct Message<'js> {
    #[qjs(skip_trace)]
    kind: Kind,
    state: Array<'js>,
}

impl<'js> Message<'js> {
    /// A new `Request` or `Response` with `prototype` (the class's, or a subclass's).
    pub(crate) fn into_js(
        kind: Kind,
        state: Array<'js>,
        prototype: Object<'js>,
    ) -> Result<Value<'js>> {
        Ok(Class::instance_proto(Message { kind, state }, prototype)?.into_value())
    }

    /// The state of `value` if it is a `kind`.
    pub(crate) fn state(value: &Value<'js>, kind: Kind) -> Option<Array<'js>> {
        let class = Class::<Message>::from_object(value.as_object()?)?;
        let message = class.borrow();
        (message.kind == kind).then(|| message.state.clone())
    }
}

/// An array of `values`, made in one allocation.
pub(crate) fn array_of<'js, const N: usize>(
    ctx: &Ctx<'js>,
    values: [Value<'js>; N],
) -> Result<Array<'js>> {
    let context = ctx.as_raw().as_ptr();
    // A reference to each value for the array to own (JS_NewArrayFrom takes them, freeing them
    // itself if it fails); ours go with `values`.
    // SAFETY: the values belong to this context, which is alive for 'js.
    let raw = values
        .each_ref()
        .map(|value| unsafe { rquickjs::qjs::JS_DupValue(context, value.as_raw()) });
    drop(values);
    // SAFETY: as above; `raw` holds N values.
    let array = unsafe { rquickjs::qjs::JS_NewArrayFrom(context, N as i32, raw.as_ptr()) };
    // SAFETY: a value QuickJS just returned, owned by us.
    let array = unsafe { Value::from_raw(ctx.clone(), array) };
    if array.is_exception() {
        return Err(ctx.throw(ctx.catch()));
    }
    array
        .into_array()
        .ok_or_else(|| Exception::throw_internal(ctx, "JS_NewArrayFrom"))
}

/// A body record (fetch.js's `newBody`) for `source`, or null for a null body (`source` null).
pub(crate) fn body_record<'js>(ctx: &Ctx<'js>, source: Value<'js>) -> Result<Value<'js>> {
    if source.is_null() {
        return Ok(source);
    }
    let null = Value::new_null(ctx.clone());
    let used = Value::new_bool(ctx.clone(), false);
    let abort = Value::new_undefined(ctx.clone());
    Ok(array_of(ctx, [source, null, used, abort])?.into_value())
}

/// `new Response(text)` or `Response.json(data)` with no `init`, the responses most handlers
/// return, in one call: the state fetch.js's general steps would give it, with
/// `Response.prototype` and `header_list` (fetch.js's shared `["content-type", …]` for text or
/// JSON). Those steps cost ~1.4 µs in the interpreter (bench/NOTES.md). `None` when `text` is
/// not well-formed UTF-16: the general steps convert it.
pub(crate) fn text_response<'js>(
    ctx: &Ctx<'js>,
    prototype: Object<'js>,
    text: JsString<'js>,
    header_list: Array<'js>,
) -> Result<Option<Value<'js>>> {
    if !is_well_formed(&text)? {
        return Ok(None);
    }
    let body = body_record(ctx, text.into_value())?;
    let header_list = header_list.into_value();
    new_response(ctx, prototype, header_list, GUARD_NONE, body, 200, "").map(Some)
}

/// A `Response` with `prototype` whose headers are still `header_list` (a list or a Rust
/// `HeaderList`) under `guard`, and the rest of the state every response has that is neither
/// `Response.error()` nor `Response.redirect()`'s: type "default", no URL, not redirected.
pub(crate) fn new_response<'js>(
    ctx: &Ctx<'js>,
    prototype: Object<'js>,
    header_list: Value<'js>,
    guard: i32,
    body: Value<'js>,
    status: u16,
    status_text: &str,
) -> Result<Value<'js>> {
    let state = array_of(
        ctx,
        [
            Value::new_null(ctx.clone()),
            header_list,
            Value::new_int(ctx.clone(), guard),
            body,
            Value::new_int(ctx.clone(), i32::from(status)),
            JsString::from_str(ctx.clone(), status_text)?.into_value(),
            JsString::from_str(ctx.clone(), "default")?.into_value(),
            JsString::from_str(ctx.clone(), "")?.into_value(),
            Value::new_bool(ctx.clone(), false),
        ],
    )?;
    Message::into_js(Kind::Response, state, prototype)
}

/// Whether `text` has no lone surrogate (`String.prototype.isWellFormed`): only then is its
/// UTF-8 form valid.
fn is_well_formed(text: &JsString<'_>) -> Result<bool> {
    with_string_utf8(text, |bytes| std::str::from_utf8(bytes).is_ok())
}

/// The parts of a `kind` leaving JavaScript as it came: no `Headers` object made of its header
/// list, a body neither used nor turned into a stream, and (a Response) not `Response.error()`.
/// Returns its state, the header list and the body source (null for a null body), and marks
/// the body used, as fetch.js's `requestParts`/`responseParts` would. `None` for anything else:
/// those functions handle it (and give the errors).
pub(crate) fn take<'js>(
    value: &Value<'js>,
    kind: Kind,
) -> Result<Option<(Array<'js>, Value<'js>, Value<'js>)>> {
    let Some(state) = Message::state(value, kind) else {
        return Ok(None);
    };
    if !state.get::<Value>(S_HEADERS)?.is_null() {
        return Ok(None);
    }
    if kind == Kind::Response && with_string_utf8(&state.get(S_TYPE)?, |t| t == b"error")? {
        return Ok(None);
    }
    let body: Value = state.get(S_BODY)?;
    let source = match body.as_array() {
        None if body.is_null() => body,
        None => return Ok(None),
        Some(record) => {
            if !record.get::<Value>(B_STREAM)?.is_null() || record.get::<bool>(B_USED)? {
                return Ok(None);
            }
            let source: Value = record.get(B_SOURCE)?;
            record.set(B_SOURCE, Value::new_undefined(value.ctx().clone()))?;
            record.set(B_USED, true)?;
            source
        }
    };
    let headers = state.get(S_HEADER_LIST)?;
    Ok(Some((state, headers, source)))
}
