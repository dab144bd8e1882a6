//! The Web platform APIs that Switchyard worker code sees, installed into a QuickJS context by
//! [`install`]: `Request`, `Response`, `Headers`, streams (readable, byte, writable, transform,
//! compression, text coding), `URL`, `URLPattern`, `TextEncoder`/`TextDecoder`, events and
//! `AbortController`, `Blob`/`File`/`FormData`, `crypto` with `crypto.subtle`,
//! `MessageChannel`, `structuredClone`, `console`, `performance` and the rest of the WinterTC
//! minimum common API (docs/compatibility.md lists it).
//!
//! Most of the API is JavaScript (`js/*.js`: a core compiled to bytecode once per process and
//! loaded into each context, and extras loaded on first use) over Rust natives (URL parsing via
//! the `url` crate, UTF-8 coding, randomness, compression, cryptography, the console sink).
//! Bodies that come from Rust stay `bytes::Bytes` or a [`BodyStream`] behind an opaque handle,
//! so a body that worker code forwards without reading goes back out as the very same
//! allocation or stream.
//!
//! This crate does not run anything: it has no event loop, timers, `fetch`, module loader or
//! `cloudflare:workers` module; the embedder drives promises (e.g. with
//! `Ctx::execute_pending_job`) and reads streamed bodies ([`set_stream_reader`]).
//!
//! ```
//! use std::rc::Rc;
//! use rquickjs::{Context, Runtime, Value};
//! use switchyard_web::{HttpRequest, WebOptions, install, request_to_js};
//!
//! let rt = Runtime::new().unwrap();
//! let ctx = Context::full(&rt).unwrap();
//! ctx.with(|ctx| {
//!     install(&ctx, WebOptions { console: Rc::new(|_, line| println!("{line}")), map_stack: None })
//!         .unwrap();
//!     let req = HttpRequest {
//!         method: http::Method::GET,
//!         url: "https://example.com/a?b=1".into(),
//!         headers: http::HeaderMap::new(),
//!         body: switchyard_web::Body::empty(),
//!     };
//!     let req = request_to_js(&ctx, req).unwrap();
//!     let path: String = ctx
//!         .eval::<rquickjs::Function, _>("(r) => new URL(r.url).searchParams.get('b')")
//!         .unwrap()
//!         .call((req,))
//!         .unwrap();
//!     assert_eq!(path, "1");
//! });
//! ```

mod body;
mod bundle;
mod crypto;
mod json;
mod message;
mod natives;
mod stream;
mod urlpattern;
pub mod wire;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use rquickjs::{
    Array, Ctx, Exception, Function, JsLifetime, Object, Persistent, Promise, Result,
    String as JsString, Value,
    module::{Module, WriteOptions},
};

use body::{BodyBytes, body_source_to_bytes, with_string_utf8};
pub use stream::{
    Activity, Body, BodyError, BodySender, BodyStream, StreamHandle, StreamSlot, TrySendError,
};

/// A request crossing between Rust and JS. Its body may still be arriving ([`Body::Stream`]):
/// an upload from the client, or a stream a worker passes on.
#[derive(Debug)]
pub struct HttpRequest {
    pub method: Method,
    /// An absolute URL as the WHATWG URL parser serializes it (`url::Url::as_str`), the form
    /// `request.url` has in JavaScript. [`request_to_js`] takes it as it is: every request
    /// crosses several times through a chain of service bindings, and the URL of one that
    /// came from JavaScript is already in that form. The embedder serializes what it parses.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Body,
}

/// A response crossing between Rust and JS. Its body may still be arriving ([`Body::Stream`]).
#[derive(Debug)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Body,
}

/// The console method a line came from (`trace`, `dir`, `table`, ... map to `Log`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Log,
    Warn,
    Error,
}

/// The console sink: `Rc<dyn Fn(LogLevel, &str)>`.
pub type ConsoleSink = Rc<dyn Fn(LogLevel, &str)>;

/// The stack rewriter: `Rc<dyn Fn(&str) -> String>`.
pub type StackMapper = Rc<dyn Fn(&str) -> String>;

/// Embedder hooks for [`install`].
#[derive(Clone)]
pub struct WebOptions {
    /// Receives every console.* line, already formatted (like Node's util.format / inspect:
    /// strings raw, objects inspected with nesting, Errors as their stack).
    pub console: ConsoleSink,
    /// Rewrites an Error's stack text (the runtime maps transpiled positions back to .ts
    /// sources). Identity if None.
    pub map_stack: Option<StackMapper>,
}

/// The bootstrap compiled once per process. Compiling ~120 KB of JS dominates `install` (~5 ms);
/// loading bytecode avoids that for every context after the first.
static BOOTSTRAP_BYTECODE: OnceLock<Vec<u8>> = OnceLock::new();

/// Without source text every later context is ~285 KiB smaller, and `String(Request)` reads
/// `function Request() { [native code] }`, as V8 shows its built-ins (console prints
/// `[Function: Request]`).
const INTERNAL_WRITE_OPTIONS: WriteOptions = WriteOptions {
    endianness: rquickjs::module::WriteOptionsEndianness::Native,
    allow_shared_array_buffer: false,
    object_reference: false,
    strip_source: true,
    strip_debug: false,
};

fn load_internal_module<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    source: impl FnOnce() -> String,
    cache: &OnceLock<Vec<u8>>,
) -> Result<Function<'js>> {
    let module = match cache.get() {
        // SAFETY: `Module::load` needs valid QuickJS bytecode. These bytes were produced by
        // `Module::write` below, by this same engine build in this same process, and are never
        // modified afterwards.
        Some(bytes) => unsafe { Module::load(ctx.clone(), bytes)? },
        None => {
            let module = Module::declare(ctx.clone(), name, source())?;
            let bytes = module.write(INTERNAL_WRITE_OPTIONS)?;
            let _ = cache.set(bytes);
            module
        }
    };
    let (module, evaluated) = module.eval()?;
    // The module has no top-level await, so this settles without running other jobs.
    evaluated.finish::<()>()?;
    module.get("default")
}

fn bootstrap_function<'js>(ctx: &Ctx<'js>) -> Result<Function<'js>> {
    load_internal_module(
        ctx,
        bundle::BOOTSTRAP_NAME,
        || bundle::bootstrap_source().to_owned(),
        &BOOTSTRAP_BYTECODE,
    )
}

/// `native.loadExtra(name)`: the extra's default export, a function of the kit.
pub(crate) fn load_extra<'js>(ctx: &Ctx<'js>, name: &str) -> Result<Function<'js>> {
    use bundle::EXTRAS;
    static CACHES: [OnceLock<Vec<u8>>; EXTRAS.len()] = [const { OnceLock::new() }; EXTRAS.len()];
    let Some(index) = EXTRAS.iter().position(|e| e.name == name) else {
        return Err(Exception::throw_internal(ctx, "unknown Web API extra"));
    };
    let extra = &EXTRAS[index];
    load_internal_module(
        ctx,
        &format!("switchyard:web/{name}"),
        || bundle::extra_source(extra),
        &CACHES[index],
    )
}

/// The bootstrap's functions that the Rust API calls, kept per context.
struct Internals {
    /// An empty object of each of the `Request` and `Response` prototypes, kept so that the
    /// messages made for each request find their shape (QuickJS's record of an object's
    /// prototype and property layout) instead of making it: a shape is freed with the last
    /// object that has it, and in a hello request making and freeing its messages' shapes
    /// was ~4% of the request.
    _shape_keepers: Vec<Persistent<Object<'static>>>,
    request_prototype: Persistent<Object<'static>>,
    response_prototype: Persistent<Object<'static>>,
    set_response_url: Persistent<Function<'static>>,
    abort_response_body: Persistent<Function<'static>>,
    request_parts: Persistent<Function<'static>>,
    request_signal: Persistent<Function<'static>>,
    response_parts: Persistent<Function<'static>>,
    prepare_request: Persistent<Function<'static>>,
    prepared_request_parts: Persistent<Function<'static>>,
    finalize_response: Persistent<Function<'static>>,
    wire_serialize: Persistent<Function<'static>>,
    wire_deserialize: Persistent<Function<'static>>,
    unhandled_rejection: Persistent<Function<'static>>,
    set_stream_reader: Persistent<Function<'static>>,
    restart_clock: Persistent<Function<'static>>,
}

/// Runtime userdata mapping each installed context to its [`Internals`]. Userdata is per
/// runtime, and a runtime may host several contexts.
#[derive(Default, JsLifetime)]
struct Registry {
    entries: RefCell<Vec<(usize, Rc<Internals>)>>,
}

fn context_key(ctx: &Ctx<'_>) -> usize {
    ctx.as_raw().as_ptr() as usize
}

thread_local! {
    /// The context [`internals`] last found, and what it found: a thread runs one worker's
    /// request at a time, so most lookups are the one before. Runtime userdata is a map by type
    /// behind a `RefCell` (~20 ns a lookup). While the internals live, their persistent handles
    /// keep the context, so its address cannot be another context's.
    static LAST_INTERNALS: RefCell<(usize, std::rc::Weak<Internals>)> =
        const { RefCell::new((0, std::rc::Weak::new())) };
}

/// Empties [`LAST_INTERNALS`]: internals registered or forgotten must be looked up again.
fn forget_last_internals() {
    let _ = LAST_INTERNALS.try_with(|last| *last.borrow_mut() = (0, std::rc::Weak::new()));
}

fn internals(ctx: &Ctx<'_>) -> Result<Rc<Internals>> {
    let key = context_key(ctx);
    let cached = LAST_INTERNALS
        .try_with(|last| {
            let last = last.borrow();
            (last.0 == key).then(|| last.1.upgrade()).flatten()
        })
        .ok()
        .flatten();
    if let Some(internals) = cached {
        return Ok(internals);
    }
    let found = ctx.userdata::<Registry>().and_then(|registry| {
        let entries = registry.entries.borrow();
        entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| Rc::clone(i))
    });
    if let Some(internals) = &found {
        let _ =
            LAST_INTERNALS.try_with(|last| *last.borrow_mut() = (key, Rc::downgrade(internals)));
    }
    found.ok_or_else(|| {
        Exception::throw_internal(
            ctx,
            "switchyard-web: install() was not called on this context",
        )
    })
}

fn get_fn<'js>(ctx: &Ctx<'js>, f: &Persistent<Function<'static>>) -> Result<Function<'js>> {
    f.clone().restore(ctx)
}

/// Defines the Web globals on `ctx.globals()`.
///
/// Call once per context, before any worker code runs (worker code may replace or delete the
/// globals afterwards; the Rust API below keeps working because it holds the originals). The
/// context needs the standard intrinsics (`Context::full`). Its internals are kept in runtime
/// userdata until the runtime is dropped or [`uninstall`] is called.
pub fn install(ctx: &Ctx<'_>, options: WebOptions) -> Result<()> {
    let natives = natives::create(ctx, &options)?;
    let exports: Object = bootstrap_function(ctx)?.call((natives, ctx.globals()))?;
    let get = |name: &str| -> Result<Persistent<Function<'static>>> {
        let f: Function = exports.get(name)?;
        Ok(Persistent::save(ctx, f))
    };
    let request_prototype: Object = exports.get("requestPrototype")?;
    let response_prototype: Object = exports.get("responsePrototype")?;
    let shape_keepers = [&request_prototype, &response_prototype]
        .map(|prototype| Object::new_proto(ctx.clone(), Some(prototype)));
    let internals = Internals {
        _shape_keepers: shape_keepers
            .into_iter()
            .map(|keeper| keeper.map(|keeper| Persistent::save(ctx, keeper)))
            .collect::<Result<_>>()?,
        request_prototype: Persistent::save(ctx, request_prototype),
        response_prototype: Persistent::save(ctx, response_prototype),
        set_response_url: get("setResponseUrl")?,
        abort_response_body: get("abortResponseBody")?,
        request_parts: get("requestParts")?,
        request_signal: get("requestSignal")?,
        response_parts: get("responseParts")?,
        prepare_request: get("prepareRequest")?,
        prepared_request_parts: get("preparedRequestParts")?,
        finalize_response: get("finalizeResponse")?,
        wire_serialize: get("wireSerialize")?,
        wire_deserialize: get("wireDeserialize")?,
        unhandled_rejection: get("unhandledRejection")?,
        set_stream_reader: get("setStreamReader")?,
        restart_clock: get("restartClock")?,
    };
    if ctx.userdata::<Registry>().is_none() {
        ctx.store_userdata(Registry::default())
            .map_err(|_| Exception::throw_internal(ctx, "switchyard-web: userdata is busy"))?;
    }
    let registry = ctx
        .userdata::<Registry>()
        .ok_or_else(|| Exception::throw_internal(ctx, "switchyard-web: userdata missing"))?;
    let key = context_key(ctx);
    forget_last_internals();
    let mut entries = registry.entries.borrow_mut();
    entries.retain(|(k, _)| *k != key);
    entries.push((key, Rc::new(internals)));
    Ok(())
}

/// Forgets the internals [`install`] registered for this context. Runtime userdata holds them
/// (and through them the context) until the runtime is dropped; an embedder that keeps one
/// runtime for many short-lived contexts calls this before dropping each context. The globals
/// stay usable from JS, but the Rust conversion functions fail for this context afterwards.
pub fn uninstall(ctx: &Ctx<'_>) {
    let key = context_key(ctx);
    forget_last_internals();
    if let Some(registry) = ctx.userdata::<Registry>() {
        let removed: Vec<_> = {
            let mut entries = registry.entries.borrow_mut();
            let (gone, kept): (Vec<_>, Vec<_>) = entries.drain(..).partition(|(k, _)| *k == key);
            *entries = kept;
            gone
        };
        // Dropped after the borrow ends: freeing JS values must not happen while it is held.
        drop(removed);
    }
}

/// A JS `Request` for `req`. Its headers are immutable (like Cloudflare's incoming request);
/// the body is a handle to `req.body` (an empty body becomes a null body). `req.url` becomes
/// `request.url` as it is: it must be WHATWG-serialized (see [`HttpRequest::url`]).
pub fn request_to_js<'js>(ctx: &Ctx<'js>, req: HttpRequest) -> Result<Value<'js>> {
    let prototype = internals(ctx)?.request_prototype.clone().restore(ctx)?;
    debug_assert_eq!(
        url::Url::parse(&req.url).map(String::from).as_deref(),
        Ok(req.url.as_str()),
        "HttpRequest::url must be a serialized WHATWG URL"
    );
    message::request_from_rust(req, prototype)
}

/// A JS `Response` for `res` (immutable headers, body as a handle; an empty body becomes a null
/// body).
pub fn response_to_js<'js>(ctx: &Ctx<'js>, res: HttpResponse) -> Result<Value<'js>> {
    let prototype = internals(ctx)?.response_prototype.clone().restore(ctx)?;
    message::response_from_rust(res, prototype)
}

/// The `Request` that `fetch(input, init)` sends (`input` itself when it is a `Request` and
/// there is no `init`), checking its body can still be read: ready for
/// [`request_from_js_streaming`]. Throws the spec's `TypeError` for bad input or a used body.
pub fn prepare_request<'js>(
    ctx: &Ctx<'js>,
    input: Value<'js>,
    init: Option<Value<'js>>,
) -> Result<Value<'js>> {
    let f = get_fn(ctx, &internals(ctx)?.prepare_request)?;
    let init = init.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    f.call((input, init))
}

/// Awaits `value` (a handler's return value or promise), checks it is a `Response` and drains
/// a stream body. Rejects with Cloudflare's `TypeError` "Incorrect type for Promise: the
/// Promise did not resolve to 'Response'." otherwise, or with a `TypeError` if the body was
/// already used.
pub fn finalize_response<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Promise<'js>> {
    let f = get_fn(ctx, &internals(ctx)?.finalize_response)?;
    natives::as_promise(ctx, f.call((value,))?)
}

/// A response that came from the network: sets `response.url` (the final URL) and
/// `response.redirected`.
pub fn response_from_network<'js>(
    ctx: &Ctx<'js>,
    res: HttpResponse,
    url: &str,
    redirected: bool,
) -> Result<Value<'js>> {
    let response = response_to_js(ctx, res)?;
    let f = get_fn(ctx, &internals(ctx)?.set_response_url)?;
    f.call((response, url, redirected))
}

/// A `Request`'s `AbortSignal`, or null when it has none yet: no signal was given and nobody
/// read `request.signal`, so nothing can abort it (and none is made).
pub fn request_signal<'js>(ctx: &Ctx<'js>, req: Value<'js>) -> Result<Value<'js>> {
    let f = get_fn(ctx, &internals(ctx)?.request_signal)?;
    f.call((req,))
}

/// Errors the body of a fetched `Response` with `reason` (the fetch's signal aborted after
/// the headers arrived). A body already read to its end, or used, is left alone.
pub fn abort_response_body<'js>(ctx: &Ctx<'js>, res: Value<'js>, reason: Value<'js>) -> Result<()> {
    let f = get_fn(ctx, &internals(ctx)?.abort_response_body)?;
    f.call((res, reason))
}

/// Fires an `unhandledrejection` event (a `PromiseRejectionEvent`) on `globalThis`. Returns
/// whether the rejection should still be reported: false when a listener called
/// `preventDefault()`.
pub fn unhandled_rejection<'js>(
    ctx: &Ctx<'js>,
    promise: Value<'js>,
    reason: Value<'js>,
) -> Result<bool> {
    let f = get_fn(ctx, &internals(ctx)?.unhandled_rejection)?;
    f.call((promise, reason))
}

/// Extracts a prepared `Request` and marks its body used. A body that is a JavaScript
/// `ReadableStream` is returned as the second value (the request's body is then empty): the
/// embedder pumps it into a [`BodyStream`]. A body that came from Rust as a stream and was not
/// touched is taken back whole.
pub fn request_from_js_streaming<'js>(
    ctx: &Ctx<'js>,
    req: Value<'js>,
) -> Result<(HttpRequest, Option<Value<'js>>)> {
    if let Some(taken) = message::take_request(ctx, &req)? {
        return Ok(taken);
    }
    let f = get_fn(ctx, &internals(ctx)?.request_parts)?;
    request_from_part_list(ctx, f.call((req,))?)
}

/// [`prepare_request`] and [`request_from_js_streaming`] at once: what `fetch(input, init)`
/// sends, taken apart.
pub fn prepared_request_from_js_streaming<'js>(
    ctx: &Ctx<'js>,
    input: Value<'js>,
    init: Option<Value<'js>>,
) -> Result<(HttpRequest, Option<Value<'js>>)> {
    let init = init.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    // `fetch(request)` sends `request` itself.
    if init.is_undefined()
        && let Some(taken) = message::take_request(ctx, &input)?
    {
        return Ok(taken);
    }
    // `fetch(url)`: the GET `new Request(url)` would make, without making it.
    if init.is_undefined()
        && let Some(url) = input.as_string()
        && let Some(url) = plain_request_url(url)?
    {
        let request = HttpRequest {
            method: Method::GET,
            url,
            headers: http::HeaderMap::new(),
            body: Body::empty(),
        };
        return Ok((request, None));
    }
    let f = get_fn(ctx, &internals(ctx)?.prepared_request_parts)?;
    request_from_part_list(ctx, f.call((input, init))?)
}

/// The URL of `new Request(url)` when `url` makes one without an error: an absolute URL,
/// parsed as `native.urlParse` parses it, with no credentials. `None` for anything else (a lone
/// surrogate, which the constructor converts first, included): the constructor gives the
/// error, or the URL.
fn plain_request_url(url: &rquickjs::String<'_>) -> Result<Option<String>> {
    body::with_string_utf8(url, |bytes| {
        let parsed = url::Url::parse(std::str::from_utf8(bytes).ok()?).ok()?;
        let plain = parsed.username().is_empty() && parsed.password().is_none();
        plain.then(|| String::from(parsed))
    })
}

/// A request from what `requestParts` returns: [method, url, header list, body source].
fn request_from_part_list<'js>(
    ctx: &Ctx<'js>,
    parts: Array<'js>,
) -> Result<(HttpRequest, Option<Value<'js>>)> {
    let (method, url) = (parts.get(0)?, parts.get(1)?);
    request_from_parts(ctx, method, url, parts.get(2)?, parts.get(3)?)
}

/// A request from its method, URL, header list and body source (as `requestParts` gives them).
fn request_from_parts<'js>(
    ctx: &Ctx<'js>,
    method: String,
    url: String,
    headers: Value<'js>,
    source: Value<'js>,
) -> Result<(HttpRequest, Option<Value<'js>>)> {
    let headers = headers_from_js(ctx, &headers)?;
    let (body, stream) = body_from_js(ctx, source, "Request")?;
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Exception::throw_type(ctx, "Invalid method"))?;
    Ok((
        HttpRequest {
            method,
            url,
            headers,
            body,
        },
        stream,
    ))
}

/// Like [`request_from_js_streaming`] for a request whose body must be in hand: a
/// `ReadableStream` body is an error.
pub fn request_from_js<'js>(ctx: &Ctx<'js>, req: Value<'js>) -> Result<HttpRequest> {
    match request_from_js_streaming(ctx, req)? {
        (request, None) => Ok(request),
        (_, Some(_)) => Err(Exception::throw_type(
            ctx,
            "Request body is a JavaScript stream: use request_from_js_streaming and pump it",
        )),
    }
}

/// A body source from `requestParts`/`responseParts`: a Rust stream taken back whole, a
/// JavaScript stream for the embedder to pump, or bytes.
fn body_from_js<'js>(
    ctx: &Ctx<'js>,
    source: Value<'js>,
    what: &str,
) -> Result<(Body, Option<Value<'js>>)> {
    if let Some(cell) = StreamHandle::cell_of(&source) {
        return match cell.borrow_mut().stream.take() {
            Some(taken) => Ok((Body::Stream(taken), None)),
            None => Err(Exception::throw_type(
                ctx,
                &format!("{what} body stream has already been read"),
            )),
        };
    }
    if source.is_object() && !BodyBytes::is_handle(&source) {
        return Ok((Body::empty(), Some(source)));
    }
    Ok((Body::Bytes(body_source_to_bytes(ctx, source)?), None))
}

/// Extracts a finalized `Response` and marks its body used. Anything else, a used body or
/// `Response.error()` is a `TypeError` (for a non-Response, Cloudflare's "Incorrect type for
/// Promise"). A body that is a JavaScript `ReadableStream` is returned as the second value
/// (the response's body is then empty): the embedder pumps it into a [`BodyStream`]. A body
/// that came from Rust as a stream and was not touched is taken back whole.
pub fn response_from_js_streaming<'js>(
    ctx: &Ctx<'js>,
    res: Value<'js>,
) -> Result<(HttpResponse, Option<Value<'js>>)> {
    try_response_from_js_streaming(ctx, res)?.ok_or_else(|| {
        Exception::throw_type(
            ctx,
            "Incorrect type for Promise: the Promise did not resolve to 'Response'.",
        )
    })
}

/// What a raw QuickJS call (`JS_Call`, `JS_CallConstructor2`) returned, as rquickjs's own calls
/// give it: an owned value, or [`rquickjs::Error::Exception`] with the exception pending in
/// `ctx`. rquickjs keeps a Rust panic in a callback the call ran and throws in its place a bare
/// exception tag (or, from the interrupt handler, an uncatchable error); only its own calls look
/// for the panic. For such an exception this resumes the panic, as rquickjs's call would have.
/// (rquickjs looks on every exception: one that JavaScript caught and replaced is missed here.)
///
/// # Safety
/// `value` belongs to `ctx`'s runtime and is the caller's to own (a call's result is).
pub unsafe fn from_raw_call<'js>(
    ctx: &Ctx<'js>,
    value: rquickjs::qjs::JSValue,
) -> Result<Value<'js>> {
    use rquickjs::qjs;
    // SAFETY: reading the tag of a value.
    if !unsafe { qjs::JS_IsException(value) } {
        // SAFETY: the caller's owned value of this runtime.
        return Ok(unsafe { Value::from_raw(ctx.clone(), value) });
    }
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: taking and putting back the pending exception of a live context.
    unsafe {
        let pending = qjs::JS_GetException(raw);
        if qjs::JS_VALUE_GET_TAG(pending) == qjs::JS_TAG_EXCEPTION
            || qjs::JS_IsUncatchableError(pending)
        {
            // A failing call made through rquickjs finds the panic it keeps, and resumes it.
            let _ = ctx.eval::<(), _>("throw 0");
        }
        qjs::JS_Throw(raw, pending);
    }
    Err(rquickjs::Error::Exception)
}

/// The parts of `res` if it is a `Response` Rust can take as it is, with no JavaScript run (one
/// JavaScript made with `new Response(text)` or got from Rust and left alone); `None` for
/// anything else, which [`try_response_from_js_streaming`] handles. A cheap first look at a
/// handler's return value, before asking whether it is a promise.
pub fn take_plain_response<'js>(
    ctx: &Ctx<'js>,
    res: &Value<'js>,
) -> Result<Option<(HttpResponse, Option<Value<'js>>)>> {
    message::take_response(ctx, res)
}

/// [`response_from_js_streaming`] for a value that may not be a `Response` at all: `None`
/// then (a handler's return value that is a promise or another thenable, say, for
/// [`finalize_response`]). A handler that returns a `Response` directly needs no promise.
pub fn try_response_from_js_streaming<'js>(
    ctx: &Ctx<'js>,
    res: Value<'js>,
) -> Result<Option<(HttpResponse, Option<Value<'js>>)>> {
    if let Some(taken) = message::take_response(ctx, &res)? {
        return Ok(Some(taken));
    }
    response_parts_from_js(ctx, res)
}

/// [`try_response_from_js_streaming`] without its first look, for a value
/// [`take_plain_response`] already said `None` to: fetch.js's `responseParts` takes it apart.
pub fn response_parts_from_js<'js>(
    ctx: &Ctx<'js>,
    res: Value<'js>,
) -> Result<Option<(HttpResponse, Option<Value<'js>>)>> {
    let f = get_fn(ctx, &internals(ctx)?.response_parts)?;
    let Some(parts) = f.call::<_, Option<Array>>((res,))? else {
        return Ok(None);
    };
    response_from_parts(ctx, parts.get(0)?, parts.get(1)?, parts.get(2)?).map(Some)
}

/// A response from its status, header list and body source (as `responseParts` gives them).
fn response_from_parts<'js>(
    ctx: &Ctx<'js>,
    status: u16,
    headers: Value<'js>,
    source: Value<'js>,
) -> Result<(HttpResponse, Option<Value<'js>>)> {
    let headers = headers_from_js(ctx, &headers)?;
    let status = StatusCode::from_u16(status)
        .map_err(|_| Exception::throw_range(ctx, "Invalid response status"))?;
    let (body, stream) = body_from_js(ctx, source, "Response")?;
    Ok((
        HttpResponse {
            status,
            headers,
            body,
        },
        stream,
    ))
}

/// Like [`response_from_js_streaming`] for a response whose body must be in hand: a
/// `ReadableStream` body is an error.
pub fn response_from_js<'js>(ctx: &Ctx<'js>, res: Value<'js>) -> Result<HttpResponse> {
    match response_from_js_streaming(ctx, res)? {
        (response, None) => Ok(response),
        (_, Some(_)) => Err(Exception::throw_type(
            ctx,
            "Response body is a JavaScript stream: use response_from_js_streaming and pump it",
        )),
    }
}

/// A copy of the bytes a `Uint8Array` views (empty if its buffer was detached).
pub fn copy_u8_array(view: &rquickjs::TypedArray<'_, u8>) -> Bytes {
    body::with_u8_array(view, Bytes::copy_from_slice).unwrap_or_default()
}

/// Lets the body machinery read streamed bodies: `reader(handle)` must return a promise of the
/// next chunk (a `Uint8Array`) or `null` at the end, reading the [`BodyStream`] behind the
/// [`StreamHandle`]. Without one, reading such a body rejects.
pub fn set_stream_reader<'js>(ctx: &Ctx<'js>, reader: Function<'js>) -> Result<()> {
    let f = get_fn(ctx, &internals(ctx)?.set_stream_reader)?;
    f.call((reader,))
}

/// Starts `performance`'s clock again: `performance.timeOrigin` becomes now, and
/// `performance.now()` counts from here. For a context prepared in advance, when the worker it
/// was prepared for starts.
pub fn restart_clock(ctx: &Ctx<'_>) -> Result<()> {
    let f = get_fn(ctx, &internals(ctx)?.restart_clock)?;
    f.call(())
}

/// A body handle for JS: bytes (an empty body is a null body) or a stream.
fn body_into_js<'js>(ctx: &Ctx<'js>, body: Body) -> Result<Value<'js>> {
    match body {
        Body::Bytes(bytes) if bytes.is_empty() => Ok(Value::new_null(ctx.clone())),
        Body::Bytes(bytes) => BodyBytes::into_js(ctx, bytes),
        Body::Stream(stream) => StreamHandle::into_js(ctx, stream),
    }
}

/// Header values are ByteStrings in JS: one char per byte.
fn latin1_to_js<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> Result<Value<'js>> {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => JsString::from_str(ctx.clone(), s)?,
        _ => {
            let s: String = bytes.iter().map(|&b| char::from(b)).collect();
            JsString::from_str(ctx.clone(), &s)?
        }
    };
    Ok(s.into_value())
}

/// The inverse of [`latin1_to_js`]; `None` if a char is above U+00FF.
fn latin1_bytes(s: String) -> Option<Vec<u8>> {
    if s.is_ascii() {
        return Some(s.into_bytes());
    }
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// `[name0, value0, name1, value1, ...]`, one pair per field line (set-cookie stays separate).
pub(crate) fn headers_to_js<'js>(ctx: &Ctx<'js>, headers: &HeaderMap) -> Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (i, (name, value)) in headers.iter().enumerate() {
        array.set(2 * i, name.as_str())?;
        array.set(2 * i + 1, latin1_to_js(ctx, value.as_bytes())?)?;
    }
    Ok(array)
}

/// Headers from `requestParts`/`responseParts`: trusted flat pairs, or a `HeaderList` (copied as
/// it is) that nobody converted or that a `Headers` object still reads.
///
/// Pairs are tried first: asking QuickJS whether an array is a Rust class makes it build and
/// discard a TypeError with a stack trace, ~0.3 µs, which every `new Response(text)` paid.
fn headers_from_js<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<HeaderMap> {
    let Some(flat) = value.as_array() else {
        return body::HeaderList::from_js(value)
            .ok_or_else(|| Exception::throw_internal(ctx, "headers are neither a list nor pairs"));
    };
    let mut map = HeaderMap::with_capacity(flat.len() / 2);
    // Read in place (no Rust String each): most names are standard ones, which need no copy.
    let lossy = |name: &JsString| {
        with_string_utf8(name, |bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default()
    };
    let mut items = flat.iter::<JsString>();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        let (name, value) = (name?, value?);
        let header_name = with_string_utf8(&name, HeaderName::from_bytes)?.map_err(|_| {
            Exception::throw_type(ctx, &format!("Invalid header name: {}", lossy(&name)))
        })?;
        let header_value = with_string_utf8(&value, |bytes| {
            if bytes.is_ascii() {
                return HeaderValue::from_bytes(bytes).ok();
            }
            let text = std::str::from_utf8(bytes).ok()?;
            latin1_bytes(text.to_owned())
                .and_then(|v| HeaderValue::from_maybe_shared(Bytes::from(v)).ok())
        })?
        .ok_or_else(|| {
            Exception::throw_type(ctx, &format!("Invalid header value for '{}'", lossy(&name)))
        })?;
        map.append(header_name, header_value);
    }
    Ok(map)
}
