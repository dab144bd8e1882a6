//! The isolates of one server thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_web::{HttpRequest, HttpResponse};

use crate::error::WorkerError;
use crate::fleet::Fleet;
use crate::isolate::{CallTarget, Isolate, Reply, RpcCall};
use crate::outbound::Outbound;
use crate::spares::Spare;

/// One thread's view of the fleet: an isolate per worker, created on first use, and the entry
/// point for requests arriving on this thread.
pub struct LocalWorkers {
    fleet: Arc<Fleet>,
    isolates: RefCell<HashMap<String, Rc<Isolate>>>,
    me: Weak<LocalWorkers>,
    /// This thread's HTTP client for `fetch()`, made on first use.
    outbound: std::cell::OnceCell<Rc<Outbound>>,
    /// A runtime with the Web APIs installed, for the next worker to start here.
    spare: Spare,
}

impl LocalWorkers {
    pub fn new(fleet: Arc<Fleet>) -> Rc<LocalWorkers> {
        Rc::new_cyclic(|me| LocalWorkers {
            fleet,
            isolates: RefCell::new(HashMap::new()),
            me: me.clone(),
            outbound: std::cell::OnceCell::new(),
            spare: Spare::new(),
        })
    }

    /// This thread's HTTP client, shared by its isolates (one connection pool per thread).
    pub(crate) fn outbound(&self) -> Rc<Outbound> {
        self.outbound
            .get_or_init(|| Rc::new(Outbound::new()))
            .clone()
    }

    pub fn fleet(&self) -> &Arc<Fleet> {
        &self.fleet
    }

    /// This thread's isolate for `worker`, created (and its event loop spawned) on first use.
    /// Must be called inside a `tokio::task::LocalSet`.
    pub fn isolate(&self, worker: &str) -> Result<Rc<Isolate>, WorkerError> {
        if let Some(isolate) = self.isolates.borrow().get(worker)
            && !isolate.is_closed()
        {
            return Ok(isolate.clone());
        }
        let spec = self
            .fleet
            .spec(worker)
            .ok_or_else(|| {
                WorkerError::Internal(format!("no worker named \"{worker}\" is loaded"))
            })?
            .clone();
        let spare = self.spare.take();
        self.spare.refill();
        let isolate =
            Isolate::new(spec, self.me.clone(), spare).map_err(|e| WorkerError::Unavailable {
                worker: worker.to_owned(),
                message: e.to_string(),
            })?;
        tokio::task::spawn_local(isolate.clone().run_loop());
        self.isolates
            .borrow_mut()
            .insert(worker.to_owned(), isolate.clone());
        Ok(isolate)
    }

    /// Drop `isolate` from the registry if it is the one registered for `worker`: it exceeded a
    /// limit and must be freed as soon as its last request ends, not at the next request.
    pub(crate) fn forget(&self, worker: &str, isolate: &Isolate) {
        let mut isolates = self.isolates.borrow_mut();
        if isolates
            .get(worker)
            .is_some_and(|registered| std::ptr::eq(Rc::as_ptr(registered), isolate))
        {
            isolates.remove(worker);
        }
    }

    /// Handle `request` with `worker`'s fetch handler (or that of its named `entrypoint`);
    /// `depth` counts the workers the request has passed through, this one included.
    /// `request.url` must be WHATWG-serialized (see [`HttpRequest::url`]).
    pub async fn fetch(
        &self,
        worker: &str,
        entrypoint: Option<&str>,
        request: HttpRequest,
        depth: u32,
    ) -> Result<HttpResponse, WorkerError> {
        let isolate = self.isolate(worker)?;
        isolate
            .fetch(
                entrypoint,
                request,
                depth,
                self.fleet.options.request_timeout,
            )
            .await
    }

    /// Perform an RPC call on `worker`, `depth` workers deep in a chain.
    pub(crate) async fn call(
        &self,
        worker: &str,
        target: CallTarget,
        call: RpcCall,
        depth: u32,
    ) -> Result<Reply, WorkerError> {
        let isolate = self.isolate(worker)?;
        isolate
            .call(target, call, depth, self.fleet.options.request_timeout)
            .await
    }

    /// Handle `request` with the entry worker (`request.url` WHATWG-serialized, as for
    /// [`LocalWorkers::fetch`]).
    pub async fn fetch_entry(&self, request: HttpRequest) -> Result<HttpResponse, WorkerError> {
        self.fetch(&self.fleet.entry, None, request, 1).await
    }

    /// Let `ctx.waitUntil` work finish (until `deadline`), then stop every isolate's event loop.
    pub async fn shut_down(&self, deadline: Instant) {
        loop {
            let busy = self
                .isolates
                .borrow()
                .values()
                .any(|i| i.pending_wait_until() > 0 && !i.is_idle());
            if !busy || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for isolate in self.isolates.borrow().values() {
            isolate.close();
        }
    }
}
