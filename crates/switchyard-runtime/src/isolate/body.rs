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
    /// Start reading `stream` (a JS `ReadableStream` of bytes) in the background; the returned
    /// [`BodyStream`] yields its chunks as the worker produces them.
    pub(crate) fn pump_to_rust<'js>(
        &self,
        ctx: &Ctx<'js>,
        stream: Value<'js>,
    ) -> rquickjs::Result<BodyStream> {
        let (tx, rx) = BodyStream::channel(PUMP_AHEAD);
        let sink = Class::instance(ctx.clone(), Sink { tx: Some(tx) })?;
        let glue = restore(ctx, &self.state.glue)?;
        glue.get::<_, Function>("pumpToRust")?
            .call::<_, ()>((stream, sink))?;
        Ok(rx)
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
            sink.borrow_mut().tx.take();
        })?,
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
        isolate.call_elsewhere(&ctx, resolve, reject, async move {
            // Taken out for the read and put back after: one read at a time (a stream pulls
            // again only when the previous read settled).
            let Some(mut stream) = cell.borrow_mut().take() else {
                return Ok(Reply::Chunk(None));
            };
            let next = stream.next().await;
            *cell.borrow_mut() = Some(stream);
            match next {
                Some(Ok(chunk)) => Ok(Reply::Chunk(Some(chunk))),
                None => Ok(Reply::Chunk(None)),
                Some(Err(error)) => Err(WorkerError::Fetch(format!(
                    "Network connection lost while reading a body: {error}"
                ))),
            }
        });
        Ok::<_, rquickjs::Error>(promise)
    })?;
    switchyard_web::set_stream_reader(ctx, reader)
}
