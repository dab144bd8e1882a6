//! Switchyard's worker runtime: isolates, module loading and handler dispatch.
//!
//! A [`Fleet`] is loaded once per server from the assembled wrangler configs: every worker's
//! module graph is resolved and transpiled (TypeScript types stripped by oxc, source maps kept),
//! and each worker is evaluated once to catch start-up errors. Each server thread then makes a
//! [`LocalWorkers`]: one QuickJS isolate per worker, created on first use, all on that thread.
//! Service bindings (`env.NAME.fetch(request)`) call the target's isolate on the same thread, with
//! no socket and no copy of the body bytes.
//!
//! It is not the HTTP server (`switchyard-server`) nor the Web APIs (`switchyard-web`).
//!
//! ```no_run
//! # async fn demo(world: switchyard_config::World, request: switchyard_web::HttpRequest) {
//! use switchyard_runtime::{Fleet, LocalWorkers, RuntimeOptions};
//! let (fleet, _reports) = Fleet::load(&world, RuntimeOptions::default()).expect("workers start");
//! // On a server thread, inside a tokio LocalSet:
//! let workers = LocalWorkers::new(fleet);
//! let response = workers.fetch_entry(request).await;
//! # }
//! ```

mod clock;
mod error;
mod fleet;
mod isolate;
mod local;
pub mod modules;
mod outbound;
mod sourcemap;
mod spares;
pub mod transpile;
mod trim;

pub use clock::coarse_now;
pub use error::{JsException, LimitKind, StartupError, WorkerError};
pub use fleet::{Fleet, IsolateCost, Limits, RuntimeOptions, WorkerReport, WorkerSpec};
pub use isolate::{Fetch, Isolate, MAX_CHAIN_DEPTH};
pub use local::LocalWorkers;
pub use outbound::{EXTRA_CA_CERTS, tls_config};
pub use switchyard_web::{HttpRequest, HttpResponse};

#[cfg(test)]
mod send_sync {
    //! What crosses threads must be `Send + Sync`; isolates never do (they are `Rc`-based).
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_cross_threads() {
        assert_send_sync::<super::Fleet>();
        assert_send_sync::<super::WorkerSpec>();
        assert_send_sync::<super::RuntimeOptions>();
        assert_send_sync::<super::StartupError>();
        assert_send_sync::<super::WorkerError>();
    }
}
