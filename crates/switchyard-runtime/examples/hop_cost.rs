//! What a service-binding hop costs with no HTTP in the way: requests go straight into
//! `LocalWorkers::fetch_entry` on one thread, through the configs given, and the time per request
//! is printed for each of a few rounds. PATH is the request's path and query. Run it for a chain and for its last worker alone; the
//! difference divided by the number of forwarding hops is the cost of one (bench/NOTES.md):
//!
//! ```text
//! cargo run --release -p switchyard-runtime --example hop_cost -- 5000 / hop0.toml … svc.toml
//! cargo run --release -p switchyard-runtime --example hop_cost -- 5000 / svc.toml
//! ```
//!
//! The first config is the entry worker. For the bench's chain, write one config per hop with
//! `main` = bench/workers/forward.js and a service binding `NEXT` to the next hop, the last one
//! to a worker whose `main` is bench/workers/service.js (as bench.py does for `chain5`). Pin it to
//! one core (`taskset -c 1`) and alternate builds when comparing them: the machine's noise is
//! larger than most single changes.
//!
//! Requests carry no headers, unless `HOP_COST_HEADERS=1`: then the six a browser sends
//! (`host`, `user-agent`, `accept`, `accept-language`, `accept-encoding`, `cookie`).

use std::path::PathBuf;
use std::time::Instant;

use switchyard_runtime::{Fleet, LocalWorkers, RuntimeOptions};
use switchyard_web::{Body, HttpRequest};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: hop_cost REQUESTS PATH CONFIG...";
    let requests: u32 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let url = format!("http://localhost{}", args.next().expect(usage));
    let configs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let (world, _) = switchyard_config::load_world(&configs).expect("the configs load");
    let (fleet, _) = Fleet::load(&world, RuntimeOptions::default()).expect("the workers start");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio::task::LocalSet::new().block_on(&runtime, async move {
        let workers = LocalWorkers::new(fleet);
        let mut headers = http::HeaderMap::new();
        if std::env::var_os("HOP_COST_HEADERS").is_some_and(|v| v == "1") {
            for (name, value) in [
                ("host", "localhost"),
                (
                    "user-agent",
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101",
                ),
                ("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
                ("accept-language", "en-GB,en;q=0.5"),
                ("accept-encoding", "gzip, deflate, br, zstd"),
                ("cookie", "session=4f2a9c1e; theme=dark"),
            ] {
                headers.insert(name, http::HeaderValue::from_static(value));
            }
        }
        let request = || HttpRequest {
            method: http::Method::GET,
            url: url.clone(),
            headers: headers.clone(),
            body: Body::empty(),
        };
        // Every isolate started and warm.
        for _ in 0..2000 {
            workers.fetch_entry(request()).await.expect("a response");
        }
        for _ in 0..3 {
            let started = Instant::now();
            for _ in 0..requests {
                let response = workers.fetch_entry(request()).await.expect("a response");
                assert!(response.status.is_success(), "{}", response.status);
            }
            let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(requests);
            println!("{micros:.2} µs per request");
        }
    });
}
