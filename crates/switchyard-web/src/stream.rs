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
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use rquickjs::{Class, Ctx, JsLifetime, Result, Value, class::Trace};
use tokio::sync::mpsc;

/// Why a stream ended early, as the reader should see it.
pub type BodyError = String;

type BoxedHttpBody =
    Pin<Box<dyn http_body::Body<Data = Bytes, Error = Box<dyn StdError + Send + Sync>> + Send>>;

/// A response body: all there (the common case) or arriving in pieces.
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

    /// All of the body, reading a stream to its end; at most `limit` bytes.
    pub async fn collect(self, limit: usize) -> std::result::Result<Bytes, BodyError> {
        match self {
            Body::Bytes(bytes) => Ok(bytes),
            Body::Stream(stream) => stream.collect(limit).await,
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

/// Chunks of a body, in order, then the end (or an error).
pub struct BodyStream {
    inner: Inner,
}

enum Inner {
    Channel(mpsc::Receiver<std::result::Result<Bytes, BodyError>>),
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
        (
            BodySender { tx },
            BodyStream {
                inner: Inner::Channel(rx),
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
        BodyStream {
            inner: Inner::Http(Box::pin(body.map_err(Into::into))),
        }
    }

    /// The next non-empty chunk; `None` at the end.
    pub fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Bytes, BodyError>>> {
        loop {
            let next = match &mut self.inner {
                Inner::Channel(rx) => match rx.poll_recv(cx) {
                    Poll::Ready(next) => next,
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
                other => return Poll::Ready(other),
            }
        }
    }

    /// The next non-empty chunk; `None` at the end.
    pub async fn next(&mut self) -> Option<std::result::Result<Bytes, BodyError>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Everything that is left, at most `limit` bytes.
    pub async fn collect(mut self, limit: usize) -> std::result::Result<Bytes, BodyError> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(format!("the body is larger than {limit} bytes"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }
}

/// The producing end of [`BodyStream::channel`].
#[derive(Clone)]
pub struct BodySender {
    tx: mpsc::Sender<std::result::Result<Bytes, BodyError>>,
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

    /// End the stream with an error the reader sees (the client's connection is cut).
    pub fn error(&self, message: BodyError) {
        let _ = self.tx.try_send(Err(message));
    }

    /// Whether the reader is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
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
    stream: Rc<RefCell<Option<BodyStream>>>,
}

impl StreamHandle {
    pub(crate) fn into_js<'js>(ctx: &Ctx<'js>, stream: BodyStream) -> Result<Value<'js>> {
        let handle = StreamHandle {
            stream: Rc::new(RefCell::new(Some(stream))),
        };
        Ok(Class::instance(ctx.clone(), handle)?.into_value())
    }

    /// The cell behind a handle, if `value` is one. The stream is `None` once taken.
    pub fn cell_of(value: &Value<'_>) -> Option<Rc<RefCell<Option<BodyStream>>>> {
        let object = value.as_object()?;
        let class = Class::<StreamHandle>::from_object(object)?;
        let cell = class.try_borrow().ok()?.stream.clone();
        Some(cell)
    }

    /// Whether `value` is a handle.
    pub(crate) fn is_handle(value: &Value<'_>) -> bool {
        value
            .as_object()
            .is_some_and(|o| Class::<StreamHandle>::from_object(o).is_some())
    }
}
