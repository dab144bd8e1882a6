//! One worker's JavaScript isolate on one thread: a QuickJS runtime and context with the worker's
//! modules evaluated, its `env`, and the small event loop (timers, completed binding calls,
//! microtasks) that drives its promises.
//!
//! Nothing here is `Send` but a [`Blank`] on its way to the thread that will use it (see
//! [`ShippedBlank`]). Each server thread owns its isolates through [`crate::LocalWorkers`]; a
//! request never leaves the thread it arrived on, and a service-binding call runs the callee's
//! isolate on the same thread: at once, nested in the caller's call, when it can (see
//! `Isolate::call_other`), else as a local task.
//!
//! Every `Persistent` handle lives in [`IsolateState`] and is released in [`Isolate`]'s `Drop`,
//! while the runtime is alive: tasks and completions carry plain ids, never JS values.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, VecDeque};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use rquickjs::atom::PredefinedAtom;
use rquickjs::function::{Opt, This};
use rquickjs::{Context, Ctx, Function, Object, Persistent, Promise, Runtime, Value};
use rustc_hash::FxHashMap;
use switchyard_web::{Body, HttpRequest, HttpResponse, LogLevel, WebOptions};
use tokio::sync::{Notify, oneshot};

use crate::error::{JsException, LimitKind, StartupError, WorkerError};
use crate::fleet::WorkerSpec;
use crate::local::LocalWorkers;

mod body;
mod rpc;

pub(crate) use rpc::{CallTarget, Reply, RpcCall};
use rpc::{ImportScope, StubTable};

const RUNTIME_JS: &str = include_str!("js/runtime.js");
const RUNTIME_MODULE: &str = "switchyard:runtime";

/// `runtime.js` compiled once per process; each isolate loads the bytecode instead of parsing the
/// source (which took 150–300 µs of every new isolate's start).
static RUNTIME_BYTECODE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// Most workers one request may pass through. Cloudflare caps service-binding recursion the same
/// way; without a cap a cycle (A → B → A) would recurse until memory runs out.
pub const MAX_CHAIN_DEPTH: u32 = 32;

/// Cloudflare's message for I/O and timers attempted while a module evaluates.
const GLOBAL_SCOPE_IO: &str = "Disallowed operation called within global scope. Asynchronous I/O \
    (ex: fetch() or connect()), setting a timeout, and generating random values are not allowed \
    within global scope. To fix this error, perform this operation within a handler.";

/// A request (or incoming call) being handled.
struct Waiter {
    /// How deep in a binding chain it is.
    depth: u32,
    /// Where its result goes once its [`Started`] waits for it. Before that (most handlers answer
    /// while they start) the result is kept in `IsolateState::answered`, with no channel made.
    tx: Option<oneshot::Sender<Result<Reply, WorkerError>>>,
}

/// Requests in flight, calls made and the like, by id: ids are sequential and ours, so a hash
/// that is cheap beats one that resists chosen keys (SipHash was ~1% of a hello request).
type ById<T> = FxHashMap<u64, T>;

/// Something that happened outside the isolate, to be delivered on its next turn.
enum Completion {
    /// A service-binding fetch or RPC call made by this isolate came back.
    Binding {
        call: u64,
        result: Result<Reply, WorkerError>,
    },
}

/// A worker's isolate. Created by [`LocalWorkers`] on first use; freed when a limit is exceeded,
/// when it has been idle for the isolate idle timeout, or with the thread.
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
    /// Binding calls made by this isolate that have not come back yet: the caller's promise.
    calls: RefCell<ById<PendingCall>>,
    next_call: Cell<u64>,
    /// `ctx.waitUntil` promises not settled yet.
    wait_until: Cell<usize>,
    /// Streamed response bodies being pumped out: they keep timers alive like waitUntil work,
    /// but do not hold the subrequest count (a long stream is not one long request).
    pumps: Cell<usize>,
    /// Requests being handled, by id.
    waiting: RefCell<ById<Waiter>>,
    /// Results of requests no longer `waiting` whose [`Started`] has not taken them yet.
    answered: RefCell<Vec<(u64, Result<Reply, WorkerError>)>>,
    next_request: Cell<u64>,
    /// Depth of the request that arrived last; binding calls made after every request has
    /// responded (from `waitUntil` work) count from it, so a cycle there still hits the cap.
    last_depth: Cell<u32>,
    /// `fetch()` calls made since the isolate was last idle (no request in flight); see
    /// `outbound_fetch` for how the limit applies.
    subrequests: Cell<u64>,
    /// Calls that can be cancelled (`fetch()` with an AbortSignal): their tasks.
    cancellable: RefCell<ById<tokio::task::AbortHandle>>,
    /// Promises rejected with no handler yet. Reported only if still unhandled once microtasks
    /// have run: `try { await f() } catch {}` briefly has an unhandled rejection too.
    rejections: RefCell<Vec<(Persistent<Value<'static>>, Persistent<Value<'static>>)>>,
    closed: Cell<bool>,
    /// While the modules evaluate: I/O and timers are refused, and a rejection is the start-up
    /// error itself, reported once.
    booting: Cell<bool>,
    /// When the JavaScript running now must stop (its CPU budget); read by the interrupt handler.
    deadline: Cell<Option<Instant>>,
    /// When JavaScript last ran here: how long the isolate has been idle. Set when a run starts
    /// and each time the interrupt handler looks at the clock, so a run's end costs no clock
    /// read. The idle time can then count from up to the stretch a run spends after its last
    /// interrupt check (QuickJS checks about every 10 000 calls and loop iterations, never
    /// inside a native function): nothing next to idle timeouts of seconds.
    last_ran: Cell<Instant>,
    /// Whether JavaScript runs in it now (a call made at once may be nested in it).
    running: Cell<bool>,
    /// Set when a limit was exceeded: the isolate is then discarded.
    exceeded: Cell<Option<LimitKind>>,
    /// The QuickJS runtime, for the interrupt handler's GC threshold clamp (see
    /// `clamp_gc_threshold`); null until boot.
    raw_runtime: Cell<*mut rquickjs::qjs::JSRuntime>,
    limits: crate::fleet::Limits,
    /// `env`, the module namespace and the runtime.js helpers, kept for every request.
    env: RefCell<Option<Persistent<Object<'static>>>>,
    exports: RefCell<Option<Persistent<Object<'static>>>>,
    glue: RefCell<Option<Persistent<Object<'static>>>>,
    /// `ExecutionContext.prototype` (runtime.js): each request's `ctx` is made from Rust. With
    /// an empty object of it kept, so that each `ctx` finds its shape instead of making it (see
    /// switchyard-web's `Internals`).
    context_prototype: RefCell<Option<(Persistent<Object<'static>>, Persistent<Object<'static>>)>>,
    /// Whether the default export has a fetch handler, set at boot.
    serves_http: Cell<bool>,
    /// When the default export is an object (not a class): it and its `fetch`, read once at
    /// boot as workerd reads an `ExportedHandler`, so a request looks neither up, and the call
    /// made with them (see [`DefaultFetch`]).
    default_fetch: Cell<Option<DefaultFetch>>,
    /// The `Persistent`s that keep `default_fetch`'s export and function alive.
    default_fetch_kept:
        RefCell<Option<(Persistent<Object<'static>>, Persistent<Function<'static>>)>>,
    /// The isolate itself, for stubs exported from it.
    me: RefCell<Weak<Isolate>>,
    /// RPC stubs exported from and imported into this isolate.
    stubs: RefCell<StubTable>,
}

struct PendingCall {
    resolve: Persistent<Function<'static>>,
    reject: Persistent<Function<'static>>,
}

/// A QuickJS runtime and context with the Web API core installed and nothing of any worker's
/// yet: most of what starting an isolate costs (the context and the core: ~0.55 ms of ~0.8 ms).
/// [`LocalWorkers`] keeps one ready, so a worker's first request does not pay for it.
pub(crate) struct Blank {
    // Field order matters: the context must go before the runtime it lives in.
    context: Context,
    runtime: Runtime,
    /// Where the Web API's console lines and stack traces go, set when a worker takes it.
    sinks: Rc<WebSinks>,
}

#[derive(Default)]
struct WebSinks {
    worker: RefCell<String>,
    graph: RefCell<Option<Arc<crate::modules::ModuleGraph>>>,
}

impl Blank {
    pub(crate) fn new() -> Result<Blank, String> {
        let runtime = Runtime::new().map_err(|e| e.to_string())?;
        runtime.set_max_stack_size(1024 * 1024);
        let context = Context::full(&runtime).map_err(|e| e.to_string())?;
        let sinks = Rc::new(WebSinks::default());
        let (console, stacks) = (sinks.clone(), sinks.clone());
        context
            .with(|ctx| {
                switchyard_web::install(
                    &ctx,
                    WebOptions {
                        console: Rc::new(move |level, line| {
                            log_line(&console.worker.borrow(), level, line);
                        }),
                        map_stack: Some(Rc::new(move |stack| match &*stacks.graph.borrow() {
                            Some(graph) => graph.map_stack(stack),
                            None => stack.to_owned(),
                        })),
                    },
                )
            })
            .map_err(|e| format!("the Web APIs could not be installed: {e}"))?;
        Ok(Blank {
            context,
            runtime,
            sinks,
        })
    }

    /// Pack this blank to move it to another thread (see [`ShippedBlank`]).
    pub(crate) fn ship(self) -> ShippedBlank {
        ShippedBlank(self)
    }

    /// Evaluate `source` as a script in this blank: its value as a string, or what it threw.
    #[cfg(test)]
    pub(crate) fn eval_for_test(&self, source: &str) -> String {
        self.context.with(|ctx| {
            ctx.eval::<String, _>(source)
                .unwrap_or_else(|error| format!("threw: {error}"))
        })
    }
}

/// A [`Blank`] made on one thread, for a server thread to use: spares are made by a thread of
/// their own (see `spares.rs`) rather than by the server thread that needs them.
pub(crate) struct ShippedBlank(Blank);

// SAFETY: a Blank is a QuickJS runtime, its one context, and `Rc`s that only the Blank and the
// Rust functions stored inside that runtime hold (the sinks, rquickjs's handle on its runtime,
// the Web API's internals in runtime userdata). Moving the Blank moves all of them at once, and
// it is moved only whole and while no JavaScript runs in it, so no `Rc` count is ever touched
// from two threads. QuickJS, rquickjs and switchyard-web keep no thread-local state about a
// runtime. The one thing QuickJS ties to a thread, the stack limit, is measured again by
// `unpack` on the thread that will run it.
unsafe impl Send for ShippedBlank {}

impl ShippedBlank {
    /// The blank, ready to run JavaScript on the calling thread.
    pub(crate) fn unpack(self) -> Blank {
        let blank = self.0;
        // SAFETY: the context is alive (the blank owns it), so its runtime is too; QuickJS
        // measures the stack limit from the calling thread's stack pointer, as `Runtime::new`
        // would have done had the runtime been made here.
        unsafe {
            let runtime = rquickjs::qjs::JS_GetRuntime(blank.context.as_raw().as_ptr());
            rquickjs::qjs::JS_UpdateStackTop(runtime);
        }
        blank
    }
}

impl Isolate {
    /// Create the isolate and evaluate the worker's modules, in `blank` if given (else in a
    /// new one). `workers` is the thread's registry (for service bindings); validation passes a
    /// dangling one.
    pub(crate) fn new(
        spec: Arc<WorkerSpec>,
        workers: Weak<LocalWorkers>,
        blank: Option<Blank>,
    ) -> Result<Rc<Isolate>, StartupError> {
        let startup = |message: String| StartupError::Threw {
            worker: spec.config.name.to_string(),
            message,
        };
        let Blank {
            context,
            runtime,
            sinks,
        } = match blank {
            Some(blank) => blank,
            None => Blank::new().map_err(startup)?,
        };
        *sinks.worker.borrow_mut() = spec.config.name.to_string();
        *sinks.graph.borrow_mut() = Some(spec.graph.clone());
        runtime.set_memory_limit(spec.limits.memory);
        runtime.set_loader(spec.graph.loader(), spec.graph.loader());
        let state = Rc::new(IsolateState {
            worker: spec.config.name.to_string(),
            workers,
            timers: RefCell::new(Timers::default()),
            completions: RefCell::new(VecDeque::new()),
            wake: Notify::new(),
            calls: RefCell::new(ById::default()),
            next_call: Cell::new(1),
            wait_until: Cell::new(0),
            pumps: Cell::new(0),
            waiting: RefCell::new(ById::default()),
            answered: RefCell::new(Vec::new()),
            next_request: Cell::new(1),
            last_depth: Cell::new(0),
            last_ran: Cell::new(Instant::now()),
            running: Cell::new(false),
            rejections: RefCell::new(Vec::new()),
            subrequests: Cell::new(0),
            cancellable: RefCell::new(ById::default()),
            closed: Cell::new(false),
            booting: Cell::new(true),
            deadline: Cell::new(None),
            exceeded: Cell::new(None),
            raw_runtime: Cell::new(std::ptr::null_mut()),
            limits: spec.limits,
            env: RefCell::new(None),
            exports: RefCell::new(None),
            glue: RefCell::new(None),
            context_prototype: RefCell::new(None),
            serves_http: Cell::new(false),
            default_fetch: Cell::new(None),
            default_fetch_kept: RefCell::new(None),
            me: RefCell::new(Weak::new()),
            stubs: RefCell::new(StubTable::default()),
        });
        // QuickJS calls this every few thousand instructions; `true` throws an uncatchable error.
        let interrupt_state = Rc::downgrade(&state);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let Some(state) = interrupt_state.upgrade() else {
                return false;
            };
            clamp_gc_threshold(state.raw_runtime.get(), state.limits.memory);
            let Some(deadline) = state.deadline.get() else {
                return false;
            };
            let now = Instant::now();
            // A run that lasts long enough to be interrupted was running until now.
            state.last_ran.set(now);
            if now < deadline {
                return false;
            }
            let budget = if state.booting.get() {
                state.limits.startup_cpu
            } else {
                state.limits.cpu
            };
            state.exceeded.set(Some(LimitKind::Cpu(budget)));
            true
        })));
        let tracker_state = Rc::downgrade(&state);
        runtime.set_host_promise_rejection_tracker(Some(Box::new(
            move |ctx, promise, reason, is_handled| {
                let Some(state) = tracker_state.upgrade() else {
                    return;
                };
                if state.booting.get() {
                    return;
                }
                let mut rejections = state.rejections.borrow_mut();
                if is_handled {
                    rejections
                        .retain(|(p, _)| p.clone().restore(&ctx).ok().as_ref() != Some(&promise));
                } else {
                    rejections.push((
                        Persistent::save(&ctx, promise),
                        Persistent::save(&ctx, reason),
                    ));
                }
            },
        )));
        let isolate = Rc::new(Isolate {
            spec: spec.clone(),
            context,
            runtime,
            state,
        });
        *isolate.state.me.borrow_mut() = Rc::downgrade(&isolate);
        let booted = isolate.run(spec.limits.startup_cpu, |ctx| isolate.boot(&ctx));
        if let Some(limit) = isolate.state.exceeded.get() {
            return Err(StartupError::Threw {
                worker: spec.config.name.to_string(),
                message: match limit {
                    LimitKind::Cpu(budget) => format!(
                        "evaluating its modules used more than {} ms of CPU time, the start-up \
                         limit; move expensive set-up into a handler",
                        budget.as_millis()
                    ),
                    LimitKind::Memory(_) => format!(
                        "evaluating its modules exceeded its {limit}; raise `[limits] memory_mb` \
                         or allocate less at start-up"
                    ),
                },
            });
        }
        booted?;
        isolate.state.booting.set(false);
        Ok(isolate)
    }

    pub fn worker(&self) -> &str {
        &self.state.worker
    }

    /// The QuickJS heap this isolate holds, after collecting garbage.
    pub fn heap_bytes(&self) -> usize {
        self.runtime.run_gc();
        usize::try_from(self.runtime.memory_usage().malloc_size).unwrap_or(0)
    }

    /// Give the JavaScript about to run (one binding result, one timer) a fresh CPU budget.
    fn restart_budget(&self) {
        self.state
            .deadline
            .set(Some(Instant::now() + self.state.limits.cpu));
    }

    /// Run JavaScript in this isolate with `budget` of CPU time before it is interrupted.
    fn run<R>(&self, budget: Duration, f: impl FnOnce(Ctx<'_>) -> R) -> R {
        let state = &self.state;
        debug_assert!(
            !state.running.get(),
            "JavaScript started in a running isolate"
        );
        // One clock read for all three: each is ~25 ns, and this runs for every request.
        let now = Instant::now();
        nesting::enter_run(now);
        state.last_ran.set(now);
        state.running.set(true);
        state.deadline.set(Some(now + budget));
        // However it ends (a panic unwinds through here too), the isolate is left not running.
        let _ran = Ran(state);
        self.context.with(f)
    }

    /// After JavaScript ran: if it exceeded a limit, discard this isolate. Its requests fail with
    /// [`WorkerError::LimitExceeded`]; [`LocalWorkers`] gives the next request a fresh isolate.
    /// Returns whether the isolate is discarded.
    fn enforce_limits(&self) -> bool {
        let state = &self.state;
        let Some(limit) = state.exceeded.get() else {
            return false;
        };
        if state.closed.get() {
            return true;
        }
        state.closed.set(true);
        state.wake.notify_one();
        log_line(
            &state.worker,
            LogLevel::Error,
            &format!(
                "exceeded its {limit}: its isolate is discarded, requests in flight in it fail \
                 with 503, and the next request gets a fresh isolate"
            ),
        );
        if let Some(workers) = state.workers.upgrade() {
            workers.forget(&state.worker, self);
        }
        let waiters: Vec<_> = state.waiting.borrow_mut().drain().collect();
        for (id, waiter) in waiters {
            let error = WorkerError::LimitExceeded {
                worker: state.worker.clone(),
                limit,
            };
            state.send(id, waiter, Err(error));
        }
        true
    }

    /// Whether this isolate was discarded (a limit was exceeded) or shut down.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.closed.get()
    }

    /// Install the runtime glue, build `env`, evaluate the modules, check the handlers.
    fn boot<'js>(&self, ctx: &Ctx<'js>) -> Result<(), StartupError> {
        // SAFETY: reading the runtime pointer of a live context has no preconditions.
        let raw_runtime = unsafe { rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr()) };
        self.state.raw_runtime.set(raw_runtime);
        clamp_gc_threshold(raw_runtime, self.state.limits.memory);
        let spec = &self.spec;
        let worker = spec.config.name.to_string();
        let threw = |ctx: &Ctx<'js>, error: rquickjs::Error| {
            let exception = JsException::from_error(ctx, error, &spec.graph);
            // Lets `Isolate::new` report running out of memory as the limit it is.
            self.state.note_limit(ctx, &exception);
            StartupError::Threw {
                worker: worker.clone(),
                message: exception.to_string(),
            }
        };
        // The Web APIs are in already (see `Blank`), perhaps since long before this worker
        // started: its `performance` clock starts now.
        switchyard_web::restart_clock(ctx).map_err(|e| threw(ctx, e))?;
        let glue = self.install_glue(ctx).map_err(|e| threw(ctx, e))?;
        let env = self.build_env(ctx, &glue).map_err(|e| threw(ctx, e))?;
        glue.get::<_, Function>("setEnv")
            .and_then(|f| f.call::<_, ()>((env.clone(),)))
            .map_err(|e| threw(ctx, e))?;

        let exports = self.evaluate_main(ctx).map_err(|e| threw(ctx, e))?;
        let is_entrypoint_class: Function =
            glue.get("isEntrypointClass").map_err(|e| threw(ctx, e))?;
        let handler =
            check_handler(&exports, "default", &is_entrypoint_class).map_err(|problem| {
                StartupError::NoHandler {
                    worker: worker.clone(),
                    main: spec.config.main.clone(),
                    problem,
                }
            })?;
        self.state
            .serves_http
            .set(matches!(handler, Handler::Fetch(_)));
        *self.state.exports.borrow_mut() = Some(Persistent::save(ctx, exports));
        let context_prototype: Object = glue.get("contextPrototype").map_err(|e| threw(ctx, e))?;
        let shape_keeper =
            Object::new_proto(ctx.clone(), Some(&context_prototype)).map_err(|e| threw(ctx, e))?;
        *self.state.context_prototype.borrow_mut() = Some((
            Persistent::save(ctx, context_prototype.clone()),
            Persistent::save(ctx, shape_keeper),
        ));
        *self.state.glue.borrow_mut() = Some(Persistent::save(ctx, glue));
        if let Handler::Fetch(Some((object, fetch))) = handler {
            self.state.default_fetch.set(Some(DefaultFetch {
                this: object.as_raw(),
                fetch: fetch.as_raw(),
                env: env.as_raw(),
                context_prototype: context_prototype.as_raw(),
            }));
            // What keeps those alive.
            *self.state.default_fetch_kept.borrow_mut() =
                Some((Persistent::save(ctx, object), Persistent::save(ctx, fetch)));
        }
        *self.state.env.borrow_mut() = Some(Persistent::save(ctx, env));
        Ok(())
    }

    fn evaluate_main<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let graph = &self.spec.graph;
        let main = &graph.modules[&graph.entry];
        let declared = main.declare(ctx, graph.entry.as_str())?;
        let (module, promise) = declared.eval()?;
        // Top-level await settles through microtasks; I/O and timers are refused at start-up, so
        // a promise still pending here can never settle.
        while ctx.execute_pending_job() {}
        if let rquickjs::promise::PromiseState::Pending = promise.state() {
            return Err(rquickjs::Exception::throw_message(
                ctx,
                "the module's top-level await never settles (I/O and timers are only available \
                 inside a handler)",
            ));
        }
        promise.finish::<()>()?;
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
                    state.refuse_in_global_scope(&ctx)?;
                    // As in browsers and Node: NaN and negatives mean 0, and delays past a
                    // 32-bit millisecond count overflow to 1 ms.
                    let ms = match delay {
                        d if !d.is_finite() || d <= 0.0 => 0.0,
                        d if d > f64::from(i32::MAX) => 1.0,
                        d => d,
                    };
                    let delay = Duration::from_secs_f64(ms / 1000.0);
                    let callback = Persistent::save(&ctx, callback);
                    let id = state.timers.borrow_mut().start(callback, delay, repeat);
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
            "pumpStart",
            Function::new(ctx.clone(), move || {
                if let Some(state) = s.upgrade() {
                    state.pumps.set(state.pumps.get() + 1);
                }
            })?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "pumpEnd",
            Function::new(ctx.clone(), move || {
                if let Some(state) = s.upgrade() {
                    state.pumps.set(state.pumps.get().saturating_sub(1));
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
            Function::new(ctx.clone(), move |origin: String, error: Value<'js>| {
                if let Some(state) = s.upgrade() {
                    let details = JsException::from_value(error, &graph);
                    log_line(
                        &state.worker,
                        LogLevel::Error,
                        &format!("Uncaught (in {origin}) {details}"),
                    );
                }
            })?,
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
        native.set(
            "assertInHandler",
            Function::new(ctx.clone(), move |ctx: Ctx<'js>| match s.upgrade() {
                Some(state) => state.refuse_in_global_scope(&ctx),
                None => Ok(()),
            })?,
        )?;
        native.set(
            "compileScript",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, source: String, filename: String| {
                    let mut options = rquickjs::context::EvalOptions::default();
                    options.global = true;
                    options.strict = false;
                    options.filename = Some(filename);
                    ctx.eval_with_options::<Value<'js>, _>(source, options)
                },
            )?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "outboundFetch",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>,
                      request: Value<'js>,
                      redirect: String,
                      resolve: Function<'js>,
                      reject: Function<'js>| {
                    let isolate = s
                        .upgrade()
                        .and_then(|state| state.me.borrow().upgrade())
                        .ok_or(rquickjs::Error::Unknown)?;
                    outbound_fetch(&ctx, &isolate, request, &redirect, resolve, reject)
                },
            )?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "cancelCall",
            Function::new(ctx.clone(), move |call: f64| {
                let Some(state) = s.upgrade() else {
                    return;
                };
                let call = call as u64;
                if let Some(task) = state.cancellable.borrow_mut().remove(&call) {
                    task.abort();
                }
                state.calls.borrow_mut().remove(&call);
            })?,
        )?;
        native.set(
            "requestSignal",
            Function::new(ctx.clone(), |ctx: Ctx<'js>, request: Value<'js>| {
                switchyard_web::request_signal(&ctx, request)
            })?,
        )?;
        native.set(
            "abortBody",
            Function::new(
                ctx.clone(),
                |ctx: Ctx<'js>, response: Value<'js>, reason: Value<'js>| {
                    switchyard_web::abort_response_body(&ctx, response, reason)
                },
            )?,
        )?;
        let s = Rc::downgrade(state);
        native.set(
            "bindingFetch",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, id: usize, input: Value<'js>, init: Opt<Value<'js>>| {
                    let isolate = s
                        .upgrade()
                        .and_then(|state| state.me.borrow().upgrade())
                        .ok_or(rquickjs::Error::Unknown)?;
                    binding_fetch(&ctx, &isolate, id, input, init.0)
                },
            )?,
        )?;

        rpc::install_natives(ctx, &native, state)?;
        body::install_natives(ctx, &native, state)?;

        let declared = crate::modules::declare_cached(
            ctx,
            RUNTIME_MODULE,
            RUNTIME_JS,
            &RUNTIME_BYTECODE,
            true,
        )?;
        let (module, evaluated) = declared.eval()?;
        evaluated.finish::<()>()?;
        let factory: Function = module.get("default")?;
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

    /// Whether the default export has a fetch handler (not only RPC methods).
    pub(crate) fn serves_http(&self) -> bool {
        self.state.serves_http.get()
    }

    /// Whether the worker's modules export `name` as an entrypoint (with a fetch handler, or a
    /// WorkerEntrypoint class for RPC); what is wrong otherwise.
    pub(crate) fn check_entrypoint(&self, name: &str) -> Result<(), String> {
        // Reading `fetch` may run a user getter: give it the start-up budget, not forever.
        let checked = self.run(self.state.limits.startup_cpu, |ctx| {
            let exports = self.exports(&ctx).map_err(|e| e.to_string())?;
            let glue = restore(&ctx, &self.state.glue).map_err(|e| e.to_string())?;
            let is_entrypoint_class: Function =
                glue.get("isEntrypointClass").map_err(|e| e.to_string())?;
            check_handler(&exports, name, &is_entrypoint_class).map(|_| ())
        });
        match self.state.exceeded.get() {
            Some(limit) => Err(format!("reading the export exceeded its {limit}")),
            None => checked,
        }
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        restore(ctx, &self.state.exports)
    }

    /// A new `ExecutionContext` (a handler's `ctx`): an object with runtime.js's prototype,
    /// which holds its methods, made without calling into JavaScript.
    fn make_context<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let prototype = self
            .state
            .context_prototype
            .borrow()
            .as_ref()
            .map(|(prototype, _)| prototype.clone())
            .ok_or(rquickjs::Error::Unknown)?;
        Object::new_proto(ctx.clone(), Some(&prototype.restore(ctx)?))
    }

    // === requests ===

    /// Run the worker's fetch handler (of `entrypoint`, or the default export) for `request`,
    /// which is `depth` workers deep in a binding chain (1 for a request from a client). The
    /// handler starts at once; the future is its response.
    pub fn fetch(
        self: &Rc<Self>,
        entrypoint: Option<&str>,
        request: HttpRequest,
        depth: u32,
        timeout: Duration,
    ) -> Fetch {
        let mut started = match self.begin_fetch(entrypoint, request, depth) {
            Ok(started) => started,
            Err(error) => return Fetch::ready(Err(error)),
        };
        match started.now() {
            Some(reply) => Fetch(Fetching::Ready(Some(reply.and_then(http_reply)))),
            None => Fetch(Fetching::Waiting(Box::pin(async move {
                http_reply(started.finish(timeout).await?)
            }))),
        }
    }

    /// Start the fetch handler for `request` (see [`Isolate::fetch`]); its reply may be there
    /// at once.
    pub(crate) fn begin_fetch(
        self: &Rc<Self>,
        entrypoint: Option<&str>,
        request: HttpRequest,
        depth: u32,
    ) -> Result<Started, WorkerError> {
        let upload = match &request.body {
            Body::Stream(stream) => Some(stream.activity()),
            Body::Bytes(_) => None,
        };
        self.begin(depth, upload, |ctx, id| {
            self.start_fetch(ctx, id, entrypoint, request)
        })
    }

    /// Start an RPC call (or property read) on `target`, `depth` workers deep in a chain; its
    /// reply may be there at once.
    pub(crate) fn begin_call(
        self: &Rc<Self>,
        target: CallTarget,
        call: RpcCall,
        depth: u32,
    ) -> Result<Started, WorkerError> {
        self.begin(depth, None, |ctx, id| {
            self.start_call(ctx, id, target, call)
        })
    }

    /// Register request `id` and let `start` run its handler, with the microtasks it queued.
    /// `upload` is a streamed request body, whose reading extends the reply's timeout.
    fn begin(
        self: &Rc<Self>,
        depth: u32,
        upload: Option<Arc<switchyard_web::Activity>>,
        start: impl FnOnce(&Ctx<'_>, u64) -> Result<(), WorkerError>,
    ) -> Result<Started, WorkerError> {
        let state = &self.state;
        let id = state.next_request.get();
        state.next_request.set(id + 1);
        state.last_depth.set(depth);
        state
            .waiting
            .borrow_mut()
            .insert(id, Waiter { depth, tx: None });
        // From here on, however this ends (the client going away drops it), the waiter goes.
        let started = Started {
            isolate: self.clone(),
            id,
            upload,
            replied: false,
        };
        let result = self.run(state.limits.cpu, |ctx| {
            let result = start(&ctx, id);
            while ctx.execute_pending_job() {}
            self.report_rejections(&ctx);
            result
        });
        if self.enforce_limits() {
            return Err(WorkerError::LimitExceeded {
                worker: state.worker.clone(),
                limit: state
                    .exceeded
                    .get()
                    .unwrap_or(LimitKind::Cpu(state.limits.cpu)),
            });
        }
        result?;
        self.after_turn();
        Ok(started)
    }

    fn start_fetch<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
        entrypoint: Option<&str>,
        request: HttpRequest,
    ) -> Result<(), WorkerError> {
        let started = (|| {
            let request = switchyard_web::request_to_js(ctx, request)?;
            if entrypoint.is_none()
                && let Some(default) = self.state.default_fetch.get()
            {
                let result = default.call(ctx, request)?;
                return self.handled(ctx, result);
            }
            let env = restore(ctx, &self.state.env)?;
            let exec_ctx = self.make_context(ctx)?;
            let exports = self.exports(ctx)?;
            let handler: Value = match entrypoint {
                Some(name) => exports.get(name)?,
                None => exports.get(PredefinedAtom::Default)?,
            };
            let no_fetch = || {
                rquickjs::Exception::throw_type(
                    ctx,
                    &format!(
                        "worker \"{}\" has no fetch() handler{}: it only answers RPC calls \
                         (call its methods, e.g. `env.SERVICE.myMethod()`, or add a fetch() method)",
                        self.state.worker,
                        entrypoint
                            .map(|e| format!(" in entrypoint \"{e}\""))
                            .unwrap_or_default()
                    ),
                )
            };
            let result: Value = if let Some(class) =
                handler.as_constructor().filter(|_| handler.is_function())
            {
                // `export default class extends WorkerEntrypoint`: a fresh instance per request.
                let instance: Object = class.construct((exec_ctx, env))?;
                let fetch: Function = instance
                    .get::<_, Value>("fetch")?
                    .into_function()
                    .ok_or_else(no_fetch)?;
                fetch.call((This(instance), request))?
            } else {
                let object = handler.as_object().cloned().ok_or_else(|| {
                    rquickjs::Exception::throw_type(ctx, "the entrypoint is not an object or class")
                })?;
                let fetch: Function = object
                    .get::<_, Value>("fetch")?
                    .into_function()
                    .ok_or_else(no_fetch)?;
                fetch.call((This(object), request, env, exec_ctx))?
            };
            self.handled(ctx, result)
        })();
        match started {
            Ok(Handled::Answered(parts)) => {
                self.reply_http(ctx, id, parts);
                Ok(())
            }
            Ok(Handled::Pending(promise)) => {
                self.settle_started(ctx, Ok(promise), id, Answer::Http)
            }
            Err(error) => self.settle_started(ctx, Err(error), id, Answer::Http),
        }
    }

    /// What a fetch handler returned, read once the microtasks it queued have run, as a
    /// promise's value would be.
    fn handled<'js>(&self, ctx: &Ctx<'js>, result: Value<'js>) -> rquickjs::Result<Handled<'js>> {
        while ctx.execute_pending_job() {}
        // A Response Rust can read at once is the usual answer; asking whether a value is a
        // promise costs more than this look.
        match switchyard_web::take_plain_response(ctx, &result) {
            Ok(Some(parts)) => return Ok(Handled::Answered(Ok(parts))),
            Ok(None) => {}
            Err(error) => return Ok(Handled::Answered(Err(error))),
        }
        if let Some(promise) = result.as_promise() {
            // Checked when it settles, or at once if it has (see settle_into).
            return Ok(Handled::Pending(promise.clone()));
        }
        match switchyard_web::response_parts_from_js(ctx, result.clone()) {
            Ok(Some(parts)) => Ok(Handled::Answered(Ok(parts))),
            Ok(None) => switchyard_web::finalize_response(ctx, result).map(Handled::Pending),
            // Not a usable Response: the request fails as if a promise of it had.
            Err(error) => Ok(Handled::Answered(Err(error))),
        }
    }

    /// Start an incoming RPC call: rebuild the arguments here, find the receiver (a fresh
    /// instance of the entrypoint class, the entrypoint object, or an exported stub target) and
    /// let runtime.js apply Cloudflare's lookup rules and call it.
    fn start_call<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
        target: CallTarget,
        call: RpcCall,
    ) -> Result<(), WorkerError> {
        const KIND_ENTRYPOINT_CLASS: u8 = 0;
        const KIND_ENTRYPOINT_OBJECT: u8 = 1;
        const KIND_STUB: u8 = 2;
        let promise = (|| {
            let args = match call.args {
                Some(wire) => self.value_from_wire(ctx, wire, ImportScope::Call(id))?,
                None => Value::new_undefined(ctx.clone()),
            };
            let env = restore(ctx, &self.state.env)?;
            let glue = restore(ctx, &self.state.glue)?;
            let exec_ctx = self.make_context(ctx)?;
            let (kind, receiver) = match target {
                CallTarget::Entrypoint(name) => {
                    let handler: Value = self
                        .exports(ctx)?
                        .get(name.as_deref().unwrap_or("default"))?;
                    if handler.is_constructor() {
                        (KIND_ENTRYPOINT_CLASS, handler)
                    } else {
                        (KIND_ENTRYPOINT_OBJECT, handler)
                    }
                }
                CallTarget::Export(export) => (KIND_STUB, self.exported(ctx, export)?),
            };
            let path = rquickjs::Array::new(ctx.clone())?;
            for (i, name) in call.path.into_iter().enumerate() {
                path.set(i, name)?;
            }
            glue.get::<_, Function>("invoke")?
                .call::<_, Promise>((kind, receiver, path, args, env, exec_ctx))
        })();
        self.settle_started(ctx, promise, id, Answer::Rpc)
    }

    /// Route a started handler's promise to waiter `id`; a handler that could not even start
    /// (it threw synchronously) fails the request as an uncaught exception.
    fn settle_started<'js>(
        &self,
        ctx: &Ctx<'js>,
        started: rquickjs::Result<Promise<'js>>,
        id: u64,
        answer: Answer,
    ) -> Result<(), WorkerError> {
        started
            .and_then(|promise| self.settle_into(ctx, promise, id, answer))
            .map_err(|e| {
                self.state
                    .uncaught(ctx, JsException::from_error(ctx, e, &self.spec.graph))
            })
    }

    /// Register a call this isolate makes to another (`resolve`/`reject` its promise), run `work`
    /// as a local task, and queue its reply for this isolate's next turn.
    fn call_elsewhere<'js>(
        &self,
        ctx: &Ctx<'js>,
        resolve: Function<'js>,
        reject: Function<'js>,
        work: impl std::future::Future<Output = Result<Reply, WorkerError>> + 'static,
    ) -> (u64, tokio::task::AbortHandle) {
        let state = &self.state;
        let call = state.next_call.get();
        state.next_call.set(call + 1);
        state.calls.borrow_mut().insert(
            call,
            PendingCall {
                resolve: Persistent::save(ctx, resolve),
                reject: Persistent::save(ctx, reject),
            },
        );
        let caller = Rc::downgrade(state);
        let task = tokio::task::spawn_local(async move {
            let result = work.await;
            if let Some(caller) = caller.upgrade() {
                caller
                    .completions
                    .borrow_mut()
                    .push_back(Completion::Binding { call, result });
                caller.wake.notify_one();
            }
        });
        (call, task.abort_handle())
    }

    /// Make a call from this isolate to another on this thread (`callee`), which `start` begins
    /// there; its reply settles `resolve`/`reject`.
    ///
    /// When the callee's isolate is up and no JavaScript runs in it, the call starts at once,
    /// nested in this isolate's native call: a handler that answers without waiting for I/O
    /// (a router's service, each hop of a chain) settles the promise before this returns, with
    /// no task or turn of either event loop in between. What this isolate runs next gets a CPU
    /// budget of its own, as after a reply delivered in a turn. Otherwise (the isolate must start
    /// first, it is busy up the stack in a cycle, the nesting is deep or has run long: see
    /// `nesting`) and for a handler that waits, the call goes on as a task (see
    /// `call_elsewhere`).
    fn call_other<'js>(
        &self,
        ctx: &Ctx<'js>,
        resolve: Function<'js>,
        reject: Function<'js>,
        callee: Callee,
        start: impl FnOnce(&Rc<Isolate>) -> Result<Started, WorkerError> + 'static,
    ) {
        let state = &self.state;
        let Some(workers) = state.workers.upgrade() else {
            let error = Err(WorkerError::Internal("the server is shutting down".into()));
            return self.settle_call(ctx, resolve, reject, error);
        };
        let timeout = workers.fleet().options.request_timeout;
        let ready = callee
            .ready(&workers)
            .filter(|callee| !callee.state.running.get());
        let nested = ready.and_then(|callee| Some((callee, nesting::enter_call()?)));
        let Some((target, nested)) = nested else {
            let workers = Rc::downgrade(&workers);
            self.call_elsewhere(ctx, resolve, reject, async move {
                let workers = workers
                    .upgrade()
                    .ok_or_else(|| WorkerError::Internal("the server is shutting down".into()))?;
                start(&callee.find(&workers)?)?.finish(timeout).await
            });
            return;
        };
        let started = start(&target);
        drop(nested);
        // What runs here next is what would have run when the reply came back in a turn of
        // its own: it gets its own CPU budget, as such a turn does, and the callee's time never
        // counts against this isolate.
        self.restart_budget();
        let result = match started {
            Ok(mut started) => match started.now() {
                Some(result) => result,
                None => {
                    self.call_elsewhere(ctx, resolve, reject, async move {
                        let _callee = callee;
                        started.finish(timeout).await
                    });
                    return;
                }
            },
            Err(error) => Err(error),
        };
        self.settle_call(ctx, resolve, reject, result);
    }

    /// Route the outcome of `promise` to the waiter `id`, as a Response or an RPC value. One
    /// fulfilled already (once the microtasks queued so far have run: an async handler that
    /// awaited nothing, a binding's reply that came at once) is answered now, with no callbacks
    /// to attach.
    fn settle_into<'js>(
        &self,
        ctx: &Ctx<'js>,
        promise: Promise<'js>,
        id: u64,
        answer: Answer,
    ) -> rquickjs::Result<()> {
        while ctx.execute_pending_job() {}
        if let rquickjs::promise::PromiseState::Resolved = promise.state() {
            let value = promise.result::<Value>().transpose()?;
            let value = value.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
            self.deliver(ctx, id, answer, value);
            return Ok(());
        }
        let me = self.state.me.borrow().clone();
        let on_ok = Function::new(ctx.clone(), move |ctx: Ctx<'js>, value: Value<'js>| {
            if let Some(isolate) = me.upgrade() {
                isolate.deliver(&ctx, id, answer, value);
            }
        })?;
        let me = self.state.me.borrow().clone();
        let on_err = Function::new(ctx.clone(), move |ctx: Ctx<'js>, reason: Value<'js>| {
            let Some(isolate) = me.upgrade() else {
                return;
            };
            let state = &isolate.state;
            if !state.waiting.borrow().contains_key(&id) {
                return;
            }
            let result = match answer {
                Answer::Http => {
                    Err(state.uncaught(&ctx, JsException::from_value(reason, &isolate.spec.graph)))
                }
                Answer::Rpc => isolate.rpc_rejection(&ctx, reason),
            };
            state.answer(id, result);
        })?;
        let then: Function = promise.get("then")?;
        then.call::<_, Value>((This(promise), on_ok, on_err))?;
        Ok(())
    }

    /// Answer waiter `id` with what its handler's promise was fulfilled with.
    fn deliver<'js>(&self, ctx: &Ctx<'js>, id: u64, answer: Answer, value: Value<'js>) {
        let state = &self.state;
        if !state.waiting.borrow().contains_key(&id) {
            return;
        }
        match answer {
            Answer::Http => {
                let parts = switchyard_web::response_from_js_streaming(ctx, value);
                self.reply_http(ctx, id, parts);
            }
            Answer::Rpc => {
                let result = match self.value_to_wire(ctx, value, "result") {
                    Ok(wire) => Ok(Reply::Value(wire)),
                    // The result cannot be cloned: the caller gets the DataCloneError.
                    Err(error) => self.rpc_rejection(ctx, caught(ctx, error)),
                };
                state.answer(id, result);
            }
        }
    }

    /// Answer waiter `id` with a handler's Response (`parts` as
    /// `response_from_js_streaming` gives them), pumping a stream body; a failure to take the
    /// Response apart fails the request as an uncaught exception.
    fn reply_http<'js>(
        &self,
        ctx: &Ctx<'js>,
        id: u64,
        parts: rquickjs::Result<ResponseParts<'js>>,
    ) {
        let state = &self.state;
        let result = parts
            .and_then(|(mut response, stream)| {
                if let Some(stream) = stream {
                    response.body = Body::Stream(self.pump_to_rust(ctx, stream, "response")?);
                }
                Ok(Reply::Http(Box::new(response)))
            })
            .map_err(|error| {
                state.uncaught(ctx, JsException::from_error(ctx, error, &self.spec.graph))
            });
        state.answer(id, result);
    }

    /// What an RPC caller gets when the call threw `reason`: the reason itself, cloned (as on
    /// Cloudflare, where the exception propagates to the caller), or the limit the isolate hit.
    fn rpc_rejection<'js>(&self, ctx: &Ctx<'js>, reason: Value<'js>) -> Result<Reply, WorkerError> {
        let exception = JsException::from_value(reason.clone(), &self.spec.graph);
        if self.state.note_limit(ctx, &exception) {
            return Err(WorkerError::LimitExceeded {
                worker: self.state.worker.clone(),
                limit: self
                    .state
                    .exceeded
                    .get()
                    .unwrap_or(LimitKind::Cpu(self.state.limits.cpu)),
            });
        }
        match self.value_to_wire(ctx, reason, "error") {
            Ok(wire) => Ok(Reply::Threw(wire)),
            // A thrown value that cannot be cloned (a Symbol, a WeakMap): its DataCloneError.
            Err(error) => match self.value_to_wire(ctx, caught(ctx, error), "error") {
                Ok(wire) => Ok(Reply::Threw(wire)),
                Err(_) => Err(WorkerError::Exception {
                    worker: self.state.worker.clone(),
                    exception,
                }),
            },
        }
    }

    /// Log the rejections no handler claimed once microtasks ran dry.
    fn report_rejections(&self, ctx: &Ctx<'_>) {
        let rejections = std::mem::take(&mut *self.state.rejections.borrow_mut());
        for (promise, reason) in rejections {
            if let (Ok(promise), Ok(reason)) = (promise.restore(ctx), reason.restore(ctx)) {
                // `addEventListener("unhandledrejection", e => e.preventDefault())` silences it.
                if let Ok(false) = switchyard_web::unhandled_rejection(ctx, promise, reason.clone())
                {
                    continue;
                }
                let details = JsException::from_value(reason, &self.spec.graph);
                log_line(
                    &self.state.worker,
                    LogLevel::Error,
                    &format!("Uncaught (in promise) {details}"),
                );
            }
        }
    }

    // === event loop ===

    /// Run until the isolate closes: wait for a completion or the next timer, then take a turn.
    pub(crate) async fn run_loop(self: Rc<Self>) {
        while !self.state.closed.get() {
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
            if self.state.closed.get() {
                // Discarded while waiting: run nothing more in it.
                break;
            }
            if self.turn() {
                // Timers fired: let this thread's other connections and isolates run before the
                // next turn, whatever the worker's timers do.
                tokio::task::yield_now().await;
            }
        }
    }

    /// Deliver completions, fire the timers due when the turn began, run microtasks. Returns
    /// whether any timer fired. Bounded: timers set or rescheduled during the turn wait for the
    /// next one, so `setTimeout(f, 0)` loops cannot starve the thread.
    fn turn(&self) -> bool {
        let now = Instant::now();
        let generation = self.state.timers.borrow_mut().begin_turn();
        let mut fired = false;
        self.run(self.state.limits.cpu, |ctx| {
            loop {
                if self.state.exceeded.get().is_some() {
                    break;
                }
                // Pop in its own statement: the borrow must end before JS runs.
                let next = self.state.completions.borrow_mut().pop_front();
                let Some(completion) = next else { break };
                // Each callback gets the whole budget: a turn may carry many requests' work.
                self.restart_budget();
                self.complete(&ctx, completion);
                while ctx.execute_pending_job() {}
            }
            loop {
                if self.state.exceeded.get().is_some() {
                    break;
                }
                let next = self.state.timers.borrow_mut().pop_due(now, generation);
                let Some(callback) = next else { break };
                fired = true;
                self.restart_budget();
                if let Ok(callback) = callback.restore(&ctx)
                    && let Err(error) = callback.call::<_, ()>(())
                {
                    let details = JsException::from_error(&ctx, error, &self.spec.graph);
                    if !self.state.note_limit(&ctx, &details) {
                        log_line(
                            &self.state.worker,
                            LogLevel::Error,
                            &format!("Uncaught (in timer) {details}"),
                        );
                    }
                }
                while ctx.execute_pending_job() {}
            }
            self.report_rejections(&ctx);
        });
        if self.enforce_limits() {
            return fired;
        }
        self.after_turn();
        fired
    }

    fn complete(&self, ctx: &Ctx<'_>, completion: Completion) {
        match completion {
            Completion::Binding { call, result } => {
                self.state.cancellable.borrow_mut().remove(&call);
                let Some(pending) = self.state.calls.borrow_mut().remove(&call) else {
                    return;
                };
                if let (Ok(resolve), Ok(reject)) =
                    (pending.resolve.restore(ctx), pending.reject.restore(ctx))
                {
                    self.settle_call(ctx, resolve, reject, result);
                }
            }
        }
    }

    /// Settle the promise of a call this isolate made with the call's `result`.
    fn settle_call<'js>(
        &self,
        ctx: &Ctx<'js>,
        resolve: Function<'js>,
        reject: Function<'js>,
        result: Result<Reply, WorkerError>,
    ) {
        let outcome = match result {
            Ok(Reply::Chunk(chunk)) => (|| {
                let value = match chunk {
                    Some(bytes) => {
                        rquickjs::TypedArray::<u8>::new(ctx.clone(), bytes.to_vec())?.into_value()
                    }
                    None => Value::new_null(ctx.clone()),
                };
                resolve.call::<_, ()>((value,))
            })(),
            Ok(Reply::Written(accepted)) => resolve.call::<_, ()>((accepted,)),
            Ok(Reply::Fetched(fetched)) => switchyard_web::response_from_network(
                ctx,
                fetched.response,
                &fetched.url,
                fetched.redirected,
            )
            .and_then(|response| resolve.call::<_, ()>((response,))),
            Ok(Reply::Http(response)) => switchyard_web::response_to_js(ctx, *response)
                .and_then(|response| resolve.call::<_, ()>((response,))),
            Ok(Reply::Value(wire)) => self
                .value_from_wire(ctx, wire, self.result_scope())
                .and_then(|value| resolve.call::<_, ()>((value,))),
            Ok(Reply::Threw(wire)) => self
                .value_from_wire(ctx, wire, self.result_scope())
                .and_then(|reason| reject.call::<_, ()>((reason,))),
            Err(error) => error
                .to_js(ctx)
                .and_then(|error| reject.call::<_, ()>((error,))),
        };
        if let Err(error) = outcome {
            // Converting the result failed: the caller's promise must still settle.
            let reason = caught(ctx, error);
            let _ = reject.call::<_, ()>((reason,));
        }
    }

    /// After JS ran: fail requests that can no longer settle, and cancel timers nothing waits
    /// for any more.
    fn after_turn(&self) {
        let state = &self.state;
        state.release_finished_imports();
        let quiet = state.calls.borrow().is_empty() && state.completions.borrow().is_empty();
        if !quiet || self.runtime.is_job_pending() {
            return;
        }
        if state.waiting.borrow().is_empty() {
            if state.wait_until.get() == 0 {
                state.subrequests.set(0);
            }
            // No request and no `waitUntil` work left: as on Cloudflare, a finished request's
            // timers are cancelled rather than kept running for the isolate's life.
            if state.wait_until.get() == 0
                && state.pumps.get() == 0
                && !state.timers.borrow().is_empty()
            {
                state.timers.borrow_mut().clear_all();
            }
            return;
        }
        if !state.timers.borrow().is_empty() {
            return;
        }
        // A request whose promise is pending while nothing is left that could settle it (no
        // timers, no binding calls, no queued work) will never get a response: fail it now, as
        // Cloudflare does, instead of holding the connection until the timeout.
        let stalled: Vec<_> = state.waiting.borrow_mut().drain().collect();
        for (id, waiter) in stalled {
            log_line(
                &state.worker,
                LogLevel::Error,
                "The script will never generate a response: the handler's promise (fetch or an RPC \
                 method) is pending and nothing is left that could settle it",
            );
            let error = WorkerError::NeverResponded {
                worker: state.worker.clone(),
            };
            state.send(id, waiter, Err(error));
        }
    }

    pub(crate) fn pending_wait_until(&self) -> usize {
        self.state.wait_until.get()
    }

    /// Whether anything could still run in this isolate without a new request.
    pub(crate) fn is_idle(&self) -> bool {
        let state = &self.state;
        state.calls.borrow().is_empty()
            && state.timers.borrow().is_empty()
            && state.completions.borrow().is_empty()
    }

    /// Whether this isolate can be freed: no JavaScript has run in it for `idle` and nothing
    /// needs it (no request, binding call, `fetch()`, timer, queued completion, streamed body, or
    /// stub another isolate holds). A `waitUntil` promise with none of those behind it can never
    /// settle and does not keep the isolate (Cloudflare cuts such work off too). What freeing it
    /// loses is its global state, which Workers code cannot count on: Cloudflare evicts idle
    /// isolates as well.
    pub(crate) fn evictable(self: &Rc<Self>, now: Instant, idle: Duration) -> bool {
        let state = &self.state;
        !state.closed.get()
            && !state.running.get()
            && now.saturating_duration_since(state.last_ran.get()) >= idle
            && self.is_idle()
            && state.waiting.borrow().is_empty()
            && state.pumps.get() == 0
            && state.cancellable.borrow().is_empty()
            // Stubs it holds from elsewhere are released when it is freed.
            && !state.stubs.borrow().has_exports()
            && !self.runtime.is_job_pending()
            // The registry's reference and the event loop's: anything else holding the isolate
            // is using it.
            && Rc::strong_count(self) <= 2
    }

    /// When JavaScript last ran here.
    pub(crate) fn last_ran(&self) -> Instant {
        self.state.last_ran.get()
    }

    pub(crate) fn close(&self) {
        self.state.closed.set(true);
        self.state.wake.notify_one();
    }
}

impl Drop for Isolate {
    fn drop(&mut self) {
        // Persistent handles must be released while the runtime is alive.
        let state = &self.state;
        state.closed.set(true);
        state.default_fetch.set(None);
        state.timers.borrow_mut().clear_all();
        state.completions.borrow_mut().clear();
        // Network reads and fetches in flight end with the isolate: their streams and
        // connections are dropped now, not when the upstream next sends something.
        for (_, task) in state.cancellable.borrow_mut().drain() {
            task.abort();
        }
        state.calls.borrow_mut().clear();
        state.rejections.borrow_mut().clear();
        state.env.borrow_mut().take();
        state.exports.borrow_mut().take();
        state.default_fetch_kept.borrow_mut().take();
        state.glue.borrow_mut().take();
        state.context_prototype.borrow_mut().take();
        let stubs = std::mem::take(&mut *state.stubs.borrow_mut());
        drop(stubs.into_imports());
        self.runtime.run_gc();
    }
}

impl IsolateState {
    /// Give request `id` its result, if it is still waiting for one.
    fn answer(&self, id: u64, result: Result<Reply, WorkerError>) {
        let waiter = self.waiting.borrow_mut().remove(&id);
        if let Some(waiter) = waiter {
            self.send(id, waiter, result);
        }
    }

    /// Give `waiter` (request `id`, already out of `waiting`) its result.
    fn send(&self, id: u64, waiter: Waiter, result: Result<Reply, WorkerError>) {
        match waiter.tx {
            Some(tx) => {
                let _ = tx.send(result);
            }
            None => self.answered.borrow_mut().push((id, result)),
        }
    }

    /// Request `id`'s result, if it came before anything waited for it (see [`Started`]).
    fn take_answer(&self, id: u64) -> Option<Result<Reply, WorkerError>> {
        let mut answered = self.answered.borrow_mut();
        let at = answered.iter().position(|(of, _)| *of == id)?;
        Some(answered.swap_remove(at).1)
    }

    /// Cloudflare's "Disallowed operation called within global scope" while the modules
    /// evaluate: I/O and timers belong to handlers.
    fn refuse_in_global_scope(&self, ctx: &Ctx<'_>) -> rquickjs::Result<()> {
        if self.booting.get() {
            return Err(rquickjs::Exception::throw_message(ctx, GLOBAL_SCOPE_IO));
        }
        Ok(())
    }

    /// Log an exception that ends a request and turn it into the request's error.
    fn uncaught(&self, ctx: &Ctx<'_>, exception: JsException) -> WorkerError {
        if self.note_limit(ctx, &exception) {
            return WorkerError::LimitExceeded {
                worker: self.worker.clone(),
                limit: self
                    .exceeded
                    .get()
                    .unwrap_or(LimitKind::Cpu(self.limits.cpu)),
            };
        }
        log_line(
            &self.worker,
            LogLevel::Error,
            &format!("Uncaught {exception}"),
        );
        WorkerError::Exception {
            worker: self.worker.clone(),
            exception,
        }
    }
}

impl IsolateState {
    /// Whether `exception` is the engine stopping the worker at a limit (the interrupt handler's
    /// uncatchable error, or running out of memory); records the limit if so. Such exceptions are
    /// reported once as the limit, not as the worker's own errors.
    fn note_limit(&self, ctx: &Ctx<'_>, exception: &JsException) -> bool {
        if self.exceeded.get().is_some() {
            return true;
        }
        let out_of_memory = (exception.name == "InternalError"
            && exception.message == "out of memory")
            // QuickJS throws `null` when memory is so short that it cannot even allocate the
            // error object. A `throw null` of the worker's own is told apart by the heap: it
            // is not within 10% of the limit then.
            || (exception.name.is_empty()
                && exception.message == "null"
                && heap_size(ctx) >= self.limits.memory / 10 * 9);
        if out_of_memory {
            self.exceeded
                .set(Some(LimitKind::Memory(self.limits.memory)));
            return true;
        }
        false
    }
}

/// QuickJS collects garbage when allocation passes 1.5× the heap that survived the last
/// collection. With live data above two thirds of the memory limit that point is past the limit,
/// and an allocation would fail with garbage still uncollected. Keeping the threshold at 7/8 of
/// the limit makes QuickJS collect first (unless the live heap is past that already). Called
/// when the isolate boots and from the interrupt handler (every few thousand instructions), since
/// each collection raises it again.
fn clamp_gc_threshold(runtime: *mut rquickjs::qjs::JSRuntime, limit: usize) {
    if runtime.is_null() {
        return;
    }
    let cap = (limit - limit / 8) as u64;
    // SAFETY: `runtime` is this isolate's runtime, set at boot; both callers run on its thread
    // while it executes JavaScript (boot, and the interrupt handler QuickJS itself invokes), so
    // it is alive. The two calls read and write one field of it.
    unsafe {
        // A threshold of 1.5× a live heap already past the cap is left alone: clamping it would
        // collect on every allocation for no gain.
        let threshold = rquickjs::qjs::JS_GetGCThreshold(runtime);
        if threshold > cap && threshold / 3 * 2 < cap {
            rquickjs::qjs::JS_SetGCThreshold(runtime, cap);
        }
    }
}

/// Bytes QuickJS has allocated for `ctx`'s runtime. Walks the heap: only for rare checks.
fn heap_size(ctx: &Ctx<'_>) -> usize {
    // SAFETY: `ctx` is a live context on this thread, inside its runtime's `with`, so the
    // runtime pointer is valid; JS_ComputeMemoryUsage only reads allocator and object counts
    // into the zeroed struct it is given.
    unsafe {
        let runtime = rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        let mut usage = std::mem::zeroed::<rquickjs::qjs::JSMemoryUsage>();
        rquickjs::qjs::JS_ComputeMemoryUsage(runtime, &mut usage);
        usize::try_from(usage.malloc_size).unwrap_or(0)
    }
}

/// The isolate a call goes to.
pub(crate) enum Callee {
    /// The isolate of a worker (a service binding's target), started if it is not running.
    Worker(String),
    /// The isolate an RPC stub points into (the stub counts as a user of its target until the
    /// call ends).
    Stub(rpc::StubRef),
}

impl Callee {
    /// The isolate, if it is up: a call can start in it at once.
    fn ready(&self, workers: &LocalWorkers) -> Option<Rc<Isolate>> {
        match self {
            Callee::Worker(worker) => workers.running(worker),
            Callee::Stub(stub) => stub.home().filter(|home| !home.is_closed()),
        }
    }

    /// The isolate, started if need be.
    fn find(&self, workers: &LocalWorkers) -> Result<Rc<Isolate>, WorkerError> {
        match self {
            Callee::Worker(worker) => workers.isolate(worker),
            Callee::Stub(_) => self.ready(workers).ok_or_else(|| {
                WorkerError::Internal(
                    "the RPC stub's worker isolate is gone (it exceeded a limit or was shut \
                     down); the object it pointed to no longer exists"
                        .into(),
                )
            }),
        }
    }
}

/// How deep calls made at once (see `Isolate::call_other`) are nested on this thread, and how
/// much stack and time they may take.
///
/// Each QuickJS runtime's stack limit is a fixed address, 1 MiB below where the thread stood
/// when the runtime was made ready (near the top of the thread's stack, where tasks are polled).
/// A callee nested below its caller's frames has what they used less of its budget, so a call is
/// made at once only while those frames are shallow (`STACK_ROOM`): from deep recursion in the
/// caller, or down a long chain, the call goes to a task, which runs from the top of the stack
/// with the callee's whole budget.
///
/// Nested calls never yield to the thread's other tasks, so they are made only in the first
/// `TIME_ROOM` of the outermost JavaScript: a worker calling a binding in a loop cannot hold the
/// thread, its calls go to tasks (and other connections get their turn) after that.
mod nesting {
    use std::cell::Cell;
    use std::time::{Duration, Instant};

    /// At most this many calls nested in one another.
    const MAX_DEPTH: u32 = 16;
    /// At most this much stack used below the outermost JavaScript before a nested call.
    const STACK_ROOM: usize = 192 * 1024;
    /// No nested call once the outermost JavaScript has run this long.
    const TIME_ROOM: Duration = Duration::from_millis(2);

    #[derive(Clone, Copy)]
    struct Nesting {
        /// Calls nested now.
        depth: u32,
        /// Where the stack pointer and the clock stood when the outermost JavaScript began.
        base: usize,
        began: Option<Instant>,
    }

    thread_local! {
        static NESTING: Cell<Nesting> = const {
            Cell::new(Nesting { depth: 0, base: 0, began: None })
        };
    }

    fn stack_pointer() -> usize {
        let marker = 0u8;
        std::ptr::addr_of!(marker) as usize
    }

    /// JavaScript is about to run: if nothing runs on this thread yet, it is the outermost.
    pub(super) fn enter_run(now: Instant) {
        NESTING.with(|nesting| {
            if nesting.get().depth == 0 {
                nesting.set(Nesting {
                    depth: 0,
                    base: stack_pointer(),
                    began: Some(now),
                });
            }
        });
    }

    /// A call may start at once: it is nested until the guard drops. `None` when it may not.
    pub(super) fn enter_call() -> Option<Call> {
        NESTING.with(|nesting| {
            let now = nesting.get();
            let used = now.base.saturating_sub(stack_pointer());
            let ran = now.began.map_or(Duration::MAX, |began| began.elapsed());
            if now.depth >= MAX_DEPTH || used > STACK_ROOM || ran > TIME_ROOM {
                return None;
            }
            nesting.set(Nesting {
                depth: now.depth + 1,
                ..now
            });
            Some(Call)
        })
    }

    pub(super) struct Call;

    impl Drop for Call {
        fn drop(&mut self) {
            NESTING.with(|nesting| {
                let now = nesting.get();
                nesting.set(Nesting {
                    depth: now.depth - 1,
                    ..now
                });
            });
        }
    }
}

/// Marks the end of `Isolate::run` when dropped.
struct Ran<'a>(&'a IsolateState);

impl Drop for Ran<'_> {
    fn drop(&mut self) {
        let state = self.0;
        state.deadline.set(None);
        state.running.set(false);
    }
}

/// A request (or incoming call) whose handler has started: its reply, once there. Dropping it
/// (the client went away) forgets the request.
pub(crate) struct Started {
    isolate: Rc<Isolate>,
    id: u64,
    upload: Option<Arc<switchyard_web::Activity>>,
    /// Its reply was taken at once ([`Started::now`]): the request is in neither `waiting` nor
    /// `answered`, so dropping it has nothing there to clear.
    replied: bool,
}

impl Started {
    /// The reply, if it is there: the handler gave it while it started (it ran no I/O that had
    /// to wait), or it came before anything waited for it.
    pub(crate) fn now(&mut self) -> Option<Result<Reply, WorkerError>> {
        let state = &self.isolate.state;
        if let Some(reply) = state.take_answer(self.id) {
            self.replied = true;
            return Some(reply);
        }
        if !state.waiting.borrow().contains_key(&self.id) {
            // Every way out of `waiting` answers; this is a safety net.
            self.replied = true;
            return Some(Err(shut_down()));
        }
        None
    }

    /// Wait for the reply: at most `timeout`, counted from the later of now and the last chunk
    /// of the streamed request body that was read, so reading a long upload is not cut off.
    pub(crate) async fn finish(mut self, timeout: Duration) -> Result<Reply, WorkerError> {
        // Most handlers answer while they start: then there is no channel to make or timer to
        // set.
        if let Some(reply) = self.now() {
            return reply;
        }
        let (tx, mut rx) = oneshot::channel();
        if let Some(waiter) = self.isolate.state.waiting.borrow_mut().get_mut(&self.id) {
            waiter.tx = Some(tx);
        }
        let mut deadline = tokio::time::Instant::now() + timeout;
        let replied = loop {
            match tokio::time::timeout_at(deadline, &mut rx).await {
                Ok(replied) => break Some(replied),
                Err(_) => {
                    let extended = self
                        .upload
                        .as_ref()
                        .and_then(|upload| upload.last())
                        .map(|last| tokio::time::Instant::from_std(last) + timeout);
                    match extended {
                        Some(later) if later > deadline => deadline = later,
                        _ => break None,
                    }
                }
            }
        };
        match replied {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(shut_down()),
            None => {
                let state = &self.isolate.state;
                log_line(
                    &state.worker,
                    LogLevel::Error,
                    &format!(
                        "the handler did not respond within {} s; request cancelled",
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
}

impl Drop for Started {
    fn drop(&mut self) {
        let state = &self.isolate.state;
        if !self.replied {
            let waiter = state.waiting.borrow_mut().remove(&self.id);
            // A reply no one took (the request was dropped right after it came) goes with it,
            // dropped with no borrow held: a response body's drop may run other code.
            let unread = state.take_answer(self.id);
            drop((waiter, unread));
        }
        // Stubs passed as this call's arguments are released when it returns, as on Cloudflare.
        let id = self.id;
        state.release_imports(|scope| scope == ImportScope::Call(id));
    }
}

fn shut_down() -> WorkerError {
    WorkerError::Internal("the isolate shut down while handling the request".into())
}

/// The Response a fetch handler answered with.
fn http_reply(reply: Reply) -> Result<Box<HttpResponse>, WorkerError> {
    match reply {
        Reply::Http(response) => Ok(response),
        _ => Err(WorkerError::Internal(
            "a fetch handler answered with an RPC value".into(),
        )),
    }
}

/// A fetch handler's response ([`Isolate::fetch`]): there already when the handler answered
/// while it started, as most do, else the wait for it. Only the wait is a future of its own: one
/// made for every request was ~570 bytes, moved into each caller's state on the way up to
/// hyper's (2 KB, copied again there); `memcpy` went from 3.3% to 2.8% of a hello request.
#[must_use = "the handler has started; dropping this forgets its response"]
pub struct Fetch(Fetching);

/// The response is boxed from the handler's answer until `Fetch` yields it: on the way it is
/// moved a dozen times (through the reply, the isolate's list of early answers, `Fetch` and its
/// callers), and at 160 bytes each move was a `memcpy` call (~5% of a hello request in-process).
enum Fetching {
    Ready(Option<Result<Box<HttpResponse>, WorkerError>>),
    Waiting(Pin<Box<dyn Future<Output = Result<Box<HttpResponse>, WorkerError>>>>),
}

impl Fetch {
    pub(crate) fn ready(result: Result<HttpResponse, WorkerError>) -> Self {
        Fetch(Fetching::Ready(Some(result.map(Box::new))))
    }
}

impl Future for Fetch {
    type Output = Result<HttpResponse, WorkerError>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Fetching::Ready(result) => Poll::Ready(
                result
                    .take()
                    .expect("Fetch polled after it completed")
                    .map(|response| *response),
            ),
            Fetching::Waiting(wait) => wait.as_mut().poll(cx).map_ok(|response| *response),
        }
    }
}

/// A handler's Response taken apart: the response and a JavaScript stream body to pump.
type ResponseParts<'js> = (HttpResponse, Option<Value<'js>>);

/// What a fetch handler returned: a promise (of a Response, checked when it settles), or a
/// Response, already taken apart (or why it could not be).
enum Handled<'js> {
    Pending(Promise<'js>),
    Answered(rquickjs::Result<ResponseParts<'js>>),
}

/// What a request's handler answers with.
#[derive(Clone, Copy)]
enum Answer {
    Http,
    Rpc,
}

/// The value of a failed call: the pending exception, or the error as text.
fn caught<'js>(ctx: &Ctx<'js>, error: rquickjs::Error) -> Value<'js> {
    if error.is_exception() {
        return ctx.catch();
    }
    rquickjs::String::from_str(ctx.clone(), &error.to_string())
        .map(|s| s.into_value())
        .unwrap_or_else(|_| Value::new_undefined(ctx.clone()))
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

/// The default export's `fetch`, the export itself, `env` and `ExecutionContext.prototype` as
/// raw QuickJS handles, for a request's call: through rquickjs (restoring each, a typed argument
/// list) that call was ~0.1 µs of the ~0.9 µs a hello request spends in the isolate
/// (bench/NOTES.md). The isolate's `Persistent`s keep each alive; it drops this first.
#[derive(Clone, Copy)]
struct DefaultFetch {
    this: rquickjs::qjs::JSValue,
    fetch: rquickjs::qjs::JSValue,
    env: rquickjs::qjs::JSValue,
    context_prototype: rquickjs::qjs::JSValue,
}

impl DefaultFetch {
    /// `fetch(request, env, ctx)` with a new `ctx`.
    fn call<'js>(&self, ctx: &Ctx<'js>, request: Value<'js>) -> rquickjs::Result<Value<'js>> {
        use rquickjs::qjs;
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: the handles are alive (see the type) and of this context's runtime. The new
        // `ctx` is owned here and freed after the call, which borrows its arguments and returns
        // a value that is ours.
        unsafe {
            let exec_ctx = switchyard_web::from_raw_call(
                ctx,
                qjs::JS_NewObjectProto(raw, self.context_prototype),
            )?;
            let mut args = [request.as_raw(), self.env, exec_ctx.as_raw()];
            let result = qjs::JS_Call(raw, self.fetch, self.this, 3, args.as_mut_ptr());
            drop((request, exec_ctx));
            switchyard_web::from_raw_call(ctx, result)
        }
    }
}

/// What an entrypoint can answer.
enum Handler<'js> {
    /// HTTP requests (and RPC, if it is a WorkerEntrypoint class). For a plain object, the
    /// object and the `fetch` found on it, so that boot keeps the very function it checked.
    Fetch(Option<(Object<'js>, Function<'js>)>),
    /// RPC calls only: a WorkerEntrypoint class without a fetch() method.
    RpcOnly,
}

/// Check that `exports[name]` is an entrypoint: an object with a `fetch` method, a class whose
/// prototype has one, or a class extending WorkerEntrypoint (RPC only). Returns what is wrong
/// otherwise.
fn check_handler<'js>(
    exports: &Object<'js>,
    name: &str,
    is_entrypoint_class: &Function<'js>,
) -> Result<Handler<'js>, String> {
    let what = if name == "default" {
        "its default export".to_owned()
    } else {
        format!("its export \"{name}\"")
    };
    let handler: Value = exports.get(name).map_err(|e| e.to_string())?;
    if handler.is_undefined() {
        return Err(if name == "default" {
            "the module has no default export".into()
        } else {
            format!("the module has no export named \"{name}\"")
        });
    }
    let fetch_of = |object: &Object<'js>| {
        object
            .get::<_, Value>("fetch")
            .ok()
            .and_then(Value::into_function)
    };
    if handler.is_function() {
        let prototype: Option<Object> = handler.as_object().and_then(|o| o.get("prototype").ok());
        if prototype.as_ref().and_then(fetch_of).is_some() {
            return Ok(Handler::Fetch(None));
        }
        if is_entrypoint_class
            .call::<_, bool>((handler,))
            .unwrap_or(false)
        {
            return Ok(Handler::RpcOnly);
        }
        return Err(format!(
            "{what} is a class or function without a fetch() method (a class that extends \
             WorkerEntrypoint may have RPC methods only)"
        ));
    }
    match handler.as_object() {
        Some(object) => match fetch_of(object) {
            Some(fetch) => Ok(Handler::Fetch(Some((object.clone(), fetch)))),
            None => Err(format!("{what} has no fetch() method")),
        },
        None => Err(format!(
            "{what} is a {}, not an object",
            handler.type_name()
        )),
    }
}

// === service bindings ===

/// `env.NAME.fetch(input, init)`: hand the request to the target worker's isolate on this thread
/// (see `Isolate::call_other`) and resolve the returned promise with its response. Called
/// outside a handler it throws, as `fetch()` does; any other failure (a bad request, a used
/// body, the depth limit) rejects the promise.
fn binding_fetch<'js>(
    ctx: &Ctx<'js>,
    isolate: &Isolate,
    id: usize,
    input: Value<'js>,
    init: Option<Value<'js>>,
) -> rquickjs::Result<Promise<'js>> {
    isolate.state.refuse_in_global_scope(ctx)?;
    let binding = isolate
        .spec
        .config
        .services
        .get(id)
        .ok_or_else(|| rquickjs::Exception::throw_internal(ctx, "unknown service binding"))?;
    let (promise, resolve, reject) = ctx.promise()?;
    let prepared = isolate
        .next_depth(ctx)
        .and_then(|depth| Ok((depth, isolate.prepared_request_from_js(ctx, input, init)?)));
    let (depth, request) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            reject.call::<_, ()>((caught(ctx, error),))?;
            return Ok(promise);
        }
    };
    let entrypoint = binding.entrypoint.clone();
    let callee = Callee::Worker(binding.service.to_string());
    isolate.call_other(ctx, resolve, reject, callee, move |callee| {
        callee.begin_fetch(entrypoint.as_deref(), request, depth)
    });
    Ok(promise)
}

/// `fetch()` to the network. The subrequest limit is per request on Cloudflare; an isolate here
/// may be running several requests' code interleaved with no way to tell whose continuation is
/// running, so the count is kept per isolate from the moment it was last idle, and the limit
/// scales with the requests in flight. One request alone gets exactly its limit.
fn outbound_fetch<'js>(
    ctx: &Ctx<'js>,
    isolate: &Isolate,
    request: Value<'js>,
    redirect: &str,
    resolve: Function<'js>,
    reject: Function<'js>,
) -> rquickjs::Result<f64> {
    let state = &isolate.state;
    let in_flight = state.waiting.borrow().len().max(1) as u64;
    let used = state.subrequests.get();
    if used >= state.limits.subrequests.saturating_mul(in_flight) {
        log_line(
            &state.worker,
            LogLevel::Warn,
            &format!(
                "fetch() refused: the worker made {used} subrequests, its limit ([limits] \
                 subrequests = {})",
                state.limits.subrequests
            ),
        );
        return Err(rquickjs::Exception::throw_message(
            ctx,
            "Too many subrequests.",
        ));
    }
    let request = isolate.request_from_js(ctx, request)?;
    state.subrequests.set(used + 1);
    let mode = crate::outbound::RedirectMode::parse(redirect);
    let workers = state.workers.clone();
    let (call, task) = isolate.call_elsewhere(ctx, resolve, reject, async move {
        let Some(workers) = workers.upgrade() else {
            return Err(WorkerError::Internal("the server is shutting down".into()));
        };
        let outbound = workers.outbound();
        outbound
            .fetch(request, mode)
            .await
            .map(|fetched| Reply::Fetched(Box::new(fetched)))
            .map_err(WorkerError::Fetch)
    });
    state.cancellable.borrow_mut().insert(call, task);
    Ok(call as f64)
}

// === timers ===

#[derive(Default)]
struct Timers {
    next_id: u32,
    /// Incremented at each turn; a timer fires only in a turn later than the one that set it.
    generation: u64,
    by_due: BTreeSet<(Instant, u32)>,
    entries: FxHashMap<u32, Timer>,
}

struct Timer {
    callback: Persistent<Function<'static>>,
    interval: Option<Duration>,
    due: Instant,
    generation: u64,
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
                generation: self.generation,
            },
        );
        id
    }

    fn clear(&mut self, id: u32) {
        if let Some(timer) = self.entries.remove(&id) {
            self.by_due.remove(&(timer.due, id));
        }
    }

    fn clear_all(&mut self) {
        self.by_due.clear();
        self.entries.clear();
    }

    fn next_due(&self) -> Option<Instant> {
        self.by_due.first().map(|(due, _)| *due)
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn begin_turn(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// The next timer due by `now` and set before turn `generation`, rescheduling intervals.
    /// Taken one at a time, so a callback that clears a later timer stops it from firing.
    fn pop_due(&mut self, now: Instant, generation: u64) -> Option<Persistent<Function<'static>>> {
        let due_ids: Vec<(Instant, u32)> = self
            .by_due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .copied()
            .collect();
        for (due, id) in due_ids {
            let Some(timer) = self.entries.get_mut(&id) else {
                self.by_due.remove(&(due, id));
                continue;
            };
            if timer.generation >= generation {
                continue;
            }
            self.by_due.remove(&(due, id));
            let callback = timer.callback.clone();
            match timer.interval {
                Some(interval) => {
                    timer.due = now + interval;
                    timer.generation = generation;
                    self.by_due.insert((timer.due, id));
                }
                None => {
                    self.entries.remove(&id);
                }
            }
            return Some(callback);
        }
        None
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
