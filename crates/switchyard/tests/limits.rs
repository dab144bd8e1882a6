//! CPU and memory limits: a worker that exceeds one is stopped, its isolate recycled, and no
//! other worker notices.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::TestServer;

const FLEET: [&str; 3] = [
    "limits/wrangler.front.toml",
    "limits/wrangler.healthy.toml",
    "limits/wrangler.bad.toml",
];

#[test]
fn an_entry_worker_over_its_limits_gets_503_and_a_fresh_isolate() {
    let server = TestServer::start(&["limits/wrangler.bad.toml"], &["--threads", "1"]);
    assert_eq!(server.get("/bad/count").text(), "1");
    for path in ["/bad/loop", "/bad/loop-caught", "/bad/alloc"] {
        let response = server.get(path);
        assert_eq!(response.status, 503, "{path}: {}", response.text());
        assert_eq!(
            response.text(),
            "Error 1102: Worker exceeded resource limits\n"
        );
        // The isolate was discarded: the next request starts from a fresh module state.
        assert_eq!(server.get("/bad/count").text(), "1", "after {path}");
    }
    let output = server.wait_for_output("memory limit");
    assert!(
        output.contains("[bad] error: exceeded its CPU time limit (50 ms)"),
        "{output}"
    );
    assert!(
        output.contains("[bad] error: exceeded its memory limit (32 MB)"),
        "{output}"
    );
    assert!(!output.contains("escaped"), "{output}");
}

#[test]
fn garbage_is_collected_before_the_memory_limit_is_hit() {
    // 22 MB live of 32: QuickJS's own policy would collect only past 33 MB, after the limit.
    let server = TestServer::start(&["limits/wrangler.near.toml"], &["--threads", "1"]);
    let response = server.get("/");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "survived 64000 garbage buffers");
}

#[test]
fn memory_exhausted_to_the_last_byte_is_the_memory_limit_not_an_exception() {
    let server = TestServer::start(&["limits/wrangler.near.toml"], &["--threads", "1"]);
    let response = server.get("/exhaust");
    assert_eq!(response.status, 503, "{}", response.text());
    let output = server.wait_for_output("memory limit");
    assert!(
        output.contains("[near] error: exceeded its memory limit (32 MB)"),
        "{output}"
    );
    // A `throw null` of the worker's own stays an exception.
    let response = server.get("/throw-null");
    assert_eq!(response.status, 500);
    assert_eq!(response.text(), "Error 1101: Worker threw exception\n");
}

#[test]
fn a_loop_in_a_timer_is_stopped_too() {
    let server = TestServer::start(&["limits/wrangler.bad.toml"], &["--threads", "1"]);
    assert_eq!(server.get("/bad/loop-in-timer").status, 503);
    assert_eq!(server.get("/bad/count").text(), "1");
}

#[test]
fn a_caller_sees_a_callee_over_its_limit_as_an_error_it_can_catch() {
    let server = TestServer::start(&FLEET, &[]);
    let response = server.get("/bad/loop");
    assert_eq!(response.status, 502);
    assert_eq!(
        response.text(),
        "bad failed: worker \"bad\" exceeded its CPU time limit (50 ms)"
    );
    assert_eq!(server.get("/healthy").json()["ok"], true);
}

#[test]
fn failing_neighbours_never_hurt_a_healthy_worker() {
    let server = TestServer::start(&FLEET, &[]);
    let addr = server.addr;
    // Warm up every thread's isolates, then take the memory baseline.
    for _ in 0..20 {
        assert_eq!(server.get("/healthy").status, 200);
        assert_eq!(server.get("/bad/count").status, 200);
    }
    let baseline = server.rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let chaos = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut failures = 0;
            for round in 0..4 {
                for path in [
                    "/bad/loop",
                    "/bad/alloc",
                    "/bad/throw",
                    "/bad/never",
                    "/bad/loop-in-timer",
                    "/bad/loop-caught",
                ] {
                    let response = support::request(addr, "GET", path, &[], b"");
                    assert_eq!(
                        response.status,
                        502,
                        "round {round} {path}: {}",
                        response.text()
                    );
                    failures += 1;
                }
            }
            stop.store(true, Ordering::SeqCst);
            failures
        })
    };
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut served = 0;
                while !stop.load(Ordering::SeqCst) || served < 25 {
                    let response = support::request(addr, "GET", "/healthy", &[], b"");
                    assert_eq!(response.status, 200, "{}", response.text());
                    assert_eq!(response.json()["ok"], true);
                    served += 1;
                }
                served
            })
        })
        .collect();
    assert_eq!(chaos.join().expect("chaos thread"), 24);
    let served: u32 = clients
        .into_iter()
        .map(|c| c.join().expect("client thread"))
        .sum();
    assert!(served >= 100, "only {served} healthy requests were made");

    // Discarded isolates are freed: memory comes back near the baseline (24 failures, 8 of them
    // isolates that filled their 32 MB, would leave far more behind if they leaked).
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        assert_eq!(server.get("/healthy").status, 200);
    }
    let after = server.rss_kib();
    assert!(
        after < baseline + 96 * 1024,
        "memory grew from {baseline} KiB to {after} KiB: are discarded isolates leaking?"
    );
}

#[test]
fn runaway_recursion_is_a_range_error_and_the_worker_goes_on() {
    let server = TestServer::start(&["limits/wrangler.deep.toml"], &["--threads", "1"]);
    // Time for the spare maker to have this thread's spare ready, so the isolate is most likely
    // made from a runtime built on another thread, whose stack limit must follow it here (the
    // unit test in switchyard-runtime's spares.rs covers that path without relying on timing).
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..2 {
        let response = server.get("/");
        assert_eq!(response.status, 200, "{}", response.text());
        let json = response.json();
        assert_eq!(
            json["error"], "RangeError: Maximum call stack size exceeded",
            "{json}"
        );
        // The whole stack budget was there to use: not a limit that trips at once.
        assert!(json["reached"].as_u64().unwrap_or(0) > 1000, "{json}");
    }
}

#[test]
fn a_callee_that_answers_at_once_spends_its_own_cpu_time_not_its_callers() {
    let server = TestServer::start(
        &["limits/wrangler.caller.toml", "limits/wrangler.spin.toml"],
        &["--threads", "1"],
    );
    // The first call starts the callee's isolate; later ones run nested in the caller's call.
    assert_eq!(server.get("/?ms=0").text(), "spun 0 ms, then 0 + 0 ms here");
    // 300 ms here of 400, and 300 ms there of 400: 600 ms if the callee's were charged here.
    let response = server.get("/?ms=150");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "spun 300 ms, then 150 + 150 ms here");
}

#[test]
fn a_callee_reached_from_deep_in_a_recursion_keeps_its_stack_budget() {
    let server = TestServer::start(
        &["limits/wrangler.diver.toml", "limits/wrangler.deep.toml"],
        &["--threads", "1"],
    );
    let reached = |depth: u64| {
        let response = server.get(&format!("/?depth={depth}"));
        assert_eq!(response.status, 200, "{}", response.text());
        let json = response.json();
        assert_eq!(
            json["error"], "RangeError: Maximum call stack size exceeded",
            "{json}"
        );
        json["reached"].as_u64().unwrap_or(0)
    };
    // Once to start the callee's isolate, then from the top of the caller's stack (nested).
    reached(0);
    let full = reached(0);
    assert!(full > 1000, "{full}");
    // From under some 40% of the caller's own stack budget: the callee's recursion still goes
    // about as deep, its call not nested where its budget would be shorter by the caller's.
    let from_deep = reached(full * 2 / 5);
    assert!(from_deep * 10 >= full * 9, "{from_deep} of {full}");
}

#[test]
fn a_loop_of_binding_calls_that_answer_at_once_does_not_hold_the_thread() {
    let server = TestServer::start(
        &["limits/wrangler.looper.toml", "limits/wrangler.spin.toml"],
        &["--threads", "1"],
    );
    // Starts the callee's isolate, so the loop's calls can run nested.
    assert_eq!(server.get("/loop?ms=0").text(), "looped false");
    let addr = server.addr;
    let done = Arc::new(AtomicBool::new(false));
    let looping = {
        let done = done.clone();
        std::thread::spawn(move || {
            let response = support::request(addr, "GET", "/loop?ms=3000", &[], b"");
            done.store(true, Ordering::SeqCst);
            response
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    // The one server thread still serves others while the loop runs.
    assert_eq!(server.get("/").text(), "still here");
    assert!(
        !done.load(Ordering::SeqCst),
        "answered only after the loop ended"
    );
    let response = looping.join().unwrap();
    assert_eq!(response.text(), "looped true");
}
