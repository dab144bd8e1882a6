//! `Request` and `Response` objects: instances of a Rust class whose prototype is the JavaScript
//! class's, holding the state array fetch.js keeps (see `S_*` there) once JavaScript looks at
//! them. A request or response Rust makes (one that arrives, `new Response(text)`) keeps what it
//! was made of until then: one that passes through a worker untouched is never turned into
//! JavaScript values at all, on its way in or out. Rust reads and writes the state array
//! directly for the ones that leave as they came; anything out of the ordinary (a `Headers`
//! object made, a body that became a stream) is left to fetch.js's own functions.

use std::cell::RefCell;
use std::mem;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use rquickjs::{
    Array, Class, Ctx, Exception, JsLifetime, Object, Result, String as JsString, Value,
    class::{Trace, Tracer},
    qjs,
};

use crate::body::{HeaderList, with_string_utf8};
use crate::{Body, HttpRequest, HttpResponse};

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
#[derive(JsLifetime)]
#[rquickjs::class]
pub(crate) struct Message<'js> {
    kind: Kind,
    state: State<'js>,
}

/// What a message holds.
#[derive(JsLifetime)]
enum State<'js> {
    /// fetch.js's state array: what JavaScript reads and writes.
    Array(Array<'js>),
    /// A request from Rust that JavaScript has not looked at.
    Request {
        method: Method,
        url: String,
        headers: HeaderMap,
        body: Parked,
    },
    /// A response from Rust that JavaScript has not looked at.
    Response {
        status: StatusCode,
        headers: HeaderMap,
        body: Parked,
    },
    /// `new Response(text)` or `Response.json(data)` (see [`text_response`]) that JavaScript
    /// has not looked at: `text` is `None` once taken. Its UTF-8 form is made only then: kept
    /// here, it would be memory outside the isolate's limit, held by each such `Response` of
    /// one shared string.
    Text {
        text: Option<JsString<'js>>,
        json: bool,
    },
    /// Being made into an array.
    Making,
}

impl Drop for Message<'_> {
    fn drop(&mut self) {
        if let State::Request { headers, .. } = &mut self.state {
            keep_map(mem::take(headers));
        }
    }
}

thread_local! {
    /// Header maps of requests that were freed, emptied, for responses made here.
    static SPARE_MAPS: RefCell<Vec<HeaderMap>> = const { RefCell::new(Vec::new()) };
}

/// A header map for a response made here: a freed request's if there is one. hyper keeps a
/// response's map, emptied, for the next request on the connection, so in the usual request
/// (one in, one `new Response(text)` out) the same map goes round and none is allocated.
fn spare_map() -> HeaderMap {
    SPARE_MAPS
        .try_with(|maps| maps.borrow_mut().pop())
        .ok()
        .flatten()
        // Room for more than the one header: the server adds `cf-connecting-ip` to the next
        // request's headers in it. A map sized for one grew there on every request (~1% of a
        // hello request); six fits what curl and most API clients send, plus that header.
        .unwrap_or_else(|| HeaderMap::with_capacity(6))
}

/// Keep `map` for [`spare_map`]: a few per thread, of ordinary size.
fn keep_map(mut map: HeaderMap) {
    const KEPT: usize = 4;
    const LARGEST: usize = 64;
    if map.capacity() == 0 || map.capacity() > LARGEST {
        return;
    }
    map.clear();
    let _ = SPARE_MAPS.try_with(|maps| {
        let mut maps = maps.borrow_mut();
        if maps.len() < KEPT {
            maps.push(map);
        }
    });
}

/// The body of a request or response from Rust that JavaScript has not looked at.
enum Parked {
    /// A null body: there was none (or it was empty).
    Null,
    Body(Body),
    /// Taken by [`take_request`] or [`take_response`].
    Used,
}

impl Parked {
    fn new(body: Body) -> Parked {
        match body {
            Body::Bytes(bytes) if bytes.is_empty() => Parked::Null,
            body => Parked::Body(body),
        }
    }

    /// The body for Rust (marking it used; a null body stays null), or `None` if it was used
    /// already.
    fn take(&mut self) -> Option<Body> {
        match self {
            Parked::Null => Some(Body::empty()),
            Parked::Body(_) => match mem::replace(self, Parked::Used) {
                Parked::Body(body) => Some(body),
                _ => None,
            },
            Parked::Used => None,
        }
    }

    /// Its body record (fetch.js's `newBody`), or null.
    fn into_js<'js>(self, ctx: &Ctx<'js>) -> Result<Value<'js>> {
        match self {
            Parked::Null => Ok(Value::new_null(ctx.clone())),
            Parked::Body(body) => body_record(ctx, crate::body_into_js(ctx, body)?),
            Parked::Used => used_body_record(ctx),
        }
    }
}

impl<'js> Trace<'js> for Message<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        // The other states hold strings and Rust values, no objects.
        if let State::Array(array) = &self.state {
            array.trace(tracer);
        }
    }
}

impl<'js> Message<'js> {
    /// A new `Request` or `Response` with `prototype` (the class's, or a subclass's).
    pub(crate) fn into_js(
        kind: Kind,
        state: Array<'js>,
        prototype: Object<'js>,
    ) -> Result<Value<'js>> {
        new_message(kind, State::Array(state), prototype)
    }

    /// The state array of `value` if it is a `kind`, made now if JavaScript had not looked at
    /// it yet.
    pub(crate) fn state(value: &Value<'js>, kind: Kind) -> Result<Option<Array<'js>>> {
        let Some(class) = value.as_object().and_then(Class::<Message>::from_object) else {
            return Ok(None);
        };
        let ctx = value.ctx();
        {
            let message = borrow(ctx, &class)?;
            if message.kind != kind {
                return Ok(None);
            }
            if let State::Array(array) = &message.state {
                return Ok(Some(array.clone()));
            }
        }
        // Made with the borrow released: making JavaScript values may run the collector, which
        // traces this object. Should that fail (out of memory), the message stays `Making` and
        // throws on every later use.
        let parts = mem::replace(&mut borrow_mut(ctx, &class)?.state, State::Making);
        let array = parts.into_array(ctx)?;
        borrow_mut(ctx, &class)?.state = State::Array(array.clone());
        Ok(Some(array))
    }

    /// Slot `slot` of the state of `value` if it is a `Request` (`S_METHOD` or `S_URL` for one
    /// JavaScript has not looked at), without making the state.
    pub(crate) fn request_slot(value: &Value<'js>, slot: usize) -> Result<Option<Value<'js>>> {
        let Some(class) = value.as_object().and_then(Class::<Message>::from_object) else {
            return Ok(None);
        };
        let ctx = value.ctx();
        let message = borrow(ctx, &class)?;
        if message.kind != Kind::Request {
            return Ok(None);
        }
        // A new string each time (the array would keep one): short, and cheaper than the array.
        let text = match (&message.state, slot) {
            (State::Array(array), _) => return array.get(slot).map(Some),
            (State::Request { method, .. }, S_METHOD) => method.as_str(),
            (State::Request { url, .. }, S_URL) => url.as_str(),
            _ => {
                drop(message);
                return Message::state(value, Kind::Request)?
                    .map(|a| a.get(slot))
                    .transpose();
            }
        };
        Ok(Some(JsString::from_str(ctx.clone(), text)?.into_value()))
    }
}

fn new_message<'js>(kind: Kind, state: State<'js>, prototype: Object<'js>) -> Result<Value<'js>> {
    Ok(Class::instance_proto(Message { kind, state }, prototype)?.into_value())
}

fn borrow<'a, 'js>(
    ctx: &Ctx<'js>,
    class: &'a Class<'js, Message<'js>>,
) -> Result<rquickjs::class::Borrow<'a, 'js, Message<'js>>> {
    class
        .try_borrow()
        .map_err(|_| Exception::throw_internal(ctx, "a Request or Response is in use"))
}

fn borrow_mut<'a, 'js>(
    ctx: &Ctx<'js>,
    class: &'a Class<'js, Message<'js>>,
) -> Result<rquickjs::class::BorrowMut<'a, 'js, Message<'js>>> {
    class
        .try_borrow_mut()
        .map_err(|_| Exception::throw_internal(ctx, "a Request or Response is in use"))
}

impl<'js> State<'js> {
    /// fetch.js's state array for what a message was made of.
    fn into_array(self, ctx: &Ctx<'js>) -> Result<Array<'js>> {
        match self {
            State::Array(array) => Ok(array),
            State::Request {
                method,
                url,
                headers,
                body,
            } => {
                let null = || Value::new_null(ctx.clone());
                array_of(
                    ctx,
                    [
                        null(),
                        HeaderList::into_js(ctx, headers)?,
                        Value::new_int(ctx.clone(), GUARD_IMMUTABLE),
                        body.into_js(ctx)?,
                        JsString::from_str(ctx.clone(), method.as_str())?.into_value(),
                        JsString::from_str(ctx.clone(), &url)?.into_value(),
                        JsString::from_str(ctx.clone(), "follow")?.into_value(),
                        null(),
                        Value::new_undefined(ctx.clone()),
                    ],
                )
            }
            State::Response {
                status,
                headers,
                body,
            } => response_array(
                ctx,
                HeaderList::into_js(ctx, headers)?,
                GUARD_IMMUTABLE,
                body.into_js(ctx)?,
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
            ),
            State::Text { text, json } => {
                let name = JsString::from_str(ctx.clone(), "content-type")?.into_value();
                let value = JsString::from_str(ctx.clone(), content_type(json))?.into_value();
                let header_list = array_of(ctx, [name, value])?.into_value();
                let body = match text {
                    Some(text) => body_record(ctx, text.into_value())?,
                    None => used_body_record(ctx)?,
                };
                response_array(ctx, header_list, GUARD_NONE, body, 200, "")
            }
            State::Making => Err(Exception::throw_internal(
                ctx,
                "a Request or Response was left half made",
            )),
        }
    }
}

/// A `Request` for `req` with `prototype`, as [`crate::request_to_js`] describes it.
pub(crate) fn request_from_rust<'js>(
    req: HttpRequest,
    prototype: Object<'js>,
) -> Result<Value<'js>> {
    // The spec does not allow GET/HEAD requests with a body; such a body (rare on the wire) is
    // dropped so `new Request(request, init)` keeps working.
    let body = match req.method {
        Method::GET | Method::HEAD => Parked::Null,
        _ => Parked::new(req.body),
    };
    let state = State::Request {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
    };
    new_message(Kind::Request, state, prototype)
}

/// A `Response` for `res` with `prototype`, as [`crate::response_to_js`] describes it.
pub(crate) fn response_from_rust<'js>(
    res: HttpResponse,
    prototype: Object<'js>,
) -> Result<Value<'js>> {
    // The Fetch Standard's null body statuses (fetch.js's isNullBodyStatus).
    let body = match res.status.as_u16() {
        101 | 103 | 204 | 205 | 304 => Parked::Null,
        _ => Parked::new(res.body),
    };
    let state = State::Response {
        status: res.status,
        headers: res.headers,
        body,
    };
    new_message(Kind::Response, state, prototype)
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

/// A body record as [`take_request`] leaves one: used, its source gone.
fn used_body_record<'js>(ctx: &Ctx<'js>) -> Result<Value<'js>> {
    let undefined = || Value::new_undefined(ctx.clone());
    let null = Value::new_null(ctx.clone());
    let used = Value::new_bool(ctx.clone(), true);
    Ok(array_of(ctx, [undefined(), null, used, undefined()])?.into_value())
}

/// The `content-type` of `new Response(text)` and of `Response.json(data)` (fetch.js takes
/// them from here).
pub(crate) const CONTENT_TYPE_TEXT: &str = "text/plain;charset=UTF-8";
pub(crate) const CONTENT_TYPE_JSON: &str = "application/json";

fn content_type(json: bool) -> &'static str {
    if json {
        CONTENT_TYPE_JSON
    } else {
        CONTENT_TYPE_TEXT
    }
}

/// `new Response(text)` or (`json`) `Response.json(data)` with no `init`, the responses most
/// handlers return, in one call: a `Response` with `Response.prototype` that, when JavaScript
/// looks at it, has the state fetch.js's general steps would give it. Those steps cost ~1.4 µs
/// in the interpreter (bench/NOTES.md). `None` when `text` is longer than
/// [`ONE_CALL_TEXT_LENGTH`] or not well-formed UTF-16: the general steps take it (and convert
/// it).
pub(crate) fn text_response<'js>(
    prototype: Object<'js>,
    text: JsString<'js>,
    json: bool,
) -> Result<Option<Value<'js>>> {
    if text_length(&text) > ONE_CALL_TEXT_LENGTH || !is_well_formed(&text)? {
        return Ok(None);
    }
    let state = State::Text {
        text: Some(text),
        json,
    };
    new_message(Kind::Response, state, prototype).map(Some)
}

/// Text up to this many UTF-16 units makes a response in one call ([`text_response`]): Rust
/// checks it is well-formed on QuickJS's UTF-8 form, a copy unless the string is ASCII, and
/// 1 µs no longer matters next to a longer body.
const ONE_CALL_TEXT_LENGTH: usize = 16384;

/// The global `Response`: a function that makes `new Response(text)` with nothing else, what
/// most handlers return, itself, and leaves everything else to fetch.js's class (`class`, whose
/// prototype is `prototype`). The class's constructor frame and the `this` QuickJS makes and
/// drops for it were ~0.35 µs of the ~1.7 µs of a hello request's JavaScript (bench/NOTES.md).
/// Called without `new`, it calls the class, which throws; with other arguments or a subclass's
/// `new.target`, it constructs the class with that `new.target`. globals.js gives it the
/// class's own properties (`prototype`, the statics) and makes it
/// `Response.prototype.constructor`.
///
/// It is an object of a QuickJS class of its own whose call hook QuickJS calls directly: as an
/// rquickjs class, each call also went through rquickjs's callback steps (an argument list,
/// context and value references, a panic guard), 0.02–0.07 µs of a hello request in hop_cost.
pub(crate) fn response_constructor<'js>(
    ctx: &Ctx<'js>,
    class: rquickjs::Function<'js>,
    prototype: Object<'js>,
) -> Result<rquickjs::Function<'js>> {
    let class_id = constructor_class(ctx)?;
    let raw = ctx.as_raw().as_ptr();
    let function_prototype = rquickjs::Function::prototype(ctx.clone());
    // SAFETY: an object of a class registered in this context's runtime, with the context's
    // `Function.prototype`; the result is ours to own.
    let made = unsafe {
        crate::from_raw_call(
            ctx,
            qjs::JS_NewObjectProtoClass(raw, function_prototype.as_raw(), class_id),
        )?
    };
    let slots = Box::new(ConstructorSlots {
        // SAFETY: references of our own to live values of this context, released by the
        // class's finalizer.
        class: unsafe { qjs::JS_DupValue(raw, class.as_raw()) },
        prototype: unsafe { qjs::JS_DupValue(raw, prototype.as_raw()) },
    });
    let slots = Box::into_raw(slots);
    // SAFETY: `made` is an object of our class, with no opaque yet: from here its finalizer
    // owns the slots. Were they refused, they are still ours to free.
    unsafe {
        if qjs::JS_SetOpaque(made.as_raw(), slots.cast()) < 0 {
            let slots = Box::from_raw(slots);
            qjs::JS_FreeValue(raw, slots.class);
            qjs::JS_FreeValue(raw, slots.prototype);
            return Err(Exception::throw_internal(
                ctx,
                "the Response constructor's class has no room for its slots",
            ));
        }
        qjs::JS_SetConstructorBit(raw, made.as_raw(), true);
    }
    let function = made
        .into_function()
        .ok_or_else(|| Exception::throw_internal(ctx, "the Response class has no call hook"))?;
    // In the order a class has its own properties.
    function.with_length(0)?.with_name("Response")
}

/// What a [`response_constructor`] object holds: fetch.js's `Response` and its prototype.
struct ConstructorSlots {
    class: qjs::JSValue,
    prototype: qjs::JSValue,
}

/// The QuickJS class of [`response_constructor`]'s objects in a runtime.
struct ConstructorClass(qjs::JSClassID);

unsafe impl<'js> JsLifetime<'js> for ConstructorClass {
    type Changed<'to> = ConstructorClass;
}

/// The class of [`response_constructor`]'s objects, registered in `ctx`'s runtime the first
/// time.
fn constructor_class(ctx: &Ctx<'_>) -> Result<qjs::JSClassID> {
    if let Some(class) = ctx.userdata::<ConstructorClass>() {
        return Ok(class.0);
    }
    let definition = qjs::JSClassDef {
        class_name: c"Response".as_ptr(),
        finalizer: Some(finalize_constructor),
        gc_mark: Some(mark_constructor),
        call: Some(call_constructor),
        exotic: std::ptr::null_mut(),
    };
    let mut id = 0;
    // SAFETY: a new class in the context's own runtime, as rquickjs registers its own; QuickJS
    // copies the definition.
    let failed = unsafe {
        let runtime = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        qjs::JS_NewClassID(runtime, &mut id);
        qjs::JS_NewClass(runtime, id, &definition) != 0
    };
    // Were the id not kept, the next context would register another class: more ids, no harm.
    if failed || ctx.store_userdata(ConstructorClass(id)).is_err() {
        return Err(Exception::throw_internal(
            ctx,
            "cannot register the Response constructor's class",
        ));
    }
    Ok(id)
}

/// The slots of `object`, one of [`response_constructor`]'s objects (null before they are set).
///
/// # Safety
/// `object` is an object of the class [`constructor_class`] registers.
unsafe fn slots(object: qjs::JSValue) -> *mut ConstructorSlots {
    let mut class_id = 0;
    // SAFETY: the caller's object of our class, whose opaque is its slots or null.
    unsafe { qjs::JS_GetAnyOpaque(object, &mut class_id).cast() }
}

unsafe extern "C" fn finalize_constructor(runtime: *mut qjs::JSRuntime, object: qjs::JSValue) {
    // SAFETY: QuickJS finalizes only objects of the class; the slots are theirs alone.
    unsafe {
        let slots = slots(object);
        if !slots.is_null() {
            let slots = Box::from_raw(slots);
            qjs::JS_FreeValueRT(runtime, slots.class);
            qjs::JS_FreeValueRT(runtime, slots.prototype);
        }
    }
}

unsafe extern "C" fn mark_constructor(
    runtime: *mut qjs::JSRuntime,
    object: qjs::JSValue,
    mark: qjs::JS_MarkFunc,
) {
    // SAFETY: QuickJS marks only live objects of the class, whose slots hold live values.
    unsafe {
        let slots = slots(object);
        if !slots.is_null() {
            qjs::JS_MarkValue(runtime, (*slots).class, mark);
            qjs::JS_MarkValue(runtime, (*slots).prototype, mark);
        }
    }
}

/// The call hook of [`response_constructor`]'s objects: QuickJS's arguments as they come, and
/// an owned result (`JS_EXCEPTION` with the exception pending when it throws).
unsafe extern "C" fn call_constructor(
    ctx: *mut qjs::JSContext,
    function: qjs::JSValue,
    this: qjs::JSValue,
    argc: std::ffi::c_int,
    argv: *mut qjs::JSValue,
    flags: std::ffi::c_int,
) -> qjs::JSValue {
    // SAFETY: QuickJS calls the hook only for objects of the class, which get their slots
    // before JavaScript can reach them (null is checked all the same), and passes `argc` live
    // arguments in `argv`.
    unsafe {
        let Some(slots) = slots(function).as_ref() else {
            return qjs::JS_ThrowInternalError(ctx, c"Response has no class to call".as_ptr());
        };
        if flags & qjs::JS_CALL_FLAG_CONSTRUCTOR as std::ffi::c_int == 0 {
            // Without `new`: the class throws what a class throws.
            return qjs::JS_Call(ctx, slots.class, this, argc, argv);
        }
        let args = match usize::try_from(argc) {
            Ok(len) if len > 0 && !argv.is_null() => std::slice::from_raw_parts(argv, len),
            _ => &[],
        };
        // In a construct call `this` is `new.target`: the function itself unless a subclass's
        // constructor is running.
        let plain = qjs::JS_VALUE_GET_PTR(this) == qjs::JS_VALUE_GET_PTR(function)
            && qjs::JS_IsObject(this);
        if plain
            && let [text, rest @ ..] = args
            && qjs::JS_IsString(*text)
            && rest.first().is_none_or(|init| qjs::JS_IsUndefined(*init))
            && let Some(made) = raw_text_response(ctx, slots.prototype, *text)
        {
            return made;
        }
        qjs::JS_CallConstructor2(ctx, slots.class, this, argc, argv)
    }
}

/// [`text_response`] for [`call_constructor`]: the response (owned), `JS_EXCEPTION` with the
/// exception pending, or `None` for the class to make it.
///
/// # Safety
/// `ctx` is a live context, running; `prototype` and `text` are live values of it.
unsafe fn raw_text_response(
    ctx: *mut qjs::JSContext,
    prototype: qjs::JSValue,
    text: qjs::JSValue,
) -> Option<qjs::JSValue> {
    // SAFETY: the caller's live context.
    let ctx = unsafe { Ctx::from_raw(std::ptr::NonNull::new_unchecked(ctx)) };
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: references of our own to the caller's live values.
        let (prototype, text) = unsafe {
            (
                Value::from_raw(ctx.clone(), qjs::JS_DupValue(raw, prototype)),
                Value::from_raw(ctx.clone(), qjs::JS_DupValue(raw, text)),
            )
        };
        let (Some(prototype), Some(text)) = (prototype.into_object(), text.into_string()) else {
            return Ok(None);
        };
        // SAFETY: a reference of our own to the new response, for the caller.
        text_response(prototype, text, false)
            .map(|made| made.map(|response| unsafe { qjs::JS_DupValue(raw, response.as_raw()) }))
    }));
    match made {
        Ok(Ok(made)) => made,
        Ok(Err(rquickjs::Error::Exception)) => Some(qjs::JS_EXCEPTION),
        Ok(Err(error)) => {
            let _ = Exception::throw_internal(&ctx, &error.to_string());
            Some(qjs::JS_EXCEPTION)
        }
        // A bug of ours, not the worker's: it fails this call rather than the process.
        Err(_) => {
            let _ = Exception::throw_internal(&ctx, "Response: a Rust panic (a Switchyard bug)");
            Some(qjs::JS_EXCEPTION)
        }
    }
}

/// A string's length in UTF-16 code units, as JavaScript counts it.
fn text_length(text: &JsString<'_>) -> usize {
    let ctx = text.ctx().as_raw().as_ptr();
    let mut length = 0i64;
    // SAFETY: a live string of `ctx`; its length is read without running JavaScript.
    let read = unsafe { rquickjs::qjs::JS_GetLength(ctx, text.as_raw(), &mut length) };
    if read < 0 {
        usize::MAX
    } else {
        length as usize
    }
}

/// The state array of a `Response` with `prototype` whose headers are still `header_list` (a
/// list or a Rust `HeaderList`) under `guard`, and the rest of the state every response has
/// that is neither `Response.error()` nor `Response.redirect()`'s: type "default", no URL, not
/// redirected.
fn response_array<'js>(
    ctx: &Ctx<'js>,
    header_list: Value<'js>,
    guard: i32,
    body: Value<'js>,
    status: u16,
    status_text: &str,
) -> Result<Array<'js>> {
    array_of(
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
    )
}

/// Whether `text` has no lone surrogate (`String.prototype.isWellFormed`): only then is its
/// UTF-8 form valid.
fn is_well_formed(text: &JsString<'_>) -> Result<bool> {
    with_string_utf8(text, |bytes| std::str::from_utf8(bytes).is_ok())
}

/// A request or response taken apart for Rust, and a JavaScript `ReadableStream` for the
/// embedder to pump into its body when the body is one (the body is then empty).
pub(crate) type Taken<'js, T> = (T, Option<Value<'js>>);

/// `value` taken apart if it is a `Request` leaving as it came (see [`take`]), marking its
/// body used. `None` for anything else: fetch.js's `requestParts` handles it (and gives the
/// errors).
pub(crate) fn take_request<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> Result<Option<Taken<'js, HttpRequest>>> {
    Ok(match take(ctx, value, Kind::Request)? {
        None => None,
        Some(Found::Request(request)) => Some((request, None)),
        Some(Found::State(state, headers, source)) => {
            let (method, url) = (state.get(S_METHOD)?, state.get(S_URL)?);
            Some(crate::request_from_parts(
                ctx, method, url, headers, source,
            )?)
        }
        Some(Found::Response(_)) => unreachable!("take finds a Request's parts for a Request"),
    })
}

/// [`take_request`] for a `Response` (fetch.js's `responseParts` handles anything else).
pub(crate) fn take_response<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> Result<Option<Taken<'js, HttpResponse>>> {
    Ok(match take(ctx, value, Kind::Response)? {
        None => None,
        Some(Found::Response(response)) => Some((response, None)),
        Some(Found::State(state, headers, source)) => {
            let status = state.get(S_STATUS)?;
            Some(crate::response_from_parts(ctx, status, headers, source)?)
        }
        Some(Found::Request(_)) => unreachable!("take finds a Response's parts for a Response"),
    })
}

/// What [`take`] found.
enum Found<'js> {
    /// A message JavaScript never looked at, whole (it keeps copies of its head).
    Request(HttpRequest),
    Response(HttpResponse),
    /// One it did: its state array, header list and body source, for lib.rs to convert as it
    /// converts what `requestParts`/`responseParts` give.
    State(Array<'js>, Value<'js>, Value<'js>),
}

/// The parts of a `kind` leaving JavaScript as it came: no `Headers` object made of its header
/// list, a body neither used nor turned into a stream, and (a Response) not `Response.error()`.
/// A message JavaScript never looked at gives up its body and copies of the rest (it can still
/// be read afterwards, with its body used); one it did is read from its state array, marking
/// the body used there, as fetch.js's `requestParts`/`responseParts` would. `None` for anything
/// else.
fn take<'js>(ctx: &Ctx<'js>, value: &Value<'js>, kind: Kind) -> Result<Option<Found<'js>>> {
    let Some(class) = value.as_object().and_then(Class::<Message>::from_object) else {
        return Ok(None);
    };
    let mut message = borrow_mut(ctx, &class)?;
    if message.kind != kind {
        return Ok(None);
    }
    let found = match &mut message.state {
        State::Array(state) => {
            let state = state.clone();
            drop(message);
            return take_state(ctx, state, kind);
        }
        State::Request {
            method,
            url,
            headers,
            body,
        } => {
            let Some(body) = body.take() else {
                return Ok(None);
            };
            Found::Request(HttpRequest {
                method: method.clone(),
                url: url.clone(),
                headers: headers.clone(),
                body,
            })
        }
        State::Response {
            status,
            headers,
            body,
        } => {
            let Some(body) = body.take() else {
                return Ok(None);
            };
            Found::Response(HttpResponse {
                status: *status,
                headers: headers.clone(),
                body,
            })
        }
        State::Text { text: slot, json } => {
            let Some(text) = slot else {
                return Ok(None);
            };
            let body = with_string_utf8(text, Bytes::copy_from_slice)?;
            let mut headers = spare_map();
            // Made at compile time: `from_static` checks the bytes when it runs.
            let value = if *json {
                const { HeaderValue::from_static(CONTENT_TYPE_JSON) }
            } else {
                const { HeaderValue::from_static(CONTENT_TYPE_TEXT) }
            };
            headers.insert(http::header::CONTENT_TYPE, value);
            let text = slot.take();
            // The string is freed with the borrow released.
            drop(message);
            drop(text);
            Found::Response(HttpResponse {
                status: StatusCode::OK,
                headers,
                body: Body::Bytes(body),
            })
        }
        State::Making => return Ok(None),
    };
    Ok(Some(found))
}

/// [`take`] for a message whose state array JavaScript may have changed: the array, header
/// list and body source if it is as it came, marking the body used.
fn take_state<'js>(ctx: &Ctx<'js>, state: Array<'js>, kind: Kind) -> Result<Option<Found<'js>>> {
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
            record.set(B_SOURCE, Value::new_undefined(ctx.clone()))?;
            record.set(B_USED, true)?;
            source
        }
    };
    let headers = state.get(S_HEADER_LIST)?;
    Ok(Some(Found::State(state, headers, source)))
}
