//! The workers of a running server, loaded once and shared by every thread.

use std::collections::HashMap;
use std::rc::Weak;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_config::{WorkerConfig, World};

use crate::error::StartupError;
use crate::isolate::Isolate;
use crate::modules::ModuleGraph;

/// Settings that apply to every worker.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// How long a fetch handler may take before its request fails with a 500.
    pub request_timeout: Duration,
    /// CPU time a request may use when the worker's `[limits] cpu_ms` is unset: Cloudflare's
    /// paid-plan default, 30 s.
    pub default_cpu: Duration,
    /// Memory an isolate may use when the worker's `[limits] memory_mb` is unset: 128 MB, as on
    /// Cloudflare.
    pub default_memory: usize,
    /// CPU time evaluating a worker's modules may take: 1 s, as Cloudflare allows.
    pub startup_cpu: Duration,
    /// `fetch()` calls a request may make when the worker's `[limits] subrequests` is unset:
    /// 1000, Cloudflare's paid-plan figure.
    pub default_subrequests: u64,
    /// How long an isolate may sit idle (nothing in flight, no timers, no `waitUntil` work, no
    /// stub held elsewhere) before it is freed; the worker's next request starts a new one.
    /// `None` keeps every isolate for the thread's life. Workers code cannot count on global
    /// state surviving between requests on Cloudflare either.
    pub isolate_idle_timeout: Option<Duration>,
    /// Live isolates one server thread keeps: starting one more first frees the isolate that ran
    /// JavaScript least recently among those with nothing in flight (busy ones are never freed,
    /// so the count can pass the limit while they finish). `None`: no limit.
    pub max_isolates: Option<usize>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            request_timeout: Duration::from_secs(30),
            default_cpu: Duration::from_secs(30),
            default_memory: 128 * 1024 * 1024,
            startup_cpu: Duration::from_secs(1),
            default_subrequests: 1000,
            isolate_idle_timeout: Some(Duration::from_secs(30)),
            max_isolates: None,
        }
    }
}

/// One worker's configuration and compiled modules. `Send + Sync`: each thread builds its own
/// isolate from it.
#[derive(Debug)]
pub struct WorkerSpec {
    pub config: WorkerConfig,
    pub graph: Arc<ModuleGraph>,
    pub limits: Limits,
}

/// A worker's resource limits, its config's `[limits]` over the runtime's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time one request may use; enforced on each uninterrupted run of JavaScript.
    pub cpu: Duration,
    /// Bytes one isolate may allocate.
    pub memory: usize,
    /// CPU time evaluating the modules may take.
    pub startup_cpu: Duration,
    /// `fetch()` calls one request may make.
    pub subrequests: u64,
}

impl Limits {
    fn resolve(config: &WorkerConfig, options: &RuntimeOptions) -> Limits {
        Limits {
            cpu: config
                .limits
                .cpu_ms
                .map_or(options.default_cpu, Duration::from_millis),
            memory: config
                .limits
                .memory_mb
                .map_or(options.default_memory, |mb| {
                    (mb as usize).saturating_mul(1024 * 1024)
                }),
            startup_cpu: options.startup_cpu,
            subrequests: config
                .limits
                .subrequests
                .unwrap_or(options.default_subrequests),
        }
    }
}

/// What start-up measured for one worker.
#[derive(Debug, Clone)]
pub struct WorkerReport {
    pub name: String,
    pub modules: usize,
    pub source_bytes: usize,
    /// Time to create an isolate and evaluate the worker's modules in it.
    pub startup: Duration,
    /// Problems that do not stop the worker (a `require` that cannot resolve throws only if it
    /// runs), one line each with file:line:col.
    pub warnings: Vec<String>,
}

/// What a new isolate of a worker costs (see [`Fleet::measure_new_isolate`]).
#[derive(Clone, Copy, Debug)]
pub struct IsolateCost {
    /// From nothing to the modules evaluated.
    pub load: Duration,
    /// QuickJS heap bytes once loaded and idle (after a garbage collection).
    pub heap: usize,
}

/// All workers of a server. The first is the entry worker.
#[derive(Debug)]
pub struct Fleet {
    pub(crate) workers: HashMap<String, Arc<WorkerSpec>>,
    pub(crate) entry: String,
    pub(crate) options: RuntimeOptions,
}

impl Fleet {
    /// Load every worker's modules and evaluate each once on this thread, so that a bad import, a
    /// module that throws, a missing fetch handler or a missing entrypoint stops start-up with all
    /// problems listed.
    pub fn load(
        world: &World,
        options: RuntimeOptions,
    ) -> Result<(Arc<Fleet>, Vec<WorkerReport>), Vec<StartupError>> {
        let mut errors = Vec::new();
        let mut workers = HashMap::new();
        for config in &world.workers {
            match ModuleGraph::load_with_rules(&config.main, &config.rules) {
                Ok(graph) => {
                    workers.insert(
                        config.name.to_string(),
                        Arc::new(WorkerSpec {
                            config: config.clone(),
                            graph: Arc::new(graph),
                            limits: Limits::resolve(config, &options),
                        }),
                    );
                }
                Err(error) => {
                    // A broken file shared by several workers is one problem, reported once.
                    let worker = config.name.to_string();
                    match errors.iter_mut().find_map(|e| match e {
                        StartupError::Load {
                            workers,
                            error: seen,
                        } if *seen == error => Some(workers),
                        _ => None,
                    }) {
                        Some(workers) => workers.push(worker),
                        None => errors.push(StartupError::Load {
                            workers: vec![worker],
                            error,
                        }),
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let fleet = Arc::new(Fleet {
            workers,
            entry: world.entry().name.to_string(),
            options,
        });

        // Which entrypoints each worker must export, for the bindings that name one.
        let mut wanted: HashMap<&str, Vec<&switchyard_config::ServiceBinding>> = HashMap::new();
        for config in &world.workers {
            for binding in config.services.iter().filter(|b| b.entrypoint.is_some()) {
                wanted
                    .entry(binding.service.as_str())
                    .or_default()
                    .push(binding);
            }
        }
        let mut reports = Vec::new();
        // One isolate at a time, dropped before the next: with a thousand workers, holding them
        // all would leave hundreds of MB freed into this thread's allocator arena, which the
        // server threads never reuse.
        for config in &world.workers {
            let spec = fleet.workers[config.name.as_str()].clone();
            let started = Instant::now();
            let isolate = match Isolate::new(spec.clone(), Weak::new(), None) {
                Ok(isolate) => isolate,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            };
            if config.name.as_str() == fleet.entry && !isolate.serves_http() {
                errors.push(StartupError::NoHandler {
                    worker: config.name.to_string(),
                    main: config.main.clone(),
                    problem: "it is the entry worker, which receives the HTTP requests, but its \
                              default export only has RPC methods (a WorkerEntrypoint without \
                              fetch())"
                        .into(),
                });
            }
            reports.push(WorkerReport {
                name: config.name.to_string(),
                modules: spec.graph.file_count(),
                source_bytes: spec.graph.source_size(),
                startup: started.elapsed(),
                warnings: spec.graph.warnings.clone(),
            });
            for binding in wanted.get(config.name.as_str()).into_iter().flatten() {
                let Some(entrypoint) = &binding.entrypoint else {
                    continue;
                };
                if let Err(problem) = isolate.check_entrypoint(entrypoint) {
                    errors.push(StartupError::BadEntrypoint {
                        location: binding.location.to_string(),
                        binding: binding.binding.to_string(),
                        service: binding.service.to_string(),
                        entrypoint: entrypoint.clone(),
                        problem,
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok((fleet, reports))
        } else {
            Err(errors)
        }
    }

    /// What a fresh isolate of `worker` costs now that the process is warm: how long creating
    /// it and evaluating its modules takes (the median of `runs`), which is what every later
    /// thread, deploy or recycled isolate pays, and its JavaScript heap once loaded. `None` for
    /// an unknown worker.
    pub fn measure_new_isolate(
        &self,
        worker: &str,
        runs: usize,
    ) -> Option<Result<IsolateCost, StartupError>> {
        let spec = self.workers.get(worker)?;
        let mut times = Vec::with_capacity(runs.max(1));
        let mut heap = 0;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            match Isolate::new(spec.clone(), Weak::new(), None) {
                Ok(isolate) => {
                    times.push(started.elapsed());
                    heap = isolate.heap_bytes();
                    drop(isolate);
                }
                Err(error) => return Some(Err(error)),
            }
        }
        times.sort();
        Some(Ok(IsolateCost {
            load: times[times.len() / 2],
            heap,
        }))
    }

    /// The loaded workers' specs, by name.
    pub fn specs(&self) -> impl Iterator<Item = (&str, &Arc<WorkerSpec>)> {
        self.workers
            .iter()
            .map(|(name, spec)| (name.as_str(), spec))
    }

    pub fn entry(&self) -> &str {
        &self.entry
    }

    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    pub(crate) fn spec(&self, name: &str) -> Option<&Arc<WorkerSpec>> {
        self.workers.get(name)
    }
}
