//! The isolates of one server thread.

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use switchyard_web::HttpRequest;

use crate::error::WorkerError;
use crate::fleet::Fleet;
use crate::isolate::{Fetch, Isolate};
use crate::outbound::Outbound;
use crate::spares::Spare;

/// One thread's view of the fleet: an isolate per worker, created on first use and freed once
/// idle for the isolate idle timeout, and the entry point for requests arriving on this thread.
pub struct LocalWorkers {
    fleet: Arc<Fleet>,
    /// By worker name. The names are the fleet's, not a client's, so the hash can be a fast one
    /// (SipHash of the name was ~0.5% of a hello request).
    isolates: RefCell<FxHashMap<String, Rc<Isolate>>>,
    me: Weak<LocalWorkers>,
    /// This thread's HTTP client for `fetch()`, made on first use.
    outbound: std::cell::OnceCell<Rc<Outbound>>,
    /// A runtime with the Web APIs installed, for the next worker to start here.
    spare: Spare,
    /// Whether the task that frees idle isolates is running (it stops when none is left).
    sweeping: Cell<bool>,
    /// The entry worker's isolate as last found, so a request from a client needs no lookup by
    /// name. Weak: it must not keep an idle isolate from being freed (see `Isolate::evictable`).
    entry: RefCell<Weak<Isolate>>,
}

impl LocalWorkers {
    pub fn new(fleet: Arc<Fleet>) -> Rc<LocalWorkers> {
        Rc::new_cyclic(|me| LocalWorkers {
            fleet,
            isolates: RefCell::new(FxHashMap::default()),
            me: me.clone(),
            outbound: std::cell::OnceCell::new(),
            spare: Spare::new(),
            sweeping: Cell::new(false),
            entry: RefCell::new(Weak::new()),
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
        if let Some(isolate) = self.running(worker) {
            return Ok(isolate);
        }
        let spec = self
            .fleet
            .spec(worker)
            .ok_or_else(|| {
                WorkerError::Internal(format!("no worker named \"{worker}\" is loaded"))
            })?
            .clone();
        self.make_room();
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
        self.keep_swept();
        Ok(isolate)
    }

    /// This thread's isolate for `worker` if it is up (started and not closed).
    pub(crate) fn running(&self, worker: &str) -> Option<Rc<Isolate>> {
        self.isolates
            .borrow()
            .get(worker)
            .filter(|isolate| !isolate.is_closed())
            .cloned()
    }

    /// At the thread's isolate limit, free the isolate that ran JavaScript least recently among
    /// those with nothing in flight, for a new one to take its place. Not trimmed afterwards:
    /// the new isolate reuses the memory.
    fn make_room(&self) {
        let Some(max) = self.fleet.options.max_isolates else {
            return;
        };
        let mut isolates = self.live();
        if isolates.len() < max {
            return;
        }
        let now = Instant::now();
        let oldest = isolates
            .iter()
            .filter(|(_, isolate)| isolate.evictable(now, Duration::ZERO))
            .min_by_key(|(_, isolate)| isolate.last_ran())
            .map(|(worker, _)| worker.clone());
        let freed = oldest.and_then(|worker| isolates.remove(&worker));
        // Closed (its event loop then drops the last reference) once the registry is let go.
        drop(isolates);
        if let Some(isolate) = freed {
            isolate.close();
        }
    }

    /// The registry, without the isolates that were closed (shut down, or over a limit and
    /// being replaced): they never run again, and do not count.
    fn live(&self) -> RefMut<'_, FxHashMap<String, Rc<Isolate>>> {
        let mut isolates = self.isolates.borrow_mut();
        isolates.retain(|_, isolate| !isolate.is_closed());
        isolates
    }

    /// Start the task that frees idle isolates, unless it runs or isolates are kept forever.
    /// It wakes every quarter of the timeout (at most every 10 s), so an isolate goes between 1
    /// and 1.25 timeouts after its last JavaScript ran (up to 10 s later past a 40 s timeout),
    /// and stops when this thread has no isolate left: an idle server is not woken for nothing.
    fn keep_swept(&self) {
        let Some(idle) = self.fleet.options.isolate_idle_timeout else {
            return;
        };
        if self.sweeping.replace(true) {
            return;
        }
        let tick = (idle / 4).min(Duration::from_secs(10));
        let me = self.me.clone();
        tokio::task::spawn_local(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(workers) = me.upgrade() else { return };
                if !workers.sweep(idle).await {
                    workers.sweeping.set(false);
                    return;
                }
            }
        });
    }

    /// Free the isolates that are [evictable](Isolate::evictable) after `idle`, yielding to the
    /// thread's other tasks after each: freeing a runtime takes ~0.1 ms, and a thousand at once
    /// would hold this thread's requests for as long. Returns whether any isolate is left.
    async fn sweep(&self, idle: Duration) -> bool {
        let now = Instant::now();
        let candidates: Vec<String> = self
            .live()
            .iter()
            .filter(|(_, isolate)| isolate.evictable(now, idle))
            .map(|(worker, _)| worker.clone())
            .collect();
        let mut freed = 0;
        for worker in candidates {
            // Asked again: a request may have reached it while an earlier one was freed.
            let evicted = {
                let mut isolates = self.isolates.borrow_mut();
                match isolates.get(&worker) {
                    Some(isolate) if isolate.evictable(now, idle) => isolates.remove(&worker),
                    _ => None,
                }
            };
            if let Some(isolate) = evicted {
                // Its event loop ends and drops the last reference.
                isolate.close();
                drop(isolate);
                freed += 1;
                tokio::task::yield_now().await;
            }
        }
        if freed > 0 {
            crate::trim::return_freed_memory();
        }
        !self.isolates.borrow().is_empty()
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
    /// `request.url` must be WHATWG-serialized (see [`HttpRequest::url`]). The handler starts
    /// at once; the future is its response.
    pub fn fetch(
        &self,
        worker: &str,
        entrypoint: Option<&str>,
        request: HttpRequest,
        depth: u32,
    ) -> Fetch {
        match self.isolate(worker) {
            Ok(isolate) => isolate.fetch(
                entrypoint,
                request,
                depth,
                self.fleet.options.request_timeout,
            ),
            Err(error) => Fetch::ready(Err(error)),
        }
    }

    /// Handle `request` with the entry worker (`request.url` WHATWG-serialized, as for
    /// [`LocalWorkers::fetch`]).
    pub fn fetch_entry(&self, request: HttpRequest) -> Fetch {
        // An isolate that was freed or replaced is closed first, so an open one is the current.
        let cached = self.entry.borrow().upgrade().filter(|i| !i.is_closed());
        let isolate = match cached {
            Some(isolate) => isolate,
            None => match self.isolate(&self.fleet.entry) {
                Ok(isolate) => {
                    *self.entry.borrow_mut() = Rc::downgrade(&isolate);
                    isolate
                }
                Err(error) => return Fetch::ready(Err(error)),
            },
        };
        isolate.fetch(None, request, 1, self.fleet.options.request_timeout)
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
