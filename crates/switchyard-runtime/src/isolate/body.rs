//! Streamed bodies inside an isolate: JavaScript `ReadableStream`s pumped out to Rust (a
//! worker's streamed response), and Rust [`BodyStream`]s read from JavaScript (a response from
//! the network or from another worker, pulled one chunk per read).

use std::rc::Rc;

use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Function, JsLifetime, Object, Value};
use switchyard_web::{BodySender, BodyStream, StreamHandle, TrySendError};

use super::rpc::Reply;
use super::{Isolate, IsolateState, restore};
use crate::error::WorkerError;

/// Chunks a pump may queue ahead of the reader (the client's connection, another isolate).
const PUMP_AHEAD: usize = 4;

/// The producing end of a pumped body, held by the JS pump in runtime.js.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub(crate) struct Sink {
    #[qjs(skip_trace)]
    tx: Option<BodySender>,
}

impl Isolate {
    /// Start reading `stream` (a JS `ReadableStream` of bytes, the body of a `what`: "request"
    /// or "response") in the background; the returned [`BodyStream`] yields its chunks as the
    /// worker produces them.
    pub(crate) fn pump_to_rust<'js>(
        &self,
        ctx: &Ctx<'js>,
        stream: Value<'js>,
        what: &str,
    ) -> rquickjs::Result<BodyStream> {
        let (tx, rx) = BodyStream::channel(PUMP_AHEAD);
        let sink = Class::instance(ctx.clone(), Sink { tx: Some(tx) })?;
        let glue = restore(ctx, &self.state.glue)?;
        glue.get::<_, Function>("pumpToRust")?
            .call::<_, ()>((stream, sink, what))?;
        Ok(rx)
    }

    /// A request leaving this isolate (to the network, to another worker): a body that is a
    /// JavaScript stream is pumped out as the receiver reads it.
    pub(crate) fn request_from_js<'js>(
        &self,
        ctx: &Ctx<'js>,
        request: Value<'js>,
    ) -> rquickjs::Result<switchyard_web::HttpRequest> {
        let parts = switchyard_web::request_from_js_streaming(ctx, request)?;
        self.pumped(ctx, parts)
    }

    /// What `fetch(input, init)` sends, a stream body pumped as in `request_from_js`.
    pub(crate) fn prepared_request_from_js<'js>(
        &self,
        ctx: &Ctx<'js>,
        input: Value<'js>,
        init: Option<Value<'js>>,
    ) -> rquickjs::Result<switchyard_web::HttpRequest> {
        let parts = switchyard_web::prepared_request_from_js_streaming(ctx, input, init)?;
        self.pumped(ctx, parts)
    }

    fn pumped<'js>(
        &self,
        ctx: &Ctx<'js>,
        (mut request, stream): (switchyard_web::HttpRequest, Option<Value<'js>>),
    ) -> rquickjs::Result<switchyard_web::HttpRequest> {
        if let Some(stream) = stream {
            request.body = switchyard_web::Body::Stream(self.pump_to_rust(ctx, stream, "request")?);
        }
        Ok(request)
    }
}

/// The natives runtime.js's pump and the body machinery's stream reader use.
pub(super) fn install_natives<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    state: &Rc<IsolateState>,
) -> rquickjs::Result<()> {
    // true: queued; false: the reader is gone; a promise of either: wait for room first.
    let s = Rc::downgrade(state);
    native.set(
        "sinkWrite",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  sink: Class<'js, Sink>,
                  chunk: rquickjs::TypedArray<'js, u8>|
                  -> rquickjs::Result<Value<'js>> {
                let bytes = switchyard_web::copy_u8_array(&chunk);
                let Some(tx) = sink.borrow().tx.clone() else {
                    return Ok(Value::new_bool(ctx, false));
                };
                match tx.try_send(bytes) {
                    Ok(()) => Ok(Value::new_bool(ctx, true)),
                    Err(TrySendError::Closed) => Ok(Value::new_bool(ctx, false)),
                    Err(TrySendError::Full(bytes)) => {
                        let isolate = s
                            .upgrade()
                            .and_then(|state| state.me.borrow().upgrade())
                            .ok_or(rquickjs::Error::Unknown)?;
                        let (promise, resolve, reject) = ctx.promise()?;
                        isolate.call_elsewhere(&ctx, resolve, reject, async move {
                            Ok(Reply::Written(tx.send(bytes).await))
                        });
                        Ok(promise.into_value())
                    }
                }
            },
        )?,
    )?;
    native.set(
        "sinkClose",
        Function::new(ctx.clone(), |sink: Class<'js, Sink>| {
            if let Some(tx) = sink.borrow_mut().tx.take() {
                tx.finish();
            }
        })?,
    )?;
    // Calls `onClosed` when the body's reader goes away (the client disconnected), so a pump
    // waiting on a stream that produces nothing more still cancels it. The call id comes back
    // for the pump to cancel the watch when it ends first.
    let s = Rc::downgrade(state);
    native.set(
        "sinkWatch",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, sink: Class<'js, Sink>, on_closed: Function<'js>| {
                let isolate = s
                    .upgrade()
                    .and_then(|state| state.me.borrow().upgrade())
                    .ok_or(rquickjs::Error::Unknown)?;
                let Some(tx) = sink.borrow().tx.clone() else {
                    return Ok(0.0);
                };
                let ignore = Function::new(ctx.clone(), || {})?;
                let (call, task) = isolate.call_elsewhere(&ctx, on_closed, ignore, async move {
                    tx.closed().await;
                    Ok(Reply::Written(false))
                });
                isolate.state.cancellable.borrow_mut().insert(call, task);
                Ok::<_, rquickjs::Error>(call as f64)
            },
        )?,
    )?;
    native.set(
        "sinkError",
        Function::new(ctx.clone(), |sink: Class<'js, Sink>, message: String| {
            if let Some(tx) = sink.borrow_mut().tx.take() {
                tx.error(message);
            }
        })?,
    )?;

    // The body machinery's reader for streamed sources: a promise of the next chunk or null.
    let s = Rc::downgrade(state);
    let reader = Function::new(ctx.clone(), move |ctx: Ctx<'js>, handle: Value<'js>| {
        let isolate = s
            .upgrade()
            .and_then(|state| state.me.borrow().upgrade())
            .ok_or(rquickjs::Error::Unknown)?;
        let cell = StreamHandle::cell_of(&handle)
            .ok_or_else(|| rquickjs::Exception::throw_type(&ctx, "not a body stream"))?;
        let (promise, resolve, reject) = ctx.promise()?;
        let slot = cell.clone();
        let (call, task) = isolate.call_elsewhere(&ctx, resolve, reject, async move {
            // Taken out for the read and put back after: one read at a time (a stream pulls
            // again only when the previous read settled). A stream given up meanwhile stays
            // dropped.
            let Some(mut stream) = slot.borrow_mut().stream.take() else {
                return Ok(Reply::Chunk(None));
            };
            let next = stream.next().await;
            let mut back = slot.borrow_mut();
            back.on_drop = None;
            if !back.dropped {
                back.stream = Some(stream);
            }
            drop(back);
            match next {
                Some(Ok(chunk)) => Ok(Reply::Chunk(Some(chunk))),
                None => Ok(Reply::Chunk(None)),
                // The source says what failed (the network, an upload over a server limit, a
                // worker that stopped producing it).
                Some(Err(error)) => Err(WorkerError::Fetch(error)),
            }
        });
        // Giving the stream up (a cancelled or aborted body) cancels this read: the task and
        // the stream it holds are dropped at once, and the read no longer counts as pending.
        let weak = Rc::downgrade(&isolate.state);
        isolate
            .state
            .cancellable
            .borrow_mut()
            .insert(call, task.clone());
        cell.borrow_mut().on_drop = Some(Box::new(move || {
            task.abort();
            if let Some(state) = weak.upgrade() {
                state.calls.borrow_mut().remove(&call);
                state.cancellable.borrow_mut().remove(&call);
            }
        }));
        Ok::<_, rquickjs::Error>(promise)
    })?;
    switchyard_web::set_stream_reader(ctx, reader)
}
