//! Test harness: a real runtime + full context with the Web APIs installed, a capturing console
//! sink, and helpers that evaluate JS and drive the job queue.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{
    CatchResultExt, Context, Ctx, FromJs, Promise, Runtime, Value, promise::PromiseState,
};
use switchyard_web::{LogLevel, StackMapper, WebOptions, install};

pub struct Harness {
    pub rt: Runtime,
    pub ctx: Context,
    pub logs: Rc<RefCell<Vec<(LogLevel, String)>>>,
}

/// Options for an `install` whose console output and stacks nobody reads.
pub fn silent_options() -> WebOptions {
    WebOptions {
        console: Rc::new(|_, _| {}),
        map_stack: None,
    }
}

pub fn harness() -> Harness {
    harness_with_map_stack(None)
}

pub fn harness_with_map_stack(map_stack: Option<StackMapper>) -> Harness {
    let rt = Runtime::new().unwrap();
    let ctx = Context::full(&rt).unwrap();
    let logs: Rc<RefCell<Vec<(LogLevel, String)>>> = Rc::default();
    let sink = Rc::clone(&logs);
    ctx.with(|ctx| {
        install(
            &ctx,
            WebOptions {
                console: Rc::new(move |level, line| {
                    sink.borrow_mut().push((level, line.to_owned()))
                }),
                map_stack,
            },
        )
        .catch(&ctx)
        .unwrap();
    });
    Harness { rt, ctx, logs }
}

/// Runs pending jobs until the queue is empty.
pub fn drain(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}

/// `name: message` of a thrown value, for asserting error classes and messages.
pub fn describe_exception<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> String {
    let f: rquickjs::Function = ctx
        .eval("(e) => (e && typeof e === 'object' ? `${e.name}: ${e.message}` : `throw ${String(e)}`)")
        .unwrap();
    f.call((value,)).unwrap()
}

impl Harness {
    /// The bytes the script `code` leaves allocated when it runs with the garbage collector
    /// off: what only a collection would free (reference cycles). It runs once before, so what
    /// a first use creates and keeps (an extra loaded, shapes, atoms, compiled code) is not
    /// counted.
    pub fn left_without_collector(&self, code: &str) -> i64 {
        let _: () = self.eval(code);
        self.rt.run_gc();
        self.rt.set_gc_threshold(usize::MAX);
        let before = self.rt.memory_usage().malloc_size;
        let _: () = self.eval(code);
        self.rt.memory_usage().malloc_size - before
    }

    /// Evaluates a script and converts its completion value; panics with the JS error.
    pub fn eval<T: for<'js> FromJs<'js>>(&self, src: &str) -> T {
        self.ctx.with(|ctx| match ctx.eval::<Value, _>(src) {
            Ok(v) => T::from_js(&ctx, v).unwrap(),
            Err(rquickjs::Error::Exception) => {
                let e = ctx.catch();
                panic!("JS threw: {}", describe_exception(&ctx, e))
            }
            Err(e) => panic!("eval failed: {e}"),
        })
    }

    /// Evaluates the body of an async function, runs jobs until it settles, and returns the
    /// resolved value converted to String (JSON for non-strings). Rejections panic.
    pub fn run(&self, body: &str) -> String {
        match self.run_result(body) {
            Ok(v) => v,
            Err(e) => panic!("async JS rejected: {e}"),
        }
    }

    /// Like `run` but returns a rejection as `Err("Name: message")`.
    pub fn run_result(&self, body: &str) -> Result<String, String> {
        self.ctx.with(|ctx| {
            let src = format!(
                "(async () => {{ const __r = await (async () => {{ {body} }})(); return typeof __r === 'string' ? __r : JSON.stringify(__r); }})()"
            );
            let promise: Promise = match ctx.eval(src) {
                Ok(p) => p,
                Err(rquickjs::Error::Exception) => {
                    let e = ctx.catch();
                    return Err(describe_exception(&ctx, e));
                }
                Err(e) => panic!("eval failed: {e}"),
            };
            drain(&ctx);
            match promise.state() {
                PromiseState::Resolved => {
                    let v: Value = promise.result().unwrap().unwrap();
                    Ok(v.as_string().map(|s| s.to_string().unwrap()).unwrap_or_else(|| "undefined".into()))
                }
                PromiseState::Rejected => {
                    let _ = promise.result::<Value>();
                    let e = ctx.catch();
                    Err(describe_exception(&ctx, e))
                }
                PromiseState::Pending => panic!("promise still pending after draining jobs"),
            }
        })
    }

    /// Evaluates `src` expecting it to throw; returns `Name: message`.
    pub fn throws(&self, src: &str) -> String {
        self.ctx.with(|ctx| match ctx.eval::<Value, _>(src) {
            Ok(_) => panic!("expected {src:?} to throw"),
            Err(rquickjs::Error::Exception) => {
                let e = ctx.catch();
                describe_exception(&ctx, e)
            }
            Err(e) => panic!("eval failed: {e}"),
        })
    }

    pub fn take_logs(&self) -> Vec<(LogLevel, String)> {
        std::mem::take(&mut *self.logs.borrow_mut())
    }
}
