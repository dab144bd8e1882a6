//! Bodies that arrive in pieces: a response a worker produces with a `ReadableStream`, a
//! response from the network, a stream passed on through a service binding.
//!
//! A [`BodyStream`] is read by whoever ends up with the response: the HTTP server writing it to
//! the client, or another isolate's JavaScript (through a [`StreamHandle`], pulled one chunk per
//! read, so nothing is buffered ahead). A stream nobody reads is dropped, which tells the
//! producer (a closed channel, a dropped network body) to stop.

use std::cell::RefCell;
use std::error::Error as StdError;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rquickjs::{Class, Ctx, JsLifetime, Result, Value, class::Trace};
use tokio::sync::mpsc;

/// Why a stream ended early, as the reader should see it.
pub type BodyError = String;

type BoxedHttpBody =
    Pin<Box<dyn http_body::Body<Data = Bytes, Error = Box<dyn StdError + Send + Sync>> + Send>>;

/// A request or response body: all there (the common case) or arriving in pieces.
pub enum Body {
    Bytes(Bytes),
    Stream(BodyStream),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body::Bytes(Bytes::new())
    }

    /// The bytes, if they are all here.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Body::Bytes(bytes) => Some(bytes),
            Body::Stream(_) => None,
        }
    }
}

/// A body sent with hyper (a request to the network): bytes go out with their length, a
/// stream chunk by chunk.
impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            Body::Bytes(bytes) if bytes.is_empty() => Poll::Ready(None),
            Body::Bytes(bytes) => {
                Poll::Ready(Some(Ok(http_body::Frame::data(std::mem::take(bytes)))))
            }
            Body::Stream(stream) => stream
                .poll_chunk(cx)
                .map(|next| next.map(|chunk| chunk.map(http_body::Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Bytes(bytes) => bytes.is_empty(),
            Body::Stream(stream) => stream.remaining() == Some(0),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Bytes(bytes) => http_body::SizeHint::with_exact(bytes.len() as u64),
            Body::Stream(stream) => match stream.remaining() {
                Some(len) => http_body::SizeHint::with_exact(len),
                None => http_body::SizeHint::default(),
            },
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Bytes(bytes)
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(bytes) => write!(f, "Body::Bytes({} bytes)", bytes.len()),
            Body::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

/// When a body last delivered a chunk, shared by everyone who holds the stream (see
/// [`BodyStream::activity`]): a request timeout can count from there, so a long upload that
/// keeps arriving is not cut off while the worker reads it.
#[derive(Debug, Default)]
pub struct Activity {
    /// Nanoseconds since [`epoch`]; 0 before the first chunk.
    last: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Activity {
    fn touch(&self) {
        let nanos = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last.store(nanos.max(1), Ordering::Relaxed);
    }

    /// When the last chunk was delivered, if one was.
    pub fn last(&self) -> Option<Instant> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(epoch() + Duration::from_nanos(nanos)),
        }
    }
}

/// Chunks of a body, in order, then the end or an error. A producer that goes away without
/// saying the body is complete (its isolate was discarded mid-stream) is an error, never a
/// quiet end: the client must not take a truncated body for a whole one.
pub struct BodyStream {
    inner: Inner,
    /// The exact length still to come, when the producer knows it (a network response's
    /// Content-Length, less what was read).
    len: Option<u64>,
    /// An error or the end was returned: nothing more is.
    done: bool,
    activity: Arc<Activity>,
}

enum Inner {
    Channel {
        rx: mpsc::Receiver<std::result::Result<Bytes, BodyError>>,
        outcome: Arc<Mutex<Option<std::result::Result<(), BodyError>>>>,
    },
    Http(BoxedHttpBody),
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyStream")
    }
}

impl BodyStream {
    /// A stream fed through a [`BodySender`] that holds at most `capacity` chunks not yet read.
    pub fn channel(capacity: usize) -> (BodySender, BodyStream) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let outcome = Arc::new(Mutex::new(None));
        (
            BodySender {
                tx,
                outcome: outcome.clone(),
            },
            BodyStream {
                inner: Inner::Channel { rx, outcome },
                len: None,
                done: false,
                activity: Arc::default(),
            },
        )
    }

    /// A stream over an HTTP body (a response from the network).
    pub fn from_http<B>(body: B) -> BodyStream
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        use http_body_util::BodyExt;
        let len = body.size_hint().exact();
        BodyStream {
            inner: Inner::Http(Box::pin(body.map_err(Into::into))),
            len,
            done: false,
            activity: Arc::default(),
        }
    }

    /// When this stream last delivered a chunk; the same record for as long as the stream
    /// lives, whoever reads it.
    pub fn activity(&self) -> Arc<Activity> {
        self.activity.clone()
    }

    /// The exact number of bytes still to come, if known.
    pub fn remaining(&self) -> Option<u64> {
        if self.done { Some(0) } else { self.len }
    }

    /// The next non-empty chunk; `None` at the end.
    pub fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Bytes, BodyError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        loop {
            let next = match &mut self.inner {
                Inner::Channel { rx, outcome } => match rx.poll_recv(cx) {
                    Poll::Ready(Some(next)) => Some(next),
                    // Every sender is gone: a clean end only if the producer said so.
                    Poll::Ready(None) => match outcome.lock().map(|o| o.clone()) {
                        Ok(Some(Ok(()))) => None,
                        Ok(Some(Err(error))) => Some(Err(error)),
                        _ => Some(Err(
                            "the body's producer went away before finishing it".to_owned()
                        )),
                    },
                    Poll::Pending => return Poll::Pending,
                },
                Inner::Http(body) => match body.as_mut().poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => Some(Ok(data)),
                        // Trailers: not part of the body.
                        Err(_) => continue,
                    },
                    Poll::Ready(Some(Err(error))) => Some(Err(error.to_string())),
                    Poll::Ready(None) => None,
                    Poll::Pending => return Poll::Pending,
                },
            };
            match next {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => {
                    if let Some(len) = &mut self.len {
                        *len = len.saturating_sub(chunk.len() as u64);
                    }
                    self.activity.touch();
                    return Poll::Ready(Some(Ok(chunk)));
                }
                other => {
                    self.done = true;
                    return Poll::Ready(other);
                }
            }
        }
    }

    /// The next non-empty chunk; `None` at the end.
    pub async fn next(&mut self) -> Option<std::result::Result<Bytes, BodyError>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }
}

/// The producing end of [`BodyStream::channel`]. Dropping every clone without
/// [`BodySender::finish`] makes the reader see an error.
#[derive(Clone)]
pub struct BodySender {
    tx: mpsc::Sender<std::result::Result<Bytes, BodyError>>,
    outcome: Arc<Mutex<Option<std::result::Result<(), BodyError>>>>,
}

/// Why a chunk could not be queued at once.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError {
    /// The reader is `capacity` chunks behind: wait with [`BodySender::send`].
    Full(Bytes),
    /// The reader is gone (the client disconnected, the stream was cancelled).
    Closed,
}

impl BodySender {
    /// Queue `chunk` if there is room.
    pub fn try_send(&self, chunk: Bytes) -> std::result::Result<(), TrySendError> {
        match self.tx.try_send(Ok(chunk)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(Ok(chunk))) => Err(TrySendError::Full(chunk)),
            Err(_) => Err(TrySendError::Closed),
        }
    }

    /// Queue `chunk`, waiting for room. False when the reader is gone.
    pub async fn send(&self, chunk: Bytes) -> bool {
        self.tx.send(Ok(chunk)).await.is_ok()
    }

    /// The body is complete: after the queued chunks, the reader sees its end.
    pub fn finish(self) {
        if let Ok(mut outcome) = self.outcome.lock() {
            outcome.get_or_insert(Ok(()));
        }
    }

    /// End the stream with an error the reader sees after the queued chunks (the client's
    /// connection is cut), even when the queue is full.
    pub fn error(self, message: BodyError) {
        if let Ok(mut outcome) = self.outcome.lock() {
            outcome.get_or_insert(Err(message));
        }
    }

    /// Resolves when the reader is gone.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

/// What a [`StreamHandle`] holds: the stream (until taken or read to the end), and a hook run
/// when JavaScript gives the stream up (a cancelled body), which cancels a read in flight.
#[derive(Default)]
pub struct StreamSlot {
    pub stream: Option<BodyStream>,
    /// Set when JavaScript gave the stream up: a read in flight must not put it back.
    pub dropped: bool,
    pub on_drop: Option<Box<dyn FnOnce()>>,
}

impl StreamSlot {
    /// Give the stream up: drop it, and cancel the read in flight.
    pub fn drop_stream(slot: &RefCell<StreamSlot>) {
        let hook = {
            let mut slot = slot.borrow_mut();
            slot.dropped = true;
            slot.stream = None;
            slot.on_drop.take()
        };
        if let Some(hook) = hook {
            hook();
        }
    }
}

/// A JS handle to a [`BodyStream`]: the body source of a `Request`/`Response` that came from
/// Rust in pieces. The body machinery in fetch.js reads it chunk by chunk through the
/// embedder's stream reader, or hands the untouched handle back to Rust, which then takes the
/// stream out whole (a pass-through costs no JavaScript per chunk).
#[derive(Trace, JsLifetime)]
#[rquickjs::class(frozen)]
pub struct StreamHandle {
    #[qjs(skip_trace)]
    slot: Rc<RefCell<StreamSlot>>,
}

impl StreamHandle {
    pub(crate) fn into_js<'js>(ctx: &Ctx<'js>, stream: BodyStream) -> Result<Value<'js>> {
        let handle = StreamHandle {
            slot: Rc::new(RefCell::new(StreamSlot {
                stream: Some(stream),
                ..StreamSlot::default()
            })),
        };
        Ok(Class::instance(ctx.clone(), handle)?.into_value())
    }

    /// The slot behind a handle, if `value` is one.
    pub fn cell_of(value: &Value<'_>) -> Option<Rc<RefCell<StreamSlot>>> {
        let object = value.as_object()?;
        let class = Class::<StreamHandle>::from_object(object)?;
        let slot = class.try_borrow().ok()?.slot.clone();
        Some(slot)
    }

    /// Whether `value` is a handle.
    pub(crate) fn is_handle(value: &Value<'_>) -> bool {
        value
            .as_object()
            .is_some_and(|o| Class::<StreamHandle>::from_object(o).is_some())
    }
}
