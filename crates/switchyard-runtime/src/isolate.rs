//! One worker's JavaScript isolate on one thread: a QuickJS runtime and context with the worker's
//! modules evaluated, its `env`, and the small event loop (timers, completed binding calls,
//! microtasks) that drives its promises.
//!
//! Nothing here is `Send`. Each server thread owns its isolates through [`crate::LocalWorkers`]; a
//! request never leaves the thread it arrived on, and a service-binding call runs the callee's
//! isolate on the same thread as a local task.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::function::{Opt, This};
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Function, Object, Persistent, Promise, Runtime,
    Value,
};
use switchyard_web::{HttpRequest, HttpResponse, LogLevel, WebOptions};
use tokio::sync::{Notify, oneshot};

use crate::error::{JsException, StartupError, WorkerError};
use crate::fleet::WorkerSpec;
use crate::local::LocalWorkers;

const RUNTIME_JS: &str = include_str!("js/runtime.js");

/// Most workers one request may pass through. Cloudflare caps service-binding recursion the same
/// way; without a cap a cycle (A → B → A) would recurse until memory runs out.
pub const MAX_CHAIN_DEPTH: u32 = 32;

type Waiter = (oneshot::Sender<Result<HttpResponse, WorkerError>>, u32);

/// Work to run inside the isolate's context on its next turn (a binding call's result, say).
type Completion = Box<dyn for<'js> FnOnce(Ctx<'js>)>;

/// A worker's isolate. Created by [`LocalWorkers`] on first use, lives as long as the thread.
pub struct Isolate {
    spec: Arc<WorkerSpec>,
    // Field order matters: the context must go before the runtime it lives in.
    context: Context,
    runtime: Runtime,
    state: Rc<IsolateState>,
}

/// What native functions inside the isolate share with the Rust side.
pub(crate) struct IsolateState {
    worker: String,
    workers: Weak<LocalWorkers>,
    timers: RefCell<Timers>,
    completions: RefCell<VecDeque<Completion>>,
    /// Pokes the isolate's loop task: a completion arrived or a timer changed.
    wake: Notify,
    /// Binding calls made by this isolate that have not come back yet.
    in_flight: Cell<usize>,
    /// `ctx.waitUntil` promises not settled yet.
    wait_until: Cell<usize>,
    /// Requests being handled, by id: where their result goes, and how deep in a binding chain
    /// each one is (1 = straight from the client).
    waiting: RefCell<HashMap<u64, Waiter>>,
    next_request: Cell<u64>,
    closed: Cell<bool>,
    /// While the modules evaluate, a rejection is the start-up error itself, reported once.
    booting: Cell<bool>,
    /// `env`, the module namespace and the runtime.js helpers, kept for every request.
    env: RefCell<Option<Persistent<Object<'static>>>>,
    exports: RefCell<Option<Persistent<Object<'static>>>>,
    glue: RefCell<Option<Persistent<Object<'static>>>>,
}

impl Isolate {
    /// Create the isolate and evaluate the worker's modules. `workers` is the thread's registry
    /// (for service bindings); validation passes a dangling one.
    pub(crate) fn new(
        spec: Arc<WorkerSpec>,
        workers: Weak<LocalWorkers>,
    ) -> Result<Rc<Isolate>, StartupError> {
        let startup = |message: String| StartupError::Threw {
            worker: spec.config.name.to_string(),
            message,
        };
        let runtime = Runtime::new().map_err(|e| startup(e.to_string()))?;
        runtime.set_max_stack_size(1024 * 1024);
        runtime.set_loader(spec.graph.loader(), spec.graph.loader());
        let context = Context::full(&runtime).map_err(|e| startup(e.to_string()))?;
        let state = Rc::new(IsolateState {
            worker: spec.config.name.to_string(),
            workers,
            timers: RefCell::new(Timers::default()),
            completions: RefCell::new(VecDeque::new()),
            wake: Notify::new(),
            in_flight: Cell::new(0),
            wait_until: Cell::new(0),
            waiting: RefCell::new(HashMap::new()),
            next_request: Cell::new(1),
            closed: Cell::new(false),
            booting: Cell::new(true),
            env: RefCell::new(None),
            exports: RefCell::new(None),
            glue: RefCell::new(None),
        });
        {
            let tracker_state = Rc::downgrade(&state);
            let graph = spec.graph.clone();
            runtime.set_host_promise_rejection_tracker(Some(Box::new(
                move |ctx, _promise, reason, is_handled| {
                    if is_handled {
                        return;
                    }
                    if let Some(state) = tracker_state.upgrade()
                        && !state.booting.get()
                    {
                        let details = JsException::from_value(&ctx, reason, &graph);
                        log_line(
                            &state.worker,
                            LogLevel::Error,
                            &format!("Uncaught (in promise) {details}"),
                        );
                    }
                },
            )));
        }
        let isolate = Rc::new(Isolate {
            spec: spec.clone(),
            context,
            runtime,
            state,
        });
        isolate.context.with(|ctx| isolate.boot(&ctx))?;
        isolate.state.booting.set(false);
        Ok(isolate)
    }

    pub fn worker(&self) -> &str {
        &self.state.worker
    }

    /// Install the Web APIs and runtime glue, build `env`, evaluate the modules, check the handlers.
    fn boot<'js>(&self, ctx: &Ctx<'js>) -> Result<(), StartupError> {
        let spec = &self.spec;
        let worker = spec.config.name.to_string();
        let threw = |ctx: &Ctx<'js>, error: rquickjs::Error| StartupError::Threw {
            worker: worker.clone(),
            message: JsException::from_error(ctx, error, &spec.graph).to_string(),
        };
        let console_worker = worker.clone();
        let graph = spec.graph.clone();
        switchyard_web::install(
            ctx,
            WebOptions {
                console: Rc::new(move |level, line| log_line(&console_worker, level, line)),
                map_stack: Some(Rc::new(move |stack| graph.map_stack(stack))),
            },
        )
        .map_err(|e| threw(ctx, e))?;

        let glue = self.install_glue(ctx).map_err(|e| threw(ctx, e))?;
        let env = self.build_env(ctx, &glue).map_err(|e| threw(ctx, e))?;
        glue.get::<_, Function>("setEnv")
            .and_then(|f| f.call::<_, ()>((env.clone(),)))
            .map_err(|e| threw(ctx, e))?;

        let exports = self.evaluate_main(ctx).map_err(|e| threw(ctx, e))?;
        glue.get::<_, Function>("hideInternal")
            .and_then(|f| f.call::<_, ()>(()))
            .map_err(|e| threw(ctx, e))?;

        check_fetch_handler(ctx, &exports, "default").map_err(|problem| {
            StartupError::NoHandler {
                worker: worker.clone(),
                main: spec.config.main.clone(),
                problem,
            }
        })?;
        *self.state.env.borrow_mut() = Some(Persistent::save(ctx, env));
        *self.state.exports.borrow_mut() = Some(Persistent::save(ctx, exports));
        *self.state.glue.borrow_mut() = Some(Persistent::save(ctx, glue));
        Ok(())
    }

    fn evaluate_main<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let graph = &self.spec.graph;
        let main = &graph.modules[&graph.entry];
        let declared =
            rquickjs::Module::declare(ctx.clone(), graph.entry.as_str(), main.code.as_str())?;
        let (module, promise) = declared.eval()?;
        // Top-level await settles through microtasks; anything waiting on timers or I/O at start-up
        // is refused, as Cloudflare refuses I/O outside a request.
        while ctx.execute_pending_job() {}
        match promise.state() {
            rquickjs::promise::PromiseState::Pending => {
                return Err(rquickjs::Exception::throw_message(
                    ctx,
                    "the module's top-level await did not settle at start-up (I/O and timers are not \
                     available outside a request)",
                ));
            }
            _ => promise.finish::<()>()?,
        }
        module.namespace()
    }

    fn install_glue<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let native = Object::new(ctx.clone())?;
        let state = &self.state;

        let s = Rc::downgrade(state);
        native.set(
            "timerStart",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, callback: Function<'js>, delay: f64, repeat: bool| {
                    let state = s.upgrade().ok_or(rquickjs::Error::Unknown)?;
                    // As in browsers and Node: NaN and negatives mean 0, and delays past a
                    // 32-bit millisecond count overflow to 1 ms.
                    let ms = match delay {
                        d if !d.is_finite() || d <= 0.0 => 0.0,
                        d if d > f64::from(i32::MAX) => 1.0,
                        d => d,
                    };
                    let delay = Duration::from_secs_f64(ms / 1000.0);
                    let id = state.timers.borrow_mut().start(
                        Persistent::save(&ctx, callback),
                        delay,
                        repeat,
                    );
                    state.wake.notify_one();
                    Ok::<_, rquickjs::Error>(id)
                },
            )?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "timerClear",
            Function::new(ctx.clone(), move |id: f64| {
                if let Some(state) = s.upgrade() {
                    state.timers.borrow_mut().clear(id as u32);
                }
            })?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "waitUntilStart",
            Function::new(ctx.clone(), move || {
                if let Some(state) = s.upgrade() {
                    state.wait_until.set(state.wait_until.get() + 1);
                }
            })?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "waitUntilEnd",
            Function::new(ctx.clone(), move || {
                if let Some(state) = s.upgrade() {
                    state
                        .wait_until
                        .set(state.wait_until.get().saturating_sub(1));
                }
            })?,
        )?;
        let s = Rc::downgrade(state);
        let graph = self.spec.graph.clone();
        native.set(
            "reportError",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, origin: String, error: Value<'js>| {
                    if let Some(state) = s.upgrade() {
                        let details = JsException::from_value(&ctx, error, &graph);
                        log_line(
                            &state.worker,
                            LogLevel::Error,
                            &format!("Uncaught (in {origin}) {details}"),
                        );
                    }
                },
            )?,
        )?;
        native.set(
            "prepareRequest",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, input: Value<'js>, init: Opt<Value<'js>>| {
                    switchyard_web::prepare_request(&ctx, input, init.0)
                },
            )?,
        )?;
        let s = Rc::downgrade(state);
        let spec = self.spec.clone();
        native.set(
            "bindingFetch",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, id: usize, request: Value<'js>| {
                    let state = s.upgrade().ok_or(rquickjs::Error::Unknown)?;
                    binding_fetch(&ctx, &state, &spec, id, request)
                },
            )?,
        )?;

        let factory: Function = ctx.eval(RUNTIME_JS)?;
        factory.call((native,))
    }

    fn build_env<'js>(&self, ctx: &Ctx<'js>, glue: &Object<'js>) -> rquickjs::Result<Object<'js>> {
        let env = Object::new(ctx.clone())?;
        for (name, value) in &self.spec.config.vars {
            let value: Value = match value {
                serde_json::Value::String(s) => {
                    rquickjs::String::from_str(ctx.clone(), s)?.into_value()
                }
                other => ctx.json_parse(other.to_string())?,
            };
            env.set(name.as_str(), value)?;
        }
        let make_fetcher: Function = glue.get("makeFetcher")?;
        for (id, binding) in self.spec.config.services.iter().enumerate() {
            let fetcher: Value = make_fetcher.call((id,))?;
            env.set(binding.binding.as_str(), fetcher)?;
        }
        Ok(env)
    }

    /// Whether the worker's modules export `name` (a named entrypoint).
    pub(crate) fn has_export(&self, name: &str) -> bool {
        self.context.with(|ctx| {
            self.exports(&ctx)
                .and_then(|e| e.get::<_, Value>(name))
                .is_ok_and(|v| !v.is_undefined())
        })
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        restore(ctx, &self.state.exports)
    }

    // === requests ===

    /// Run the worker's fetch handler (of `entrypoint`, or the default export) for `request`,
    /// which is `depth` workers deep in a binding chain (1 for a request from a client).
    pub async fn fetch(
        self: &Rc<Self>,
        entrypoint: Option<&str>,
        request: HttpRequest,
        depth: u32,
        timeout: Duration,
    ) -> Result<HttpResponse, WorkerError> {
        let state = &self.state;
        let id = state.next_request.get();
        state.next_request.set(id + 1);
        let (tx, rx) = oneshot::channel();
        state.waiting.borrow_mut().insert(id, (tx, depth));

        let started = self.context.with(|ctx| {
            let result = self.start_fetch(&ctx, id, entrypoint, request);
            while ctx.execute_pending_job() {}
            result
        });
        if let Err(error) = started {
            state.waiting.borrow_mut().remove(&id);
            return Err(error);
        }
        self.check_stalled();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(WorkerError::Internal(
                "the isolate shut down while handling the request".into(),
            )),
            Err(_) => {
                state.waiting.borrow_mut().remove(&id);
                log_line(
                    &state.worker,
                    LogLevel::Error,
                    &format!(
                        "the fetch handler did not respond within {} s; request cancelled",
                        timeout.as_secs_f64()
                    ),
                );
                Err(WorkerError::TimedOut {
                    worker: state.worker.clone(),
                    after: timeout,
                })
            }
        }
    }

    fn start_fetch<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
        entrypoint: Option<&str>,
        request: HttpRequest,
    ) -> Result<(), WorkerError> {
        let graph = &self.spec.graph;
        let fail = |ctx: &Ctx<'js>, error: rquickjs::Error| {
            let details = JsException::from_error(ctx, error, graph);
            log_line(
                &self.state.worker,
                LogLevel::Error,
                &format!("Uncaught {details}"),
            );
            WorkerError::Exception {
                worker: self.state.worker.clone(),
                exception: details,
            }
        };
        let promise = (|| {
            let request = switchyard_web::request_to_js(ctx, request)?;
            let env = restore(ctx, &self.state.env)?;
            let glue = restore(ctx, &self.state.glue)?;
            let exec_ctx: Value = glue.get::<_, Function>("makeContext")?.call(())?;
            let handler: Value = self.exports(ctx)?.get(entrypoint.unwrap_or("default"))?;
            let result: Value = if let Some(class) =
                handler.as_constructor().filter(|_| handler.is_function())
            {
                // `export default class extends WorkerEntrypoint`: a fresh instance per request.
                let instance: Object = class.construct((exec_ctx, env))?;
                let fetch: Function = instance.get("fetch")?;
                fetch.call((This(instance), request))?
            } else {
                let object = handler.as_object().cloned().ok_or_else(|| {
                    rquickjs::Exception::throw_type(ctx, "the entrypoint is not an object or class")
                })?;
                let fetch: Function = object.get("fetch")?;
                fetch.call((This(object), request, env, exec_ctx))?
            };
            switchyard_web::finalize_response(ctx, result)
        })()
        .map_err(|e| fail(ctx, e))?;
        self.settle_into(ctx, promise, id).map_err(|e| fail(ctx, e))
    }

    /// Route the outcome of `promise` to the waiter `id`.
    fn settle_into<'js>(
        &self,
        ctx: &Ctx<'js>,
        promise: Promise<'js>,
        id: u64,
    ) -> rquickjs::Result<()> {
        let ok_state = Rc::downgrade(&self.state);
        let on_ok = Function::new(ctx.clone(), move |ctx: Ctx<'js>, response: Value<'js>| {
            let Some(state) = ok_state.upgrade() else {
                return;
            };
            let Some((tx, _)) = state.waiting.borrow_mut().remove(&id) else {
                return;
            };
            let result = switchyard_web::response_from_js(&ctx, response)
                .catch(&ctx)
                .map_err(|caught| {
                    let details = JsException::from_caught(caught);
                    log_line(
                        &state.worker,
                        LogLevel::Error,
                        &format!("Uncaught {details}"),
                    );
                    WorkerError::Exception {
                        worker: state.worker.clone(),
                        exception: details,
                    }
                });
            let _ = tx.send(result);
        })?;
        let err_state = Rc::downgrade(&self.state);
        let graph = self.spec.graph.clone();
        let on_err = Function::new(ctx.clone(), move |ctx: Ctx<'js>, reason: Value<'js>| {
            let Some(state) = err_state.upgrade() else {
                return;
            };
            let Some((tx, _)) = state.waiting.borrow_mut().remove(&id) else {
                return;
            };
            let details = JsException::from_value(&ctx, reason, &graph);
            log_line(
                &state.worker,
                LogLevel::Error,
                &format!("Uncaught {details}"),
            );
            let _ = tx.send(Err(WorkerError::Exception {
                worker: state.worker.clone(),
                exception: details,
            }));
        })?;
        let then: Function = promise.get("then")?;
        then.call::<_, Value>((This(promise), on_ok, on_err))?;
        Ok(())
    }

    // === event loop ===

    /// Run until the isolate closes: wait for a completion or the next timer, then take a turn.
    pub(crate) async fn run_loop(self: Rc<Self>) {
        loop {
            if self.state.closed.get() {
                break;
            }
            let next = self.state.timers.borrow().next_due();
            let woken = self.state.wake.notified();
            match next {
                Some(due) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep_until(due.into()) => {}
                    }
                }
                None => woken.await,
            }
            self.turn();
        }
    }

    /// Deliver completions, fire due timers and run microtasks until nothing is ready.
    fn turn(&self) {
        self.context.with(|ctx| {
            loop {
                let mut progressed = false;
                while let Some(completion) = self.state.completions.borrow_mut().pop_front() {
                    completion(ctx.clone());
                    while ctx.execute_pending_job() {}
                    progressed = true;
                }
                let due = self.state.timers.borrow_mut().take_due(Instant::now());
                for callback in due {
                    progressed = true;
                    if let Ok(callback) = callback.restore(&ctx)
                        && let Err(error) = callback.call::<_, ()>(())
                    {
                        let details = JsException::from_error(&ctx, error, &self.spec.graph);
                        log_line(
                            &self.state.worker,
                            LogLevel::Error,
                            &format!("Uncaught (in timer) {details}"),
                        );
                    }
                    while ctx.execute_pending_job() {}
                }
                if !progressed {
                    break;
                }
            }
        });
        self.check_stalled();
    }

    /// A request whose promise is pending while the isolate has nothing left that could settle
    /// it (no timers, no binding calls, no queued work) will never get a response: fail it now,
    /// as Cloudflare does, instead of holding the connection.
    fn check_stalled(&self) {
        let state = &self.state;
        if state.waiting.borrow().is_empty()
            || state.in_flight.get() > 0
            || !state.timers.borrow().is_empty()
            || !state.completions.borrow().is_empty()
            || self.runtime.is_job_pending()
        {
            return;
        }
        let stalled: Vec<_> = state.waiting.borrow_mut().drain().collect();
        for (_, (tx, _)) in stalled {
            log_line(
                &state.worker,
                LogLevel::Error,
                "The script will never generate a response: the fetch handler's promise is pending \
                 and nothing is left that could settle it",
            );
            let _ = tx.send(Err(WorkerError::NeverResponded {
                worker: state.worker.clone(),
            }));
        }
    }

    pub(crate) fn pending_wait_until(&self) -> usize {
        self.state.wait_until.get()
    }

    /// Whether anything could still run in this isolate without a new request.
    pub(crate) fn is_idle(&self) -> bool {
        let state = &self.state;
        state.in_flight.get() == 0
            && state.timers.borrow().is_empty()
            && state.completions.borrow().is_empty()
    }

    pub(crate) fn close(&self) {
        self.state.closed.set(true);
        self.state.wake.notify_one();
    }

    /// Bytes QuickJS has allocated for this isolate.
    pub fn memory_used(&self) -> i64 {
        self.runtime.memory_usage().malloc_size
    }
}

impl Drop for Isolate {
    fn drop(&mut self) {
        // Persistent handles must be released while the runtime is alive.
        self.state.closed.set(true);
        self.state.timers.borrow_mut().entries.clear();
        self.state.completions.borrow_mut().clear();
        self.state.env.borrow_mut().take();
        self.state.exports.borrow_mut().take();
        self.state.glue.borrow_mut().take();
        self.runtime.run_gc();
    }
}

fn restore<'js>(
    ctx: &Ctx<'js>,
    slot: &RefCell<Option<Persistent<Object<'static>>>>,
) -> rquickjs::Result<Object<'js>> {
    slot.borrow()
        .clone()
        .ok_or(rquickjs::Error::Unknown)?
        .restore(ctx)
}

/// Check that `exports[name]` can handle fetch: an object with a `fetch` method, or a class whose
/// prototype has one. Returns what is wrong otherwise.
fn check_fetch_handler<'js>(
    _ctx: &Ctx<'js>,
    exports: &Object<'js>,
    name: &str,
) -> Result<(), String> {
    let handler: Value = exports.get(name).map_err(|e| e.to_string())?;
    if handler.is_undefined() {
        return Err("the module has no default export".into());
    }
    let has_fetch = |object: &Object<'js>| {
        object
            .get::<_, Value>("fetch")
            .is_ok_and(|f| f.is_function())
    };
    if handler.is_function() {
        let prototype: Option<Object> = handler.as_object().and_then(|o| o.get("prototype").ok());
        if prototype.as_ref().is_some_and(has_fetch) {
            return Ok(());
        }
        return Err("its default export is a class or function without a fetch() method".into());
    }
    match handler.as_object() {
        Some(object) if has_fetch(object) => Ok(()),
        Some(_) => Err("its default export has no fetch() method".into()),
        None => Err(format!(
            "its default export is a {}, not an object",
            handler.type_name()
        )),
    }
}

// === service bindings ===

/// `env.NAME.fetch(request)`: hand the request to the target worker's isolate on this thread, as a
/// local task, and resolve the returned promise with its response when it comes back.
fn binding_fetch<'js>(
    ctx: &Ctx<'js>,
    state: &Rc<IsolateState>,
    spec: &WorkerSpec,
    id: usize,
    request: Value<'js>,
) -> rquickjs::Result<Promise<'js>> {
    let binding = spec
        .config
        .services
        .get(id)
        .ok_or_else(|| rquickjs::Exception::throw_internal(ctx, "unknown service binding"))?;
    // Which of this isolate's requests made the call is not tracked through promises, so take the
    // deepest one in flight: exact for a single chain, and a cycle still hits the cap.
    let depth = state
        .waiting
        .borrow()
        .values()
        .map(|(_, d)| *d)
        .max()
        .unwrap_or(0)
        + 1;
    if depth > MAX_CHAIN_DEPTH {
        return Err(rquickjs::Exception::throw_message(
            ctx,
            &format!(
                "Subrequest depth limit exceeded: this request passed through more than \
                 {MAX_CHAIN_DEPTH} workers. Do service bindings call each other in a cycle?"
            ),
        ));
    }
    let request = switchyard_web::request_from_js(ctx, request)?;
    let (promise, resolve, reject) = ctx.promise()?;
    let resolve = Persistent::save(ctx, resolve);
    let reject = Persistent::save(ctx, reject);
    let target = binding.service.to_string();
    let entrypoint = binding.entrypoint.clone();
    let caller = Rc::downgrade(state);
    let workers = state.workers.clone();
    state.in_flight.set(state.in_flight.get() + 1);

    tokio::task::spawn_local(async move {
        let result = match workers.upgrade() {
            Some(workers) => {
                workers
                    .fetch(&target, entrypoint.as_deref(), request, depth)
                    .await
            }
            None => Err(WorkerError::Internal("the server is shutting down".into())),
        };
        let Some(caller) = caller.upgrade() else {
            return;
        };
        let completion_state = Rc::downgrade(&caller);
        caller
            .completions
            .borrow_mut()
            .push_back(Box::new(move |ctx| {
                if let Some(state) = completion_state.upgrade() {
                    state.in_flight.set(state.in_flight.get().saturating_sub(1));
                }
                let outcome = match result {
                    Ok(response) => switchyard_web::response_to_js(&ctx, response)
                        .and_then(|response| resolve.restore(&ctx)?.call::<_, ()>((response,))),
                    Err(error) => error
                        .to_js(&ctx)
                        .and_then(|error| reject.clone().restore(&ctx)?.call::<_, ()>((error,))),
                };
                if let Err(error) = outcome {
                    // Converting the response failed: the caller's promise must still settle.
                    let caught = ctx.catch();
                    let _ = reject.restore(&ctx).and_then(|reject| {
                        reject.call::<_, ()>((if caught.is_undefined() {
                            error.to_string().into_js_string(&ctx)
                        } else {
                            caught
                        },))
                    });
                }
            }));
        caller.wake.notify_one();
    });
    Ok(promise)
}

trait IntoJsString<'js> {
    fn into_js_string(self, ctx: &Ctx<'js>) -> Value<'js>;
}

impl<'js> IntoJsString<'js> for String {
    fn into_js_string(self, ctx: &Ctx<'js>) -> Value<'js> {
        rquickjs::String::from_str(ctx.clone(), &self)
            .map(|s| s.into_value())
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()))
    }
}

// === timers ===

#[derive(Default)]
struct Timers {
    next_id: u32,
    by_due: BTreeSet<(Instant, u32)>,
    entries: HashMap<u32, Timer>,
}

struct Timer {
    callback: Persistent<Function<'static>>,
    interval: Option<Duration>,
    due: Instant,
}

impl Timers {
    fn start(
        &mut self,
        callback: Persistent<Function<'static>>,
        delay: Duration,
        repeat: bool,
    ) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let id = self.next_id;
        let due = Instant::now() + delay;
        self.by_due.insert((due, id));
        self.entries.insert(
            id,
            Timer {
                callback,
                // A zero interval would spin; browsers and Workers clamp it too.
                interval: repeat.then_some(delay.max(Duration::from_millis(1))),
                due,
            },
        );
        id
    }

    fn clear(&mut self, id: u32) {
        if let Some(timer) = self.entries.remove(&id) {
            self.by_due.remove(&(timer.due, id));
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.by_due.first().map(|(due, _)| *due)
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remove the timers due by `now` (rescheduling intervals) and return their callbacks in order.
    fn take_due(&mut self, now: Instant) -> Vec<Persistent<Function<'static>>> {
        let mut out = Vec::new();
        while let Some(&(due, id)) = self.by_due.first() {
            if due > now {
                break;
            }
            self.by_due.pop_first();
            let Some(timer) = self.entries.get_mut(&id) else {
                continue;
            };
            out.push(timer.callback.clone());
            match timer.interval {
                Some(interval) => {
                    timer.due = now + interval;
                    self.by_due.insert((timer.due, id));
                }
                None => {
                    self.entries.remove(&id);
                }
            }
        }
        out
    }
}

// === logging ===

/// Print one console line, prefixed with the worker's name. log/info/debug go to stdout,
/// warn/error to stderr, like `wrangler dev`.
pub(crate) fn log_line(worker: &str, level: LogLevel, line: &str) {
    use std::io::Write;
    let tag = match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Log => "log",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    };
    let mut text = String::with_capacity(line.len() + worker.len() + 16);
    for (i, part) in line.split('\n').enumerate() {
        if i == 0 {
            text.push_str(&format!("[{worker}] {tag}: {part}\n"));
        } else {
            text.push_str(&format!("[{worker}]   {part}\n"));
        }
    }
    let _ = match level {
        LogLevel::Warn | LogLevel::Error => std::io::stderr().lock().write_all(text.as_bytes()),
        _ => std::io::stdout().lock().write_all(text.as_bytes()),
    };
}

impl JsException {
    pub(crate) fn from_caught(caught: CaughtError<'_>) -> JsException {
        match caught {
            CaughtError::Exception(exception) => JsException {
                name: exception
                    .as_object()
                    .get::<_, String>("name")
                    .unwrap_or_else(|_| "Error".into()),
                message: exception.message().unwrap_or_default(),
                stack: exception.stack().unwrap_or_default(),
            },
            CaughtError::Value(value) => JsException {
                name: "Error".into(),
                message: format!("{value:?}"),
                stack: String::new(),
            },
            CaughtError::Error(error) => JsException {
                name: "Error".into(),
                message: error.to_string(),
                stack: String::new(),
            },
        }
    }
}
