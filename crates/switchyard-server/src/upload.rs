//! Request bodies on their way in. Small ones are read whole before the worker runs; larger ones
//! stream to the worker with the server's limits applied as they arrive, and end with the
//! response, as on Cloudflare.

use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use switchyard_web::{Body, BodyError};

use crate::head_timeout::Connection;

/// Request bodies announced (by Content-Length) at this size or smaller are read whole before
/// the worker runs: one `Bytes`, no stream machinery, and a slow client gets a 408 before any
/// worker is involved. Larger ones, and those of unknown length, stream.
pub(crate) const COLLECT_UP_TO: u64 = 64 * 1024;

/// Why a small body was not read: the response to send instead.
pub(crate) enum Refused {
    TooLarge,
    TimedOut,
    Broken,
}

/// Reads a small body whole, within `max` bytes and `timeout`.
pub(crate) async fn collect(body: Incoming, max: u64, timeout: Duration) -> Result<Bytes, Refused> {
    let collecting = Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX)).collect();
    match tokio::time::timeout(timeout, collecting).await {
        Err(_) => Err(Refused::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(Refused::TooLarge),
        Ok(Err(_)) => Err(Refused::Broken),
    }
}

/// Which server limit a streamed upload ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tripped {
    Size,
    Idle,
}

/// A streamed upload, shared between the worker's end (a [`GuardedBody`] inside the request's
/// `BodyStream`) and the server, which ends it when the response has been sent.
pub(crate) struct Upload {
    /// `None` once the response was sent: hyper can then finish the exchange (and close or
    /// reuse the connection) without waiting for the worker's `Request` to be collected.
    incoming: Mutex<Option<Incoming>>,
    /// The read waiting on `incoming`, woken when the upload ends under it.
    reader: Mutex<Option<Waker>>,
    /// The limit it ran into. A guarded body fails (and stops) at its first limit, so this is
    /// set at most once.
    tripped: OnceLock<Tripped>,
}

impl Upload {
    pub(crate) fn new(incoming: Incoming) -> Arc<Upload> {
        Arc::new(Upload {
            incoming: Mutex::new(Some(incoming)),
            reader: Mutex::new(None),
            tripped: OnceLock::new(),
        })
    }

    /// The limit this upload ran into, if any.
    pub(crate) fn tripped(&self) -> Option<Tripped> {
        self.tripped.get().copied()
    }

    fn trip(&self, limit: Tripped) {
        let _ = self.tripped.set(limit);
    }

    /// The response is done: what the worker has not read of the upload is dropped, and a
    /// read still waiting (in `waitUntil`) fails.
    pub(crate) fn end(&self) {
        let taken = self.incoming.lock().ok().and_then(|mut slot| slot.take());
        drop(taken);
        if let Some(waker) = self.reader.lock().ok().and_then(|mut slot| slot.take()) {
            waker.wake();
        }
    }
}

/// The worker's end of a streamed upload: past `max` bytes, or `idle` spent waiting for the
/// next part, the read fails with an error naming the flag, and the [`Upload`] records it for
/// the status if the worker then fails. The idle clock runs only while a read is waiting, so a
/// worker that first does other work (or a client waiting for `100 Continue`) is not blamed.
pub(crate) struct GuardedBody {
    upload: Arc<Upload>,
    received: u64,
    max: u64,
    idle: Duration,
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl GuardedBody {
    pub(crate) fn new(upload: Arc<Upload>, max: u64, idle: Duration) -> GuardedBody {
        GuardedBody {
            upload,
            received: 0,
            max,
            idle,
            waiting: None,
        }
    }
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        // Registered before looking at the slot, so an `end()` in between still wakes us.
        if let Ok(mut reader) = this.upload.reader.lock()
            && !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
        {
            *reader = Some(cx.waker().clone());
        }
        let polled = {
            let Ok(mut slot) = this.upload.incoming.lock() else {
                return Poll::Ready(Some(Err("the request body is unavailable".to_owned())));
            };
            match slot.as_mut() {
                Some(incoming) => Pin::new(incoming).poll_frame(cx),
                // Cloudflare's words for the same case.
                None => {
                    return Poll::Ready(Some(Err(
                        "Can't read from request stream after response has been sent.".to_owned(),
                    )));
                }
            }
        };
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                this.waiting = None;
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if this.received > this.max {
                        this.upload.trip(Tripped::Size);
                        return Poll::Ready(Some(Err(format!(
                            "the request body is larger than the server's limit of {} bytes \
                             (--max-body-size)",
                            this.max
                        ))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(format!(
                "the request body could not be read: {error}"
            )))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let idle = this.idle;
                let waiting = this
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match waiting.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.upload.trip(Tripped::Idle);
                        Poll::Ready(Some(Err(format!(
                            "the client sent no part of the request body for {} s \
                             (--body-timeout)",
                            idle.as_secs_f64()
                        ))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.upload
            .incoming
            .lock()
            .map_or(true, |slot| slot.as_ref().is_none_or(|b| b.is_end_stream()))
    }

    fn size_hint(&self) -> SizeHint {
        self.upload
            .incoming
            .lock()
            .ok()
            .and_then(|slot| slot.as_ref().map(|b| b.size_hint()))
            .unwrap_or_default()
    }
}

/// The response body as hyper sends it. When hyper is done with it (its last bytes taken, or the
/// client gone) the request's upload ends too, and the header timeout learns the response is
/// on its way out (see head_timeout.rs).
pub(crate) struct Served {
    body: Body,
    upload: Option<Arc<Upload>>,
    connection: Option<Rc<Connection>>,
}

impl Served {
    pub(crate) fn new(body: Body, upload: Option<Arc<Upload>>) -> Served {
        Served {
            body,
            upload,
            connection: None,
        }
    }

    /// Tell `connection` when hyper is done with this body.
    pub(crate) fn watched(&mut self, connection: Option<Rc<Connection>>) {
        self.connection = connection;
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(upload) = &self.upload {
            upload.end();
        }
        if let Some(connection) = &self.connection {
            connection.sent();
        }
    }
}

impl hyper::body::Body for Served {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
