//! Idle isolates are freed (`--isolate-idle-timeout`), and only idle ones.

mod support;

use std::time::Duration;

use support::TestServer;

/// One thread, so every request reaches the same isolate while it lives; a 0.3 s timeout, so an
/// idle isolate goes within 0.375 s.
fn start() -> TestServer {
    TestServer::start(
        &["idle/wrangler.counter.toml", "idle/wrangler.svc.toml"],
        &["--threads", "1", "--isolate-idle-timeout", "0.3"],
    )
}

#[test]
fn an_idle_isolate_is_freed_and_the_next_request_starts_a_new_one() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/count").text(), "2");
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/svc").text(), "2");
    std::thread::sleep(Duration::from_millis(1000));
    // Both the entry worker's isolate and the one behind its binding were freed.
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/svc").text(), "1");
    assert_eq!(server.get("/count").text(), "2");
}

#[test]
fn waituntil_work_keeps_its_isolate_past_the_idle_timeout() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    assert_eq!(server.get("/later?ms=1500").text(), "scheduled");
    // No JavaScript has run for three timeouts, but the timer is still pending.
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(server.get("/count").text(), "2");
}

#[test]
fn a_response_still_streaming_keeps_its_isolate_past_the_idle_timeout() {
    let server = start();
    assert_eq!(server.get("/count").text(), "1");
    let response = server.get("/slow-stream?gap=450");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "chunk 0 chunk 1 chunk 2 ");
    assert_eq!(server.get("/count").text(), "2");
}
