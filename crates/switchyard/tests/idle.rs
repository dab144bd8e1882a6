//! Idle isolates are freed (`--isolate-idle-timeout`), and only idle ones; past
//! `--max-isolates`, the least recently used idle one makes room.

mod support;

use std::time::Duration;

use support::TestServer;

/// The counter worker and the two services it binds, on one thread, so every request reaches
/// the same isolate of a worker while it lives.
fn start_with(flags: &[&str]) -> TestServer {
    let mut extra = vec!["--threads", "1"];
    extra.extend_from_slice(flags);
    TestServer::start(
        &[
            "idle/wrangler.counter.toml",
            "idle/wrangler.svc.toml",
            "idle/wrangler.other.toml",
        ],
        &extra,
    )
}

/// A 1 s timeout (checked every 0.25 s), long enough that back-to-back requests on a busy
/// machine share an isolate.
fn start() -> TestServer {
    start_with(&["--isolate-idle-timeout", "1"])
}

/// Long enough for an idle isolate to be freed: the timeout, a tick, and slack.
const FREED: Duration = Duration::from_millis(2500);

#[test]
fn an_idle_isolate_is_freed_and_the_next_request_starts_a_new_one() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/count").text(), "2");
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/svc").text(), "2");
    std::thread::sleep(FREED);
    // Both the entry worker's isolate and the one behind its binding were freed.
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/count").text(), "2");
}

#[test]
fn waituntil_work_keeps_its_isolate_past_the_idle_timeout() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/later?ms=5000").text(), "scheduled");
    // No JavaScript has run for over two timeouts, but the timer is still pending.
    std::thread::sleep(FREED);
    assert_eq!(server.get("/count").text(), "2");
}

#[test]
fn a_waituntil_promise_that_can_never_settle_does_not_keep_its_isolate() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/hang").text(), "hanging");
    std::thread::sleep(FREED);
    assert_eq!(server.get("/count").text(), "1");
}

#[test]
fn a_response_still_streaming_keeps_its_isolate_past_the_idle_timeout() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    // Three chunks 1.3 s apart: no JavaScript runs in the isolate for longer than the timeout.
    let response = server.get("/slow-stream?gap=1300");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "chunk 0 chunk 1 chunk 2 ");
    assert_eq!(server.get("/count").text(), "2");
}

#[test]
fn past_the_isolate_limit_the_least_recently_used_idle_isolate_makes_room() {
    let server = start_with(&["--max-isolates", "2"]);
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/svc").text(), "2");
    // A third isolate: the entry worker's is busy with this very request, so idle-svc's goes.
    assert_eq!(server.get("/other").text(), "1");
    // idle-svc starts again (its globals afresh), and idle-other makes room for it.
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/other").text(), "1");
    // The entry worker's isolate, busy each time, was never the one freed.
    assert_eq!(server.get("/count").text(), "2");
}
