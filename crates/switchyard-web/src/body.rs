//! Body bytes owned by Rust, and the few places where Rust reads or writes memory that belongs to
//! JS `ArrayBuffer`s.

use bytes::{Bytes, BytesMut};
use rquickjs::{
    Array, ArrayBuffer, Class, Ctx, Exception, JsLifetime, Result, String as JsString, TypedArray,
    Value, class::Trace,
};

/// An opaque JS handle to a body that Rust produced (or that JS bytes were copied into once).
///
/// Request/Response objects keep this handle instead of JS bytes, so a body that JS forwards
/// without reading goes back to Rust as the very same refcounted `Bytes`. JS never sees the
/// class constructor; handles only live in private fields of the body classes.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(frozen)]
pub(crate) struct BodyBytes {
    #[qjs(skip_trace)]
    pub(crate) bytes: Bytes,
}

impl BodyBytes {
    pub(crate) fn into_js<'js>(ctx: &Ctx<'js>, bytes: Bytes) -> Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), BodyBytes { bytes })?.into_value())
    }

    /// Whether `value` is a handle.
    pub(crate) fn is_handle(value: &Value<'_>) -> bool {
        value
            .as_object()
            .is_some_and(|o| Class::<BodyBytes>::from_object(o).is_some())
    }

    /// The `Bytes` behind a handle, if `value` is one.
    pub(crate) fn from_js(value: &Value<'_>) -> Option<Bytes> {
        let object = value.as_object()?;
        let class = Class::<BodyBytes>::from_object(object)?;
        let bytes = class.try_borrow().ok()?.bytes.clone();
        Some(bytes)
    }
}

/// The headers of a request or response that came from Rust, kept as Rust holds them until
/// JavaScript reads `headers` (then it becomes a `Headers` object). One that goes back to Rust
/// untouched (a forwarded request, a passed-through response) is never converted at all.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(frozen)]
pub(crate) struct HeaderList {
    #[qjs(skip_trace)]
    pub(crate) map: http::HeaderMap,
}

impl HeaderList {
    pub(crate) fn into_js<'js>(ctx: &Ctx<'js>, map: http::HeaderMap) -> Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), HeaderList { map })?.into_value())
    }

    /// A copy of the headers behind a handle, if `value` is one.
    pub(crate) fn from_js(value: &Value<'_>) -> Option<http::HeaderMap> {
        HeaderList::with_map(value, http::HeaderMap::clone)
    }

    /// `f` of the headers behind a handle, if `value` is one.
    pub(crate) fn with_map<R>(
        value: &Value<'_>,
        f: impl FnOnce(&http::HeaderMap) -> R,
    ) -> Option<R> {
        let object = value.as_object()?;
        let class = Class::<HeaderList>::from_object(object)?;
        let list = class.try_borrow().ok()?;
        Some(f(&list.map))
    }
}

/// Calls `f` with bytes `[offset, offset + len)` of the (Shared)ArrayBuffer `buffer`.
///
/// Returns `None` when `buffer` is not a live buffer or the range is out of bounds (a buffer can
/// shrink between JS reading `byteLength` and this call).
pub(crate) fn with_buffer<'js, R>(
    ctx: &Ctx<'js>,
    buffer: &Value<'js>,
    offset: usize,
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let raw = ArrayBuffer::from_value(buffer.clone()).and_then(|b| b.as_raw());
    let Some(raw) = raw else {
        // QuickJS leaves a TypeError pending when the class check fails; it is an ordinary
        // "no" for us and must not surface later as an unrelated exception.
        let _ = ctx.catch();
        return None;
    };
    let end = offset.checked_add(len)?;
    if end > raw.len() {
        return None;
    }
    // SAFETY: `raw` is the backing store of a buffer we hold a reference to, so the GC cannot free
    // it. Only running JS can detach, resize or write it; `f` is our own code that at most
    // allocates JS values (QuickJS's GC never moves or frees reachable buffers and runs no JS
    // synchronously). A SharedArrayBuffer is no exception: a context has no other agents
    // (workers) that could write it concurrently. The slice does not outlive this call.
    let all: &[u8] = unsafe { raw.as_ref() };
    Some(f(&all[offset..end]))
}

/// Calls `f` with the UTF-8 form of `text`: for a plain ASCII string QuickJS lends its own
/// bytes, for any other it makes a copy. A lone surrogate is encoded as itself (3 bytes), so
/// the bytes are not always valid UTF-8. (json.rs has its own, on raw values.)
///
/// It asks QuickJS directly: rquickjs's `to_cstring` takes a reference to the string and two to
/// its context on the way, and this runs twice for every `new Response(text)` that leaves.
pub(crate) fn with_string_utf8<R>(text: &JsString<'_>, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
    /// The bytes QuickJS lent, given back however `f` ends.
    struct Lent(*mut rquickjs::qjs::JSContext, *const std::ffi::c_char);
    impl Drop for Lent {
        fn drop(&mut self) {
            // SAFETY: a C string of this context from `JS_ToCStringLen`, freed once.
            unsafe { rquickjs::qjs::JS_FreeCString(self.0, self.1) };
        }
    }
    let ctx = text.ctx().as_raw().as_ptr();
    let mut len = 0;
    // SAFETY: a live string of `ctx`; converting a string runs no JavaScript.
    let utf8 = unsafe { rquickjs::qjs::JS_ToCStringLen(ctx, &mut len, text.as_raw()) };
    if utf8.is_null() {
        // Out of memory, with the exception pending.
        return Err(rquickjs::Error::Exception);
    }
    let lent = Lent(ctx, utf8);
    // SAFETY: QuickJS's `len` bytes at `utf8`, kept until `lent` is dropped, after `f`.
    let bytes = unsafe { std::slice::from_raw_parts(lent.1.cast::<u8>(), len) };
    Ok(f(bytes))
}

/// Like [`with_buffer`] but mutable, for APIs that fill caller-provided memory
/// (`crypto.getRandomValues`, `TextEncoder.encodeInto`).
pub(crate) fn with_buffer_mut<'js, R>(
    ctx: &Ctx<'js>,
    buffer: &Value<'js>,
    offset: usize,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> R,
) -> Option<R> {
    let raw = ArrayBuffer::from_value(buffer.clone()).and_then(|b| b.as_raw());
    let Some(mut raw) = raw else {
        let _ = ctx.catch();
        return None;
    };
    let end = offset.checked_add(len)?;
    if end > raw.len() {
        return None;
    }
    // SAFETY: as in `with_buffer`; additionally no other Rust reference to this memory exists
    // while `f` runs, and JS (the only other writer) cannot run. Callers reject immutable
    // buffers on the JS side before calling in.
    let all: &mut [u8] = unsafe { raw.as_mut() };
    Some(f(&mut all[offset..end]))
}

/// Calls `f` with the bytes viewed by a `Uint8Array`.
pub(crate) fn with_u8_array<'js, R>(
    view: &TypedArray<'js, u8>,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let raw = view.as_raw()?;
    // SAFETY: see `with_buffer`; the view keeps its buffer alive and no JS runs during `f`.
    let bytes: &[u8] = unsafe { raw.as_ref() };
    Some(f(bytes))
}

/// Decodes UTF-8 the way the Encoding spec's "UTF-8 decode" does: a leading BOM is dropped,
/// invalid sequences become U+FFFD (maximal subparts, as `from_utf8_lossy`).
pub(crate) fn utf8_to_js<'js>(ctx: &Ctx<'js>, bytes: &[u8], strip_bom: bool) -> Result<Value<'js>> {
    let bytes = if strip_bom {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    let text = std::string::String::from_utf8_lossy(bytes);
    Ok(JsString::from_str(ctx.clone(), &text)?.into_value())
}

/// Turns a body source kept by the JS side into bytes: `null`/`undefined` (no body), a string
/// (UTF-8 encoded; the JS side keeps body strings well-formed) or a [`BodyBytes`] handle.
pub(crate) fn body_source_to_bytes<'js>(ctx: &Ctx<'js>, source: Value<'js>) -> Result<Bytes> {
    if source.is_null() || source.is_undefined() {
        return Ok(Bytes::new());
    }
    if let Some(s) = source.as_string() {
        return Ok(Bytes::from(s.to_string()?.into_bytes()));
    }
    if let Some(bytes) = BodyBytes::from_js(&source) {
        return Ok(bytes);
    }
    Err(Exception::throw_type(
        ctx,
        "Body is not in a form Rust can extract",
    ))
}

/// Concatenates `Uint8Array` chunks (a drained stream) into one `Bytes`, copying once.
pub(crate) fn chunks_to_bytes<'js>(chunks: &Array<'js>) -> Result<Bytes> {
    let mut views = Vec::with_capacity(chunks.len());
    for chunk in chunks.iter::<TypedArray<'js, u8>>() {
        views.push(chunk?);
    }
    let total: usize = views
        .iter()
        .map(|v| with_u8_array(v, |b| b.len()).unwrap_or(0))
        .sum();
    let mut out = BytesMut::with_capacity(total);
    for view in &views {
        with_u8_array(view, |b| out.extend_from_slice(b));
    }
    Ok(out.freeze())
}
