//! Errors of the runtime, each with what a user sees of it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rquickjs::{Ctx, Object, Value};

use crate::modules::{LoadError, ModuleGraph, display_path};

/// Why a worker could not start. Printed before the server serves anything; `switchyard dev` exits
/// with status 1.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartupError {
    /// A module could not be read, parsed or resolved. A file shared by several workers is
    /// reported once, naming all of them.
    #[error("{error}\n  note: needed by worker(s) {}", workers.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", "))]
    Load {
        workers: Vec<String>,
        error: LoadError,
    },
    /// Evaluating the modules threw.
    #[error("error: worker \"{worker}\" threw while its modules were evaluated:\n{message}")]
    Threw { worker: String, message: String },
    /// The main module's default export cannot handle requests. Cloudflare refuses such an upload
    /// with "no registered event handlers".
    #[error(
        "{main}: error: worker \"{worker}\" has no registered event handlers: {problem}\n  help: export a \
         fetch handler, e.g. `export default {{ async fetch(request, env, ctx) {{ return new \
         Response(\"ok\") }} }}`",
        main = display_path(main)
    )]
    NoHandler {
        worker: String,
        main: PathBuf,
        problem: String,
    },
    /// A service binding names an `entrypoint` the target does not export, or one that cannot
    /// handle fetch.
    #[error(
        "{location}: error: service binding \"{binding}\" uses entrypoint \"{entrypoint}\" of worker \
         \"{service}\", but {problem}\n  help: export it from \"{service}\", e.g. `export class \
         {entrypoint} extends WorkerEntrypoint {{ async fetch(request) {{ ... }} }}`, or remove \
         `entrypoint` to use the default export"
    )]
    BadEntrypoint {
        location: String,
        binding: String,
        service: String,
        entrypoint: String,
        problem: String,
    },
}

/// Why a request to a worker failed. The server turns each into a response; a service-binding
/// caller gets it as a rejected promise (see [`WorkerError::to_js`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkerError {
    /// The handler threw or its promise rejected: 500, Cloudflare's error 1101.
    #[error("worker \"{worker}\" threw an exception: {exception}")]
    Exception {
        worker: String,
        exception: JsException,
    },
    /// The handler's promise can never settle: 500, as Cloudflare's "The script will never
    /// generate a response".
    #[error("worker \"{worker}\": the script will never generate a response")]
    NeverResponded { worker: String },
    /// The handler did not respond within the request timeout: 500.
    #[error("worker \"{worker}\" did not respond within {} s", after.as_secs_f64())]
    TimedOut { worker: String, after: Duration },
    /// The worker exceeded its CPU or memory limit: 503, Cloudflare's error 1102. Its isolate was
    /// discarded; the next request gets a fresh one.
    #[error("worker \"{worker}\" exceeded its {limit}")]
    LimitExceeded { worker: String, limit: LimitKind },
    /// The worker could not be started on this thread: 500.
    #[error("worker \"{worker}\" could not start: {message}")]
    Unavailable { worker: String, message: String },
    /// Something in Switchyard itself: 500.
    #[error("internal error: {0}")]
    Internal(String),
    /// An outbound `fetch()` failed (network error, redirect refused, too large): the caller's
    /// promise rejects with a TypeError carrying this message, as the Fetch Standard says.
    #[error("{0}")]
    Fetch(String),
}

impl WorkerError {
    /// The error a service-binding caller's promise rejects with: the callee's exception keeps its
    /// class (TypeError, RangeError, …) and message; other failures are plain `Error`s.
    pub fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let (class, message) = match self {
            WorkerError::Exception { exception, .. } => {
                let class = match exception.name.as_str() {
                    name @ ("TypeError" | "RangeError" | "SyntaxError" | "ReferenceError"
                    | "EvalError" | "URIError") => name,
                    _ => "Error",
                };
                (class, exception.message.clone())
            }
            WorkerError::Fetch(message) => ("TypeError", message.clone()),
            other => ("Error", other.to_string()),
        };
        let constructor: rquickjs::function::Constructor = ctx.globals().get(class)?;
        let error: Object = constructor.construct((message,))?;
        if let WorkerError::Exception { exception, .. } = self
            && class == "Error"
            && exception.name != "Error"
        {
            error.set("name", exception.name.as_str())?;
        }
        Ok(error.into_value())
    }
}

/// Which limit an isolate exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Cpu(Duration),
    Memory(usize),
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitKind::Cpu(limit) => write!(f, "CPU time limit ({} ms)", limit.as_millis()),
            LimitKind::Memory(limit) => write!(f, "memory limit ({} MB)", limit / (1024 * 1024)),
        }
    }
}

/// A JavaScript exception as text: class name (empty when a non-Error value was thrown), message,
/// and a stack whose positions point at the user's original sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsException {
    pub name: String,
    pub message: String,
    pub stack: String,
}

impl JsException {
    /// From a thrown value: an Error (name, message, stack mapped to the original sources) or
    /// anything else (`throw "nope"`: no name, the value as the message).
    pub fn from_value(value: Value<'_>, graph: &ModuleGraph) -> JsException {
        if let Some(object) = value.as_object()
            && let Ok(message) = object.get::<_, Value>("message")
            && !message.is_undefined()
        {
            let text = |key: &str| {
                object
                    .get::<_, Value>(key)
                    .ok()
                    .and_then(|v| v.as_string().and_then(|s| s.to_string().ok()))
                    .unwrap_or_default()
            };
            let name = text("name");
            return JsException {
                name: if name.is_empty() {
                    "Error".into()
                } else {
                    name
                },
                message: text("message"),
                stack: graph.map_stack(text("stack").trim_end()),
            };
        }
        let message = match value.as_string() {
            Some(s) => s.to_string().unwrap_or_default(),
            None => value
                .get::<rquickjs::Coerced<String>>()
                .map(|s| s.0)
                .unwrap_or_else(|_| format!("{value:?}")),
        };
        JsException {
            name: String::new(),
            message,
            stack: String::new(),
        }
    }

    /// From an `rquickjs::Error`, taking the pending exception when there is one.
    pub fn from_error(ctx: &Ctx<'_>, error: rquickjs::Error, graph: &ModuleGraph) -> JsException {
        if error.is_exception() {
            return JsException::from_value(ctx.catch(), graph);
        }
        JsException {
            name: "Error".into(),
            message: error.to_string(),
            stack: String::new(),
        }
    }
}

impl fmt::Display for JsException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.name, self.message)?;
        }
        if !self.stack.is_empty() {
            write!(f, "\n{}", self.stack)?;
        }
        Ok(())
    }
}
