//! The Rust functions behind the JS implementation.
//!
//! They are handed to the bootstrap as properties of one plain object, so none of them is
//! reachable from worker code. Natives trust their (internal) callers for argument types and
//! signal ordinary failures with `null`; the JS side turns those into the spec's exceptions,
//! which keeps error classes and messages in one place.

use std::rc::Rc;

use bytes::Bytes;
use rquickjs::{
    Array, ArrayBuffer, Class, Ctx, Function, JsLifetime, Object, Promise, Result,
    String as JsString, TypedArray, Value, class::Trace, function::Opt, promise::PromiseState,
};
use url::Url;

use crate::body::{
    BodyBytes, chunks_to_bytes, utf8_to_js, with_buffer, with_buffer_mut, with_string_utf8,
};
use crate::message::{Kind, Message};
use crate::{LogLevel, WebOptions};

/// Converts a byte offset/length that JS computed into a `usize`; JS only passes integers
/// read from `byteOffset`/`byteLength`, anything else is treated as out of range.
fn index(value: f64) -> Option<usize> {
    if value >= 0.0 && value.fract() == 0.0 && value <= usize::MAX as f64 {
        Some(value as usize)
    } else {
        None
    }
}

fn null<'js>(ctx: &Ctx<'js>) -> Value<'js> {
    Value::new_null(ctx.clone())
}

// ---------------------------------------------------------------------------------------------
// Bodies

fn body_text<'js>(ctx: Ctx<'js>, handle: Value<'js>) -> Result<Value<'js>> {
    match BodyBytes::from_js(&handle) {
        Some(bytes) => utf8_to_js(&ctx, &bytes, true),
        None => Ok(JsString::from_str(ctx, "")?.into_value()),
    }
}

/// A body's JSON value, parsed from its bytes (after a byte order mark, as `text()` skips);
/// `undefined`, which no JSON text gives, when `JSON.parse` must parse the decoded text (it
/// then gives the value, or the error, JavaScript would see).
pub(crate) fn body_json<'js>(ctx: Ctx<'js>, handle: Value<'js>) -> Result<Value<'js>> {
    let bytes = BodyBytes::from_js(&handle).unwrap_or_default();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let value = crate::json::parse::parse_bytes(&ctx, text)?;
    Ok(value.unwrap_or_else(|| Value::new_undefined(ctx)))
}

fn body_array_buffer<'js>(ctx: Ctx<'js>, handle: Value<'js>) -> Result<ArrayBuffer<'js>> {
    let bytes = BodyBytes::from_js(&handle).unwrap_or_default();
    ArrayBuffer::new_copy(ctx, &bytes[..])
}

fn body_from_buffer<'js>(
    ctx: Ctx<'js>,
    buffer: Value<'js>,
    offset: f64,
    len: f64,
) -> Result<Value<'js>> {
    let bytes = match (index(offset), index(len)) {
        (Some(offset), Some(len)) => {
            with_buffer(&ctx, &buffer, offset, len, Bytes::copy_from_slice).unwrap_or_default()
        }
        _ => Bytes::new(),
    };
    BodyBytes::into_js(&ctx, bytes)
}

fn body_from_chunks<'js>(ctx: Ctx<'js>, chunks: Array<'js>) -> Result<Value<'js>> {
    let bytes = chunks_to_bytes(&chunks)?;
    BodyBytes::into_js(&ctx, bytes)
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn encode<'js>(ctx: Ctx<'js>, input: String) -> Result<TypedArray<'js, u8>> {
    // `String` -> `Vec<u8>` moves the allocation; the ArrayBuffer takes ownership of it.
    TypedArray::new(ctx, input.into_bytes())
}

/// `TextEncoder.encodeInto`: writes whole UTF-8 sequences while they fit.
fn encode_into<'js>(
    ctx: Ctx<'js>,
    input: String,
    buffer: Value<'js>,
    offset: f64,
    len: f64,
) -> Result<Object<'js>> {
    let (mut read, mut written) = (0usize, 0usize);
    if let (Some(offset), Some(len)) = (index(offset), index(len)) {
        with_buffer_mut(&ctx, &buffer, offset, len, |dest| {
            for ch in input.chars() {
                let n = ch.len_utf8();
                if written + n > dest.len() {
                    break;
                }
                ch.encode_utf8(&mut dest[written..written + n]);
                written += n;
                read += ch.len_utf16();
            }
        });
    }
    let result = Object::new(ctx)?;
    result.set("read", read as f64)?;
    result.set("written", written as f64)?;
    Ok(result)
}

/// One-shot `TextDecoder.decode` (no streaming state). `null` means a fatal decoding error.
fn decode<'js>(
    ctx: Ctx<'js>,
    buffer: Value<'js>,
    offset: f64,
    len: f64,
    fatal: bool,
    ignore_bom: bool,
) -> Result<Value<'js>> {
    let (Some(offset), Some(len)) = (index(offset), index(len)) else {
        return Ok(JsString::from_str(ctx, "")?.into_value());
    };
    let result = with_buffer(&ctx, &buffer, offset, len, |bytes| {
        let bytes = if ignore_bom {
            bytes
        } else {
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(JsString::from_str(ctx.clone(), text)?.into_value()),
            Err(_) if fatal => Ok(null(&ctx)),
            Err(_) => utf8_to_js(&ctx, bytes, false),
        }
    });
    result.unwrap_or_else(|| Ok(JsString::from_str(ctx.clone(), "")?.into_value()))
}

/// Streaming state of one `TextDecoder`: an incomplete trailing sequence and whether the first
/// code point (the possible BOM) has been produced yet.
#[derive(Trace, JsLifetime, Default)]
#[rquickjs::class]
pub(crate) struct Utf8Decoder {
    #[qjs(skip_trace)]
    pending: Vec<u8>,
    #[qjs(skip_trace)]
    bom_seen: bool,
}

impl Utf8Decoder {
    /// Decodes `input` after any pending bytes. Returns `None` on a fatal error.
    fn decode(
        &mut self,
        input: &[u8],
        fatal: bool,
        ignore_bom: bool,
        stream: bool,
    ) -> Option<String> {
        let joined;
        let mut rest: &[u8] = if self.pending.is_empty() {
            input
        } else {
            let mut all = std::mem::take(&mut self.pending);
            all.extend_from_slice(input);
            joined = all;
            &joined
        };
        let mut out = String::with_capacity(rest.len());
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(text);
                    break;
                }
                Err(err) => {
                    let valid = err.valid_up_to();
                    // The prefix was just validated by `from_utf8`.
                    out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                    match err.error_len() {
                        Some(bad) => {
                            if fatal {
                                return None;
                            }
                            out.push('\u{FFFD}');
                            rest = &rest[valid + bad..];
                        }
                        None if stream => {
                            self.pending = rest[valid..].to_vec();
                            break;
                        }
                        None => {
                            if fatal {
                                return None;
                            }
                            out.push('\u{FFFD}');
                            break;
                        }
                    }
                }
            }
        }
        if !self.bom_seen && !out.is_empty() {
            self.bom_seen = true;
            if !ignore_bom && out.starts_with('\u{FEFF}') {
                out.drain(..'\u{FEFF}'.len_utf8());
            }
        }
        if !stream {
            *self = Utf8Decoder::default();
        }
        Some(out)
    }
}

fn new_decoder<'js>(ctx: Ctx<'js>) -> Result<Class<'js, Utf8Decoder>> {
    Class::instance(ctx, Utf8Decoder::default())
}

/// Streaming `TextDecoder.decode`. `flags`: 1 fatal, 2 ignoreBOM, 4 stream (natives take at
/// most seven arguments).
fn decode_stream<'js>(
    ctx: Ctx<'js>,
    state: Class<'js, Utf8Decoder>,
    buffer: Value<'js>,
    offset: f64,
    len: f64,
    flags: i32,
) -> Result<Value<'js>> {
    let (fatal, ignore_bom, stream) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
    let input: Vec<u8> = match (index(offset), index(len)) {
        (Some(offset), Some(len)) => {
            with_buffer(&ctx, &buffer, offset, len, <[u8]>::to_vec).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let Ok(mut decoder) = state.try_borrow_mut() else {
        return Ok(null(&ctx));
    };
    match decoder.decode(&input, fatal, ignore_bom, stream) {
        Some(text) => Ok(JsString::from_str(ctx, &text)?.into_value()),
        None => {
            *decoder = Utf8Decoder::default();
            Ok(null(&ctx))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CompressionStream / DecompressionStream

/// One compression or decompression stream's state: a flate2 writer over a Vec that collects
/// the output, drained after every chunk.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub(crate) struct Codec {
    #[qjs(skip_trace)]
    inner: Option<CodecInner>,
}

enum CodecInner {
    GzipEncode(flate2::write::GzEncoder<Vec<u8>>),
    ZlibEncode(flate2::write::ZlibEncoder<Vec<u8>>),
    RawEncode(flate2::write::DeflateEncoder<Vec<u8>>),
    GzipDecode(flate2::write::MultiGzDecoder<Vec<u8>>),
    ZlibDecode(flate2::write::ZlibDecoder<Vec<u8>>),
    RawDecode(flate2::write::DeflateDecoder<Vec<u8>>),
}

impl CodecInner {
    fn new(format: &str, decompress: bool) -> Option<CodecInner> {
        use flate2::Compression;
        use flate2::write::*;
        let level = Compression::default();
        Some(match (format, decompress) {
            ("gzip", false) => CodecInner::GzipEncode(GzEncoder::new(Vec::new(), level)),
            ("deflate", false) => CodecInner::ZlibEncode(ZlibEncoder::new(Vec::new(), level)),
            ("deflate-raw", false) => CodecInner::RawEncode(DeflateEncoder::new(Vec::new(), level)),
            ("gzip", true) => CodecInner::GzipDecode(MultiGzDecoder::new(Vec::new())),
            ("deflate", true) => CodecInner::ZlibDecode(ZlibDecoder::new(Vec::new())),
            ("deflate-raw", true) => CodecInner::RawDecode(DeflateDecoder::new(Vec::new())),
            _ => return None,
        })
    }

    /// Feed `input`; returns the output produced so far.
    fn push(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        use std::io::Write;
        macro_rules! run {
            ($w:expr) => {{
                $w.write_all(input)?;
                $w.flush()?;
                Ok(std::mem::take($w.get_mut()))
            }};
        }
        match self {
            CodecInner::GzipEncode(w) => run!(w),
            CodecInner::ZlibEncode(w) => run!(w),
            CodecInner::RawEncode(w) => run!(w),
            CodecInner::GzipDecode(w) => run!(w),
            CodecInner::ZlibDecode(w) => run!(w),
            CodecInner::RawDecode(w) => run!(w),
        }
    }

    /// End of input: the rest of the output. A decoder whose input stopped early fails.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            CodecInner::GzipEncode(w) => w.finish(),
            CodecInner::ZlibEncode(w) => w.finish(),
            CodecInner::RawEncode(w) => w.finish(),
            CodecInner::GzipDecode(w) => w.finish(),
            CodecInner::ZlibDecode(w) => w.finish(),
            CodecInner::RawDecode(w) => w.finish(),
        }
    }
}

/// `format` is "gzip", "deflate" or "deflate-raw"; `null` for anything else.
fn codec_new<'js>(ctx: Ctx<'js>, format: String, decompress: bool) -> Result<Value<'js>> {
    match CodecInner::new(&format, decompress) {
        Some(inner) => Ok(Class::instance(ctx, Codec { inner: Some(inner) })?.into_value()),
        None => Ok(null(&ctx)),
    }
}

/// Feeds the bytes of `buffer[offset..offset+len]`; returns the output as a Uint8Array, or a
/// string describing why the data is not valid compressed data.
fn codec_push<'js>(
    ctx: Ctx<'js>,
    codec: Class<'js, Codec>,
    buffer: Value<'js>,
    offset: f64,
    len: f64,
) -> Result<Value<'js>> {
    let input = match (index(offset), index(len)) {
        (Some(offset), Some(len)) => {
            with_buffer(&ctx, &buffer, offset, len, <[u8]>::to_vec).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut codec = codec.try_borrow_mut()?;
    let Some(inner) = codec.inner.as_mut() else {
        return Ok(JsString::from_str(ctx, "the stream has already finished")?.into_value());
    };
    match inner.push(&input) {
        Ok(out) => Ok(TypedArray::<u8>::new(ctx, out)?.into_value()),
        Err(error) => {
            codec.inner = None;
            Ok(JsString::from_str(ctx, &error.to_string())?.into_value())
        }
    }
}

/// Ends the input: the last output, or a string saying why the data was incomplete.
fn codec_finish<'js>(ctx: Ctx<'js>, codec: Class<'js, Codec>) -> Result<Value<'js>> {
    let mut codec = codec.try_borrow_mut()?;
    let Some(inner) = codec.inner.take() else {
        return Ok(JsString::from_str(ctx, "the stream has already finished")?.into_value());
    };
    match inner.finish() {
        Ok(out) => Ok(TypedArray::<u8>::new(ctx, out)?.into_value()),
        Err(error) => Ok(JsString::from_str(ctx, &error.to_string())?.into_value()),
    }
}

// ---------------------------------------------------------------------------------------------
// URL

/// `[href, protocol, username, password, host, hostname, port, pathname, search, hash]`, the
/// WHATWG getters computed once per parse/set so JS getters are plain field reads.
fn url_record<'js>(ctx: &Ctx<'js>, url: &Url) -> Result<Value<'js>> {
    use url::quirks;
    let parts = [
        quirks::href(url),
        quirks::protocol(url),
        quirks::username(url),
        quirks::password(url),
        quirks::host(url),
        quirks::hostname(url),
        quirks::port(url),
        quirks::pathname(url),
        quirks::search(url),
        quirks::hash(url),
    ];
    // One allocation for the array: growing it a slot at a time was a tenth of `new URL`.
    let mut values = parts.each_ref().map(|_| null(ctx));
    for (value, part) in values.iter_mut().zip(parts) {
        *value = JsString::from_str(ctx.clone(), part)?.into_value();
    }
    Ok(crate::message::array_of(ctx, values)?.into_value())
}

fn url_parse<'js>(ctx: Ctx<'js>, input: String, base: Opt<String>) -> Result<Value<'js>> {
    let base = match base.0 {
        Some(base) => match Url::parse(&base) {
            Ok(base) => Some(base),
            Err(_) => return Ok(null(&ctx)),
        },
        None => None,
    };
    match Url::options().base_url(base.as_ref()).parse(&input) {
        Ok(url) => url_record(&ctx, &url),
        Err(_) => Ok(null(&ctx)),
    }
}

/// Which component `urlSet` changes; mirrors the constants in url.js.
mod url_part {
    pub const HREF: i32 = 0;
    pub const PROTOCOL: i32 = 1;
    pub const USERNAME: i32 = 2;
    pub const PASSWORD: i32 = 3;
    pub const HOST: i32 = 4;
    pub const HOSTNAME: i32 = 5;
    pub const PORT: i32 = 6;
    pub const PATHNAME: i32 = 7;
    pub const SEARCH: i32 = 8;
    pub const HASH: i32 = 9;
    /// The query as serialized by a linked `URLSearchParams` ("" means no query).
    pub const QUERY: i32 = 10;
}

/// Applies a WHATWG setter to `href`. `null` only when the `href` setter fails to parse; the
/// other setters ignore invalid input as the spec says.
fn url_set<'js>(ctx: Ctx<'js>, href: String, which: i32, value: String) -> Result<Value<'js>> {
    use url::quirks;
    let Ok(mut url) = Url::parse(&href) else {
        return Ok(null(&ctx));
    };
    match which {
        url_part::HREF if quirks::set_href(&mut url, &value).is_err() => return Ok(null(&ctx)),
        url_part::HREF => {}
        url_part::PROTOCOL => drop(quirks::set_protocol(&mut url, &value)),
        url_part::USERNAME => drop(quirks::set_username(&mut url, &value)),
        url_part::PASSWORD => drop(quirks::set_password(&mut url, &value)),
        url_part::HOST => drop(quirks::set_host(&mut url, &value)),
        url_part::HOSTNAME => drop(quirks::set_hostname(&mut url, &value)),
        url_part::PORT => drop(quirks::set_port(&mut url, &value)),
        url_part::PATHNAME => quirks::set_pathname(&mut url, &value),
        url_part::SEARCH => quirks::set_search(&mut url, &value),
        url_part::HASH => quirks::set_hash(&mut url, &value),
        url_part::QUERY => url.set_query((!value.is_empty()).then_some(value.as_str())),
        _ => {}
    }
    url_record(&ctx, &url)
}

fn url_origin(href: String) -> String {
    match Url::parse(&href) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => "null".to_owned(),
    }
}

/// application/x-www-form-urlencoded parsing into `[name0, value0, name1, value1, ...]`.
fn form_parse<'js>(ctx: Ctx<'js>, input: String) -> Result<Array<'js>> {
    let array = Array::new(ctx)?;
    let mut i = 0;
    for (name, value) in form_urlencoded::parse(input.as_bytes()) {
        array.set(i, name.as_ref())?;
        array.set(i + 1, value.as_ref())?;
        i += 2;
    }
    Ok(array)
}

/// application/x-www-form-urlencoded serialization of a flat `[name, value, ...]` list.
fn form_serialize(list: Array<'_>) -> Result<String> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    let mut items = list.iter::<String>();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        serializer.append_pair(&name?, &value?);
    }
    Ok(serializer.finish())
}

// ---------------------------------------------------------------------------------------------
// Crypto

fn fill_random<'js>(ctx: Ctx<'js>, buffer: Value<'js>, offset: f64, len: f64) -> bool {
    let (Some(offset), Some(len)) = (index(offset), index(len)) else {
        return false;
    };
    with_buffer_mut(&ctx, &buffer, offset, len, |dest| {
        getrandom::fill(dest).is_ok()
    })
    .unwrap_or(false)
}

/// The bytes of a whole ArrayBuffer, which crypto.js has already copied from the caller's
/// BufferSource.
fn with_whole_buffer<'js, R>(
    ctx: &Ctx<'js>,
    buffer: &Value<'js>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R> {
    let len = ArrayBuffer::from_value(buffer.clone()).map_or(0, |b| b.len());
    with_buffer(ctx, buffer, 0, len, f)
        .ok_or_else(|| rquickjs::Exception::throw_type(ctx, "internal: expected an ArrayBuffer"))
}

/// `crypto.subtle.digest` for a hash name crypto.js has normalised.
fn crypto_digest<'js>(ctx: Ctx<'js>, hash: String, data: Value<'js>) -> Result<ArrayBuffer<'js>> {
    use sha2::Digest;
    let out = with_whole_buffer(&ctx, &data, |bytes| match hash.as_str() {
        "SHA-1" => Some(sha1::Sha1::digest(bytes).to_vec()),
        "SHA-256" => Some(sha2::Sha256::digest(bytes).to_vec()),
        "SHA-384" => Some(sha2::Sha384::digest(bytes).to_vec()),
        "SHA-512" => Some(sha2::Sha512::digest(bytes).to_vec()),
        _ => None,
    })?;
    match out {
        Some(out) => ArrayBuffer::new(ctx, out),
        None => Err(rquickjs::Exception::throw_type(
            &ctx,
            "internal: unknown digest",
        )),
    }
}

enum MacOutput {
    Tag(Vec<u8>),
    Verified(bool),
}

/// HMAC of `data` under `key` with `hash`; `expected` given means verify (constant time) instead.
fn hmac(hash: &str, key: &[u8], data: &[u8], expected: Option<&[u8]>) -> Option<MacOutput> {
    use hmac::{Hmac, Mac};
    fn run<M: Mac + hmac::digest::KeyInit>(
        key: &[u8],
        data: &[u8],
        expected: Option<&[u8]>,
    ) -> Option<MacOutput> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
        mac.update(data);
        Some(match expected {
            Some(expected) => MacOutput::Verified(mac.verify_slice(expected).is_ok()),
            None => MacOutput::Tag(mac.finalize().into_bytes().to_vec()),
        })
    }
    match hash {
        "SHA-1" => run::<Hmac<sha1::Sha1>>(key, data, expected),
        "SHA-256" => run::<Hmac<sha2::Sha256>>(key, data, expected),
        "SHA-384" => run::<Hmac<sha2::Sha384>>(key, data, expected),
        "SHA-512" => run::<Hmac<sha2::Sha512>>(key, data, expected),
        _ => None,
    }
}

fn crypto_hmac_sign<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
) -> Result<ArrayBuffer<'js>> {
    let out = with_whole_buffer(&ctx, &key, |key| {
        with_whole_buffer(&ctx, &data, |data| hmac(&hash, key, data, None))
    })??;
    match out {
        Some(MacOutput::Tag(mac)) => ArrayBuffer::new(ctx, mac),
        _ => Err(rquickjs::Exception::throw_type(
            &ctx,
            "internal: unknown HMAC hash",
        )),
    }
}

fn crypto_hmac_verify<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
    signature: Value<'js>,
) -> Result<bool> {
    let out = with_whole_buffer(&ctx, &key, |key| {
        with_whole_buffer(&ctx, &data, |data| {
            with_whole_buffer(&ctx, &signature, |signature| {
                hmac(&hash, key, data, Some(signature))
            })
        })
    })???;
    match out {
        Some(MacOutput::Verified(ok)) => Ok(ok),
        _ => Err(rquickjs::Exception::throw_type(
            &ctx,
            "internal: unknown HMAC hash",
        )),
    }
}

/// Milliseconds since the Unix epoch, monotonic within the process (read from one anchor), with
/// microsecond resolution: `performance.now()` and `Event.timeStamp` are differences of these.
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    static ANCHOR: OnceLock<(Instant, f64)> = OnceLock::new();
    let (instant, epoch_ms) = ANCHOR.get_or_init(|| {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (Instant::now(), since_epoch.as_secs_f64() * 1000.0)
    });
    let elapsed_us = instant.elapsed().as_micros() as f64;
    epoch_ms + elapsed_us / 1000.0
}

fn random_uuid() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| rquickjs::Error::Unknown)?;
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Misc

/// `[0]` pending, `[1, value]` fulfilled, `[2, reason]` rejected; `null` for non-promises. Used
/// by console inspection (`Promise { <pending> }`).
fn promise_state<'js>(ctx: Ctx<'js>, value: Value<'js>) -> Result<Value<'js>> {
    let Some(promise) = value.as_promise() else {
        return Ok(null(&ctx));
    };
    let array = Array::new(ctx.clone())?;
    match promise.state() {
        PromiseState::Pending => array.set(0, 0)?,
        PromiseState::Resolved => {
            array.set(0, 1)?;
            array.set(
                1,
                promise
                    .result::<Value>()
                    .unwrap_or_else(|| Ok(null(&ctx)))?,
            )?;
        }
        PromiseState::Rejected => {
            array.set(0, 2)?;
            // `result` re-throws the reason; take it back off the context.
            let _ = promise.result::<Value>();
            array.set(1, ctx.catch())?;
        }
    }
    Ok(array.into_value())
}

/// The innermost target of a proxy, so console inspection never runs proxy traps (as Node
/// does by default); `undefined` for anything else (and for revoked proxies).
fn proxy_target<'js>(ctx: Ctx<'js>, value: Value<'js>) -> Result<Value<'js>> {
    let mut current = value;
    let mut found = false;
    while let Some(proxy) = current.as_proxy() {
        match proxy.target() {
            Ok(target) => {
                current = target.into_value();
                found = true;
            }
            Err(_) => {
                let _ = ctx.catch();
                return Ok(Value::new_undefined(ctx));
            }
        }
    }
    Ok(if found {
        current
    } else {
        Value::new_undefined(ctx)
    })
}

fn is_array_buffer<'js>(ctx: Ctx<'js>, value: Value<'js>) -> bool {
    if !value.is_object() {
        return false;
    }
    let ok = ArrayBuffer::from_value(value).is_some();
    if !ok {
        let _ = ctx.catch();
    }
    ok
}

/// Runs `f(arg)` as a microtask in the engine's job queue, in order with promise jobs.
fn enqueue_job<'js>(f: Function<'js>, arg: Value<'js>) -> Result<()> {
    f.defer((arg,))
}

fn level(n: i32) -> LogLevel {
    match n {
        0 => LogLevel::Debug,
        1 => LogLevel::Info,
        3 => LogLevel::Warn,
        4 => LogLevel::Error,
        _ => LogLevel::Log,
    }
}

pub(crate) fn set_fn<'js, P, F>(object: &Object<'js>, name: &str, f: F) -> Result<()>
where
    F: rquickjs::function::IntoJsFunc<'js, P> + 'js,
{
    let function = Function::new(object.ctx().clone(), f)?.with_name(name)?;
    object.set(name, function)
}

fn illegal_invocation(ctx: &Ctx<'_>) -> rquickjs::Error {
    rquickjs::Exception::throw_type(ctx, "Illegal invocation")
}

/// Builds the object passed to the bootstrap as `native`.
pub(crate) fn create<'js>(ctx: &Ctx<'js>, options: &WebOptions) -> Result<Object<'js>> {
    let n = Object::new(ctx.clone())?;
    // Made before the bootstrap replaces the global: it keeps the builtin to fall back on.
    n.set("jsonStringify", crate::json::stringify_function(ctx)?)?;
    n.set("jsonParse", crate::json::parse::parse_function(ctx)?)?;
    set_fn(&n, "bodyText", body_text)?;
    set_fn(&n, "bodyJson", body_json)?;
    set_fn(&n, "bodyArrayBuffer", body_array_buffer)?;
    set_fn(&n, "bodyFromBuffer", body_from_buffer)?;
    set_fn(&n, "bodyFromChunks", body_from_chunks)?;

    set_fn(&n, "encode", encode)?;
    set_fn(&n, "encodeInto", encode_into)?;
    set_fn(&n, "decode", decode)?;
    set_fn(&n, "newDecoder", new_decoder)?;
    // A HeaderList handle as trusted [name, value, ...] (see fetch.js, materializing headers).
    set_fn(
        &n,
        "headerListFlat",
        |ctx: Ctx<'js>, value: Value<'js>| -> Result<rquickjs::Array<'js>> {
            let flat = |map: &http::HeaderMap| crate::headers_to_js(&ctx, map);
            crate::body::HeaderList::with_map(&value, flat)
                .unwrap_or_else(|| rquickjs::Array::new(ctx.clone()))
        },
    )?;
    // `get` and `has` on a HeaderList handle, for a `Headers` that still reads one (headers.js's
    // #rust), with `name` already validated and lowercased: the values joined as the spec
    // combines them, or null.
    set_fn(
        &n,
        "headerListGet",
        |ctx: Ctx<'js>, list: Value<'js>, name: JsString<'js>| -> Result<Value<'js>> {
            let null = || Ok(Value::new_null(ctx.clone()));
            with_string_utf8(&name, |name| {
                let Ok(name) = std::str::from_utf8(name) else {
                    return null();
                };
                let get = |map: &http::HeaderMap| {
                    let mut values = map.get_all(name).iter().peekable();
                    let Some(first) = values.next() else {
                        return null();
                    };
                    if values.peek().is_none() {
                        return crate::latin1_to_js(&ctx, first.as_bytes());
                    }
                    let mut combined = first.as_bytes().to_vec();
                    for value in values {
                        combined.extend_from_slice(b", ");
                        combined.extend_from_slice(value.as_bytes());
                    }
                    crate::latin1_to_js(&ctx, &combined)
                };
                crate::body::HeaderList::with_map(&list, get).unwrap_or_else(null)
            })?
        },
    )?;
    set_fn(
        &n,
        "headerListHas",
        |list: Value<'js>, name: JsString<'js>| -> Result<bool> {
            with_string_utf8(&name, |name| {
                crate::body::HeaderList::with_map(&list, |map| {
                    std::str::from_utf8(name).is_ok_and(|name| map.contains_key(name))
                })
                .unwrap_or(false)
            })
        },
    )?;
    // Request and Response objects (see message.rs).
    set_fn(
        &n,
        "newMessage",
        |ctx: Ctx<'js>, prototype: Object<'js>, kind: u8, state: rquickjs::Array<'js>| {
            let kind = Kind::from_js(kind)
                .ok_or_else(|| rquickjs::Exception::throw_internal(&ctx, "unknown message kind"))?;
            Message::into_js(kind, state, prototype)
        },
    )?;
    // The global `Response` (see response_constructor), made by globals.js from fetch.js's class.
    set_fn(
        &n,
        "responseConstructor",
        |ctx: Ctx<'js>, class: Function<'js>, prototype: Object<'js>| {
            crate::message::response_constructor(&ctx, class, prototype)
        },
    )?;
    set_fn(
        &n,
        "textResponse",
        |prototype: Object<'js>, text: JsString<'js>, json: bool| {
            crate::message::text_response(prototype, text, json)
        },
    )?;
    n.set("contentTypeText", crate::message::CONTENT_TYPE_TEXT)?;
    n.set("contentTypeJson", crate::message::CONTENT_TYPE_JSON)?;
    set_fn(
        &n,
        "messageState",
        |value: Value<'js>, kind: u8| match Kind::from_js(kind) {
            Some(kind) => Message::state(&value, kind),
            None => Ok(None),
        },
    )?;
    set_fn(&n, "requestState", |ctx: Ctx<'js>, value: Value<'js>| {
        Message::state(&value, Kind::Request)?.ok_or_else(|| illegal_invocation(&ctx))
    })?;
    set_fn(
        &n,
        "requestSlot",
        |ctx: Ctx<'js>, value: Value<'js>, slot: usize| -> Result<Value<'js>> {
            Message::request_slot(&value, slot)?.ok_or_else(|| illegal_invocation(&ctx))
        },
    )?;
    set_fn(&n, "responseState", |ctx: Ctx<'js>, value: Value<'js>| {
        Message::state(&value, Kind::Response)?.ok_or_else(|| illegal_invocation(&ctx))
    })?;
    set_fn(&n, "isStreamHandle", |value: Value<'js>| {
        crate::stream::StreamHandle::is_handle(&value)
    })?;
    // A cancelled body stream: drop the Rust stream so its producer stops.
    set_fn(&n, "dropStreamHandle", |value: Value<'js>| {
        if let Some(slot) = crate::stream::StreamHandle::cell_of(&value) {
            crate::stream::StreamSlot::drop_stream(&slot);
        }
    })?;
    set_fn(&n, "codecNew", codec_new)?;
    set_fn(&n, "codecPush", codec_push)?;
    set_fn(&n, "codecFinish", codec_finish)?;
    set_fn(&n, "decodeStream", decode_stream)?;

    set_fn(&n, "urlParse", url_parse)?;
    set_fn(&n, "urlSet", url_set)?;
    set_fn(&n, "urlOrigin", url_origin)?;
    set_fn(&n, "formParse", form_parse)?;
    set_fn(&n, "formSerialize", form_serialize)?;

    set_fn(&n, "fillRandom", fill_random)?;
    set_fn(&n, "randomUUID", random_uuid)?;
    set_fn(&n, "now", now_ms)?;
    set_fn(&n, "digest", crypto_digest)?;
    set_fn(&n, "hmacSign", crypto_hmac_sign)?;
    set_fn(&n, "hmacVerify", crypto_hmac_verify)?;
    crate::crypto::install(&n)?;
    crate::urlpattern::install(&n)?;
    set_fn(&n, "loadExtra", |ctx: Ctx<'js>, name: String| {
        crate::load_extra(&ctx, &name)
    })?;

    set_fn(&n, "promiseState", promise_state)?;
    set_fn(&n, "isArrayBuffer", is_array_buffer)?;
    set_fn(&n, "proxyTarget", proxy_target)?;
    set_fn(&n, "enqueueJob", enqueue_job)?;

    let sink = Rc::clone(&options.console);
    set_fn(&n, "log", move |lvl: i32, line: String| {
        sink(level(lvl), &line)
    })?;
    match &options.map_stack {
        Some(map) => {
            let map = Rc::clone(map);
            set_fn(&n, "mapStack", move |stack: String| map(&stack))?;
        }
        None => n.set("mapStack", null(ctx))?,
    }
    Ok(n)
}

/// The bootstrap's async helpers always return promises; anything else is a bug here.
pub(crate) fn as_promise<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Promise<'js>> {
    match value.into_promise() {
        Some(p) => Ok(p),
        None => Err(rquickjs::Exception::throw_type(
            ctx,
            "internal: expected a promise",
        )),
    }
}
