//! `switchyard dev` serving real workers over real HTTP.

mod support;

use std::time::{Duration, Instant};

use support::{TestServer, exchange_raw, parse_response, read_head, send_raw};

#[test]
fn request_method_url_headers_and_body_reach_the_worker_intact() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let response = server.request(
        "POST",
        "/echo?q=1&q=two%20words",
        &[("X-Custom", "Value"), ("Content-Type", "text/plain")],
        "héllo body".as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let json = response.json();
    assert_eq!(json["method"], "POST");
    assert_eq!(
        json["url"],
        format!("http://{}/echo?q=1&q=two%20words", server.addr)
    );
    assert_eq!(json["q"], serde_json::json!(["1", "two words"]));
    assert_eq!(json["headers"]["x-custom"], "Value");
    assert_eq!(json["headers"]["content-type"], "text/plain");
    assert_eq!(json["headers"]["cf-connecting-ip"], "127.0.0.1");
    assert_eq!(json["body"], "héllo body");
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[test]
fn vars_reach_env_as_strings_and_json_objects() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let json = server.get("/env").json();
    assert_eq!(json["greeting"], "hello");
    assert_eq!(json["type"], "object");
    assert_eq!(
        json["limits"],
        serde_json::json!({ "max": 3, "tags": ["a", "b"] })
    );
}

#[test]
fn responses_keep_status_headers_and_binary_bodies() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);

    let cookies = server.get("/cookies");
    assert_eq!(
        cookies.headers_named("set-cookie"),
        vec!["a=1; Path=/", "b=2; Path=/"]
    );
    assert_eq!(cookies.text(), "cookies");

    let redirect = server.get("/redirect");
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location"),
        Some("https://example.com/elsewhere")
    );

    let empty = server.get("/status");
    assert_eq!(empty.status, 204);
    assert!(empty.body.is_empty());

    assert_eq!(server.get("/bytes").body, vec![0, 1, 2, 255]);
    assert_eq!(server.get("/nope").status, 404);
}

#[test]
fn web_apis_behave_inside_a_worker() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let json = server.get("/web").json();
    assert_eq!(json["encodedLength"], 6);
    assert_eq!(json["decoded"], "héllo");
    assert_eq!(json["b64"], "aGkh");
    assert_eq!(json["unb64"], "hi!");
    assert_eq!(json["cloneDate"], true);
    assert_eq!(json["cloneMap"], 1);
    assert_eq!(json["uuidOk"], true);
    assert_eq!(json["randomLength"], 8);
    assert_eq!(json["params"], "a=1+2&b=%C3%A9");
    assert_eq!(json["resolved"], "https://h.example/a/up?x=1#h");
    assert_eq!(json["headerCase"], "x");
    assert_eq!(
        server.get("/microtask").json(),
        serde_json::json!(["microtask", "timeout"])
    );
}

#[test]
fn bodies_can_be_read_once_cloned_and_parsed() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let json = server.get("/bodies").json();
    assert_eq!(json["first"], "once");
    assert_eq!(json["usedAfterRead"], true);
    assert_eq!(json["secondRead"], "TypeError");
    assert_eq!(json["cloneText"], "once");
    assert_eq!(json["cloneStatus"], 201);
    assert_eq!(json["cloneHeader"], "1");
    assert_eq!(json["json"], serde_json::json!({ "n": 1 }));
    assert_eq!(json["bytes"], serde_json::json!([65, 66]));
    assert_eq!(json["arrayBufferLength"], 3);
    assert_eq!(json["errorType"], "error");
    assert_eq!(json["errorStatus"], 0);
    assert_eq!(json["setCookies"], serde_json::json!(["a=1", "b=2"]));
}

#[test]
fn console_output_is_printed_with_the_workers_name() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    assert_eq!(server.get("/console").text(), "logged");
    let output = server.wait_for_all(&["an error line", "plain log"]);
    assert!(
        output.contains("[basic] log: plain log { nested: { a: [ 1, 2 ] } }"),
        "{output}"
    );
    assert!(output.contains("[basic] error: an error line"), "{output}");
}

#[test]
fn wait_until_work_finishes_after_the_response_is_sent() {
    let server = TestServer::start(&["basic/wrangler.toml"], &["--threads", "1"]);
    assert_eq!(server.get("/wait-until?tag=first").text(), "scheduled");
    // The response came back before the 50 ms timer; the work must still complete.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let result = server.get("/wait-until-result").text();
        if result == "done at first" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "waitUntil work never completed: {result}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn timers_fire_in_order_and_can_be_cleared() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    assert_eq!(
        server.get("/order").json(),
        serde_json::json!(["t0", "tick1", "tick2", "tick3", "t100"])
    );
    assert_eq!(server.get("/args").text(), "xy");
}

#[test]
fn performance_counts_from_when_the_worker_started_not_when_its_runtime_was_prepared() {
    let server = TestServer::start(&["timers/wrangler.toml"], &["--threads", "1"]);
    // The thread's spare runtime is ready long before this worker starts in it.
    std::thread::sleep(Duration::from_millis(1500));
    let clock = server.get("/clock").json();
    let now = clock["now"].as_f64().unwrap_or(f64::NAN);
    assert!((0.0..1000.0).contains(&now), "{clock}");
    let (origin, date) = (clock["origin"].as_f64(), clock["date"].as_f64());
    let (origin, date) = (origin.unwrap_or(f64::NAN), date.unwrap_or(f64::NAN));
    assert!((date - origin - now).abs() < 50.0, "{clock}");
}

#[test]
fn service_bindings_pass_requests_through_a_chain() {
    let server = TestServer::start(
        &[
            "chain/wrangler.a.toml",
            "chain/wrangler.b.jsonc",
            "chain/wrangler.c.toml",
        ],
        &[],
    );
    let body = b"payload".to_vec();
    let response = server.request(
        "PATCH",
        "/forward/deep/path?x=1&y=%20",
        &[
            ("x-id", "req-1"),
            ("content-type", "application/octet-stream"),
        ],
        &body,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let json = response.json();
    assert_eq!(json["hop"], "c");
    assert_eq!(json["method"], "PATCH");
    assert_eq!(json["path"], "/forward/deep/path");
    assert_eq!(json["query"], "?x=1&y=%20");
    assert_eq!(json["id"], "req-1");
    assert_eq!(json["viaB"], "yes");
    assert_eq!(json["contentType"], "application/octet-stream");
    assert_eq!(json["length"], 7);
}

#[test]
fn service_bindings_accept_url_strings_and_url_objects() {
    let server = TestServer::start(
        &[
            "chain/wrangler.a.toml",
            "chain/wrangler.b.jsonc",
            "chain/wrangler.c.toml",
        ],
        &[],
    );
    let json = server.get("/string-input").json();
    assert_eq!(json["hop"], "b");
    assert_eq!(json["method"], "PUT");
    assert_eq!(json["url"], "https://b.internal/echo?via=string");
    assert_eq!(json["from"], "a");
    assert_eq!(json["body"], "from a string");

    let json = server.get("/url-input").json();
    assert_eq!(json["method"], "GET");
    assert_eq!(json["url"], "https://b.internal/echo?via=url");

    // A URL string alone takes a shortcut past the Request constructor: what the callee gets,
    // and the errors, must be what `new Request(url)` gives.
    let json = server.get("/plain-strings").json();
    let pairs = json.as_array().unwrap();
    assert_eq!(pairs.len(), 7);
    for pair in pairs {
        assert_eq!(pair[0], pair[1], "string vs new Request: {pair}");
    }
    assert_eq!(pairs[0][0]["method"], "GET");
    assert_eq!(pairs[0][0]["url"], "https://b.internal/echo?q=1#frag");
    assert_eq!(pairs[0][0]["from"], serde_json::Value::Null);
    assert_eq!(pairs[0][0]["body"], "");
    assert_eq!(pairs[1][0]["url"], "https://b.internal/echo?x=%zz&y=%C3%A9");
    assert_eq!(
        pairs[2][0],
        "TypeError: Failed to construct 'Request': Invalid URL: /relative"
    );
    assert!(
        pairs[3][0]
            .as_str()
            .unwrap()
            .contains("includes credentials"),
        "{}",
        pairs[3][0]
    );
    assert_eq!(pairs[4][0]["url"], "https://b.internal/echo?%EF%BF%BD");
    // The parser strips the outer whitespace and the tab and newline inside.
    assert_eq!(pairs[5][0]["url"], "https://b.internal/echo");
    assert_eq!(pairs[6][0]["url"], "http://b.internal/echo");
}

fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |sum, b| {
        sum.wrapping_mul(31).wrapping_add(u32::from(*b))
    })
}

#[test]
fn large_bodies_cross_two_bindings_without_truncation() {
    let server = TestServer::start(
        &[
            "chain/wrangler.a.toml",
            "chain/wrangler.b.jsonc",
            "chain/wrangler.c.toml",
        ],
        &[],
    );
    let body: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i * 7 + i / 1024) as u8)
        .collect();
    let response = server.request("POST", "/forward/big", &[], &body);
    assert_eq!(response.status, 200, "{}", response.text());
    let json = response.json();
    assert_eq!(json["length"], body.len());
    assert_eq!(json["sum"], checksum(&body));
}

#[test]
fn concurrent_requests_through_bindings_never_mix() {
    let server = TestServer::start(
        &[
            "chain/wrangler.a.toml",
            "chain/wrangler.b.jsonc",
            "chain/wrangler.c.toml",
        ],
        &[],
    );
    let addr = server.addr;
    let handles: Vec<_> = (0..24)
        .map(|i| {
            std::thread::spawn(move || {
                let id = format!("req-{i}");
                // Later requests finish first, so responses interleave on each thread.
                let path = format!("/forward/delay?ms={}", (24 - i) * 3);
                let body = id.repeat(i + 1);
                let response =
                    support::request(addr, "POST", &path, &[("x-id", &id)], body.as_bytes());
                (id, body, response)
            })
        })
        .collect();
    for handle in handles {
        let (id, body, response) = handle.join().unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        let json = response.json();
        assert_eq!(json["id"], id.as_str());
        assert_eq!(json["length"], body.len());
        assert_eq!(json["sum"], checksum(body.as_bytes()));
    }
}

#[test]
fn a_callee_exception_is_an_error_the_caller_can_catch() {
    let server = TestServer::start(
        &[
            "chain/wrangler.a.toml",
            "chain/wrangler.b.jsonc",
            "chain/wrangler.c.toml",
        ],
        &[],
    );
    let json = server.get("/catch").json();
    assert_eq!(json["caught"], true);
    assert_eq!(json["name"], "TypeError");
    assert_eq!(json["isTypeError"], true);
    assert_eq!(json["message"], "b refuses");
    let output = server.wait_for_output("b refuses");
    assert!(
        output.contains("[chain-b] error: Uncaught TypeError: b refuses"),
        "{output}"
    );
}

#[test]
fn worker_entrypoint_classes_and_named_entrypoints_handle_fetch() {
    let server = TestServer::start(
        &[
            "entrypoints/wrangler.front.toml",
            "entrypoints/wrangler.svc.toml",
        ],
        &[],
    );
    let json = server.get("/hello").json();
    assert_eq!(json["front"], "front");
    assert_eq!(json["hasCtx"], true);
    assert_eq!(
        json["inner"],
        serde_json::json!({ "entrypoint": "default", "role": "svc", "path": "/hello" })
    );
    let json = server.get("/admin/x").json();
    assert_eq!(json["inner"]["entrypoint"], "Admin");
    assert_eq!(json["inner"]["role"], "svc");
}

#[test]
fn typescript_workers_run_and_stacks_point_at_the_ts_source() {
    let server = TestServer::start(&["ts/wrangler.toml"], &[]);
    assert_eq!(server.get("/greet").text(), "hello from typescript");

    let response = server.get("/explode");
    assert_eq!(response.status, 500);
    assert!(response.text().contains("1101"), "{}", response.text());
    // The error and its stack are lines of one log entry, which reach the test one by one.
    let output = server.wait_for_all(&["boom 42", "src/index.ts:14:"]);
    assert!(
        output.contains("[ts-worker] error: Uncaught Error: boom 42"),
        "{output}"
    );
    // `throw` is on line 12 of explode.ts; the call on line 14 of index.ts.
    assert!(output.contains("src/lib/explode.ts:12:"), "{output}");
    assert!(output.contains("src/index.ts:14:"), "{output}");

    let response = server.get("/reject");
    assert_eq!(response.status, 500);
    let output = server.wait_for_output("rejected asynchronously");
    assert!(
        output.contains("RangeError: rejected asynchronously"),
        "{output}"
    );

    // The server keeps serving after exceptions.
    assert_eq!(server.get("/greet").status, 200);
}

#[test]
fn failures_in_a_handler_give_500_and_the_server_keeps_serving() {
    let server = TestServer::start(&["timers/wrangler.toml"], &["--request-timeout", "1"]);

    let thrown = server.get("/throw");
    assert_eq!(thrown.status, 500);
    assert_eq!(thrown.text(), "Error 1101: Worker threw exception\n");

    let wrong = server.get("/not-a-response");
    assert_eq!(wrong.status, 500);
    let output = server.wait_for_output("did not resolve to 'Response'");
    assert!(
        output.contains("[timers] error: Uncaught TypeError"),
        "{output}"
    );

    // Nothing can settle it: answered at once, not after the timeout.
    let started = Instant::now();
    let never = server.get("/never");
    assert_eq!(never.status, 500);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        server
            .wait_for_output("will never generate a response")
            .contains("will never generate a response")
    );

    // Kept alive by an interval: ended by --request-timeout.
    let forever = server.get("/forever");
    assert_eq!(forever.status, 500);
    assert!(
        forever.text().contains("did not respond within 1 s"),
        "{}",
        forever.text()
    );

    assert_eq!(server.get("/").text(), "ok");
}

#[test]
fn what_a_handler_returns_without_a_promise_is_checked_like_a_promise() {
    let server = TestServer::start(&["sync/wrangler.toml"], &[]);

    let direct = server.get("/response");
    assert_eq!((direct.status, direct.text().as_str()), (200, "direct"));
    assert_eq!(direct.header("x-sync"), Some("1"));
    assert_eq!(server.get("/microtask").header("x-late"), Some("1"));
    let thenable = server.get("/thenable");
    assert_eq!(
        (thenable.status, thenable.text().as_str()),
        (200, "from a thenable")
    );

    // Returned as it is, and as a promise's value: the same TypeError, logged each time.
    assert_eq!(server.get("/string").status, 500);
    assert_eq!(server.get("/promise-of-a-number").status, 500);
    let deadline = Instant::now() + Duration::from_secs(10);
    let not_a_response = || {
        server
            .output()
            .matches("did not resolve to 'Response'")
            .count()
    };
    while not_a_response() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(not_a_response(), 2, "{}", server.output());

    assert_eq!(server.get("/error-response").status, 500);
    server.wait_for_output("must not be an error response");
    assert_eq!(server.get("/used").status, 500);
    server.wait_for_output("Body has already been used");

    assert_eq!(server.get("/response").status, 200);
}

#[test]
fn malformed_http_gets_400_and_the_server_survives() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let response = send_raw(server.addr, b"THIS IS NOT HTTP\r\n\r\n");
    assert_eq!(response.status, 400);
    let response = send_raw(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    );
    assert_eq!(response.status, 400);
    assert_eq!(server.get("/env").status, 200);
}

#[test]
fn bodies_over_the_limit_get_413() {
    let server = TestServer::start(&["basic/wrangler.toml"], &["--max-body-size", "1KB"]);
    let response = server.request("POST", "/size", &[], &[b'x'; 1000]);
    assert_eq!(response.json()["length"], 1000);

    let response = server.request("POST", "/size", &[], &[b'x'; 1001]);
    assert_eq!(response.status, 413);

    // Without a Content-Length, the limit applies while reading the chunks.
    let mut raw = format!("POST /size HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", server.addr).into_bytes();
    for _ in 0..3 {
        raw.extend_from_slice(b"200\r\n");
        raw.extend_from_slice(&[b'y'; 0x200]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let response = parse_response(&exchange_raw(server.addr, &raw)).expect("a response");
    assert_eq!(response.status, 413);
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    shutdown_lets_in_flight_requests_finish("TERM");
}

#[test]
fn sigint_lets_in_flight_requests_finish() {
    shutdown_lets_in_flight_requests_finish("INT");
}

fn shutdown_lets_in_flight_requests_finish(signal: &str) {
    let mut server = TestServer::start(&["timers/wrangler.toml"], &[]);
    let addr = server.addr;
    let slow = std::thread::spawn(move || support::request(addr, "GET", "/slow?ms=700", &[], b""));
    std::thread::sleep(Duration::from_millis(200));
    let code = server.signal(signal);
    let response = slow.join().unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "slow done");
    // The process has exited, but its last lines may still be in the pipe on their way to us.
    let output = server.wait_for_output("switchyard: stopped");
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("switchyard: stopped"), "{output}");
}

#[test]
fn a_binding_cycle_hits_the_depth_limit_instead_of_recursing_forever() {
    let server = TestServer::start(
        &["cycle/wrangler.ping.toml", "cycle/wrangler.pong.toml"],
        &[],
    );
    let response = server.get("/");
    assert_eq!(response.status, 508, "{}", response.text());
    assert!(
        response
            .text()
            .starts_with("caught: Subrequest depth limit exceeded"),
        "{}",
        response.text()
    );
    // The server is still healthy afterwards.
    assert_eq!(server.get("/").status, 508);
}

#[test]
fn a_zero_delay_timer_loop_does_not_starve_other_requests() {
    let server = TestServer::start(
        &["timers/wrangler.toml"],
        &["--threads", "1", "--request-timeout", "2"],
    );
    let addr = server.addr;
    let spinner = std::thread::spawn(move || support::request(addr, "GET", "/spin", &[], b""));
    std::thread::sleep(Duration::from_millis(100));
    // Same thread, same isolate: answered while the loop spins (before the fix it never was).
    assert_eq!(server.get("/").text(), "ok");
    assert_eq!(spinner.join().unwrap().status, 500);
}

#[test]
fn timers_cleared_by_an_earlier_timer_in_the_same_turn_do_not_fire() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    assert_eq!(
        server.get("/clear-race").json(),
        serde_json::json!(["first"])
    );
}

#[test]
fn timers_left_running_are_cancelled_when_the_request_ends() {
    let server = TestServer::start(&["timers/wrangler.toml"], &["--threads", "1"]);
    assert_eq!(server.get("/leak-interval").text(), "started");
    let before: u32 = server.get("/leaked").text().parse().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let after: u32 = server.get("/leaked").text().parse().unwrap();
    assert_eq!(
        before, after,
        "the interval kept running after its request ended"
    );
}

#[test]
fn only_rejections_nobody_handles_are_reported() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    assert_eq!(server.get("/handled").text(), "ok");
    assert_eq!(server.get("/unhandled").text(), "ok");
    let output = server.wait_for_output("nobody-handles-this");
    assert!(
        output.contains("[timers] error: Uncaught (in promise) Error: nobody-handles-this"),
        "{output}"
    );
    assert!(!output.contains("handled-rejection"), "{output}");
    assert!(!output.contains("settled-rejection"), "{output}");
}

#[test]
fn unhandledrejection_listeners_see_rejections_and_can_silence_them() {
    let server = TestServer::start(&["timers/wrangler.toml"], &["--threads", "1"]);
    let response = server.get("/unhandled-listener");
    assert_eq!(
        response.json(),
        serde_json::json!([
            "PromiseRejectionEvent:silenced-rejection:true",
            "PromiseRejectionEvent:observed-rejection:true"
        ])
    );
    let output = server.wait_for_output("observed-rejection");
    assert!(
        output.contains("Uncaught (in promise) Error: observed-rejection"),
        "{output}"
    );
    assert!(!output.contains("silenced-rejection"), "{output}");
}

#[test]
fn a_wrong_content_length_from_the_worker_is_replaced_by_the_real_one() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    let response = server.get("/bad-length");
    assert_eq!(response.text(), "héllo wörld");
    assert_eq!(response.header("content-length"), Some("13"));
}

#[test]
fn a_thrown_string_is_logged_as_is() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    assert_eq!(server.get("/throw-string").status, 500);
    let output = server.wait_for_output("a plain string");
    assert!(
        output.contains("[timers] error: Uncaught a plain string"),
        "{output}"
    );
}

#[test]
fn a_host_header_that_is_not_an_authority_gets_400() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    for host in ["x/admin?", "user@host", "host:99999"] {
        let raw = format!("GET /env HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        assert_eq!(
            send_raw(server.addr, raw.as_bytes()).status,
            400,
            "Host: {host}"
        );
    }
    assert_eq!(server.get("/env").status, 200);
}

#[test]
fn a_second_server_on_the_same_port_is_refused() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let port = server.addr.port().to_string();
    let (code, output) = support::run(&["dev", "--port", &port, "-c", "basic/wrangler.toml"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{output}"
    );
    assert!(output.contains("in use"), "{output}");
    assert_eq!(server.get("/env").status, 200);
}

#[test]
fn hostile_request_heads_get_clean_4xx() {
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let cases: [(&str, Vec<u8>, u16); 4] = [
        (
            "200 KB header",
            [
                b"GET /env HTTP/1.1\r\nHost: a\r\nX-Big: ".as_slice(),
                &[b'a'; 200_000],
                b"\r\nConnection: close\r\n\r\n",
            ]
            .concat(),
            431,
        ),
        (
            "200 headers",
            [
                b"GET /env HTTP/1.1\r\nHost: a\r\n".to_vec(),
                (0..200)
                    .flat_map(|i| format!("X-H{i}: v\r\n").into_bytes())
                    .collect(),
                b"Connection: close\r\n\r\n".to_vec(),
            ]
            .concat(),
            431,
        ),
        (
            "invalid UTF-8 in the URL",
            b"GET /\xff\xfe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a NUL in a header",
            b"GET /env HTTP/1.1\r\nHost: a\r\nX-N: a\x00b\r\nConnection: close\r\n\r\n".to_vec(),
            400,
        ),
    ];
    for (name, raw, status) in cases {
        let response = send_raw(server.addr, &raw);
        assert_eq!(response.status, status, "{name}");
    }
    // A 60 KB header is within Cloudflare's limit and still served.
    let big = "v".repeat(60_000);
    assert_eq!(
        server
            .request("GET", "/env", &[("x-big", &big)], b"")
            .status,
        200
    );
}

#[test]
fn a_head_response_keeps_the_workers_content_length() {
    let server = TestServer::start(&["timers/wrangler.toml"], &[]);
    let response = server.request("HEAD", "/bad-length", &[], b"");
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    // No body to measure on HEAD: the worker's own value is the only one the client can get.
    assert_eq!(response.header("content-length"), Some("5"));
}

/// A raw connection to `addr` whose reads give up after 20 s: a safety net far above the
/// timeouts these tests set, so a connection the server wrongly keeps open fails the read with a
/// timeout error instead of hanging the test.
fn raw_client(addr: std::net::SocketAddr) -> std::net::TcpStream {
    let client = std::net::TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    client
}

#[test]
fn a_client_too_slow_to_send_its_headers_is_disconnected() {
    use std::io::{Read, Write};
    let server = TestServer::start(&["basic/wrangler.toml"], &["--header-timeout", "0.3"]);
    // Slowloris: a request line and one header, then nothing more.
    let mut slow = raw_client(server.addr);
    slow.write_all(b"GET /env HTTP/1.1\r\nHost: a\r\n").unwrap();
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "the server kept the slow connection open: {read:?}"
    );
    // Nothing was handled for it, and the server keeps serving others.
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
    assert_eq!(server.get("/env").status, 200);
}

#[test]
fn a_kept_alive_connection_waits_no_longer_than_the_header_timeout() {
    use std::io::{Read, Write};
    let server = TestServer::start(&["basic/wrangler.toml"], &["--header-timeout", "0.3"]);
    let mut client = raw_client(server.addr);
    client
        .write_all(b"GET /wait-until-result HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    // The response, then (no next request coming) the end of the connection: a read error here
    // is the safety net's timeout, the connection kept open.
    let mut seen = Vec::new();
    let read = client.read_to_end(&mut seen);
    assert!(read.is_ok(), "the idle connection was kept open: {read:?}");
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.starts_with("HTTP/1.1 200 OK"), "{seen}");
    assert_eq!(seen.matches("HTTP/1.1").count(), 1, "{seen}");
}

#[test]
fn a_response_read_slower_than_the_header_timeout_arrives_whole() {
    use std::io::{Read, Write};
    // More than the kernel's socket buffers hold: most of it waits in the server until the
    // client reads, long after the timeout.
    const MB: usize = 32;
    let server = TestServer::start(&["basic/wrangler.toml"], &["--header-timeout", "0.3"]);
    let mut client = raw_client(server.addr);
    client
        .write_all(format!("GET /zeros?mb={MB} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let mut reader = std::io::BufReader::new(client);
    let head = read_head(&mut reader);
    assert!(
        head.first()
            .is_some_and(|l| l.starts_with("HTTP/1.1 200 OK")),
        "{head:?}"
    );
    let mut buf = vec![0; 1 << 16];
    let mut body = 0;
    while body < MB << 20 {
        let n = reader.read(&mut buf).expect("the rest of the body");
        assert!(n > 0, "cut off after {body} of {} bytes", MB << 20);
        body += n;
    }
    assert_eq!(body, MB << 20);
}

#[test]
fn a_handler_slower_than_the_header_timeout_is_answered() {
    // The timeout covers waiting for a request's head, not the worker's answer to it.
    let server = TestServer::start(&["timers/wrangler.toml"], &["--header-timeout", "0.3"]);
    let response = server.get("/slow?ms=900");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "slow done");
}

#[test]
fn a_client_that_sends_its_headers_within_the_timeout_is_served() {
    use std::io::{Read, Write};
    use std::time::Duration;
    // Sleeps well inside the timeout: this checks the timeout is not early, not how long it is.
    let server = TestServer::start(&["basic/wrangler.toml"], &["--header-timeout", "3"]);
    let mut client = raw_client(server.addr);
    let read_response = |client: &mut std::net::TcpStream| {
        // /wait-until-result answers "none" here: no waitUntil ran.
        let mut seen = Vec::new();
        let mut buf = [0; 4096];
        while !seen.ends_with(b"none") {
            let n = client
                .read(&mut buf)
                .expect("a response before the connection closes");
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    // The head in two parts, the second well within the timeout.
    client
        .write_all(b"GET /wait-until-result HTTP/1.1\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    client.write_all(b"Host: a\r\n\r\n").unwrap();
    assert!(read_response(&mut client).starts_with("HTTP/1.1 200 OK"));
    // Idle for less than the timeout, then the next request on the same connection.
    std::thread::sleep(Duration::from_millis(400));
    client
        .write_all(b"GET /wait-until-result HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert!(read_response(&mut client).starts_with("HTTP/1.1 200 OK"));
}

#[test]
fn responses_made_from_text_carry_none_of_the_requests_headers() {
    // A freed request's header map, emptied, is the next `new Response(text)`'s: nothing of
    // the request may show in the response, on the same connection or another.
    let server = TestServer::start(&["basic/wrangler.toml"], &[]);
    let mut raw = Vec::new();
    for i in 0..3 {
        raw.extend_from_slice(
            format!(
                "GET /wait-until-result HTTP/1.1\r\nHost: a\r\nX-Probe-{i}: secret\r\n\
                 Authorization: Bearer t{i}\r\nCookie: c={i}\r\n\r\n"
            )
            .as_bytes(),
        );
    }
    raw.extend_from_slice(
        b"GET /wait-until-result HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&exchange_raw(server.addr, &raw)).to_lowercase();
    assert_eq!(text.matches("http/1.1 200 ok").count(), 4, "{text}");
    for leaked in [
        "x-probe",
        "authorization",
        "cookie",
        "secret",
        "cf-connecting-ip",
    ] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    let response = server.request("GET", "/wait-until-result", &[("x-probe", "again")], b"");
    assert_eq!(response.header("x-probe"), None);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain;charset=UTF-8")
    );
}

#[test]
fn the_default_exports_fetch_is_the_one_it_had_at_start() {
    // One thread, so both requests reach the isolate whose handler made the change.
    let server = TestServer::start(&["basic/wrangler.toml"], &["--threads", "1"]);
    assert_eq!(server.get("/replace-fetch").text(), "original");
    // The handler set `this.fetch` to one that answers "replaced"; as on workerd, requests
    // still go to the fetch the worker started with.
    assert_eq!(server.get("/replace-fetch").text(), "original");
    assert_eq!(server.get("/env").status, 200);
}

#[test]
fn a_client_too_slow_to_send_its_body_gets_408_and_is_disconnected() {
    use std::io::{Read, Write};
    let server = TestServer::start(&["basic/wrangler.toml"], &["--body-timeout", "0.3"]);
    // Promise 100 bytes, send 10, then stall.
    let mut slow = raw_client(server.addr);
    slow.write_all(b"POST /echo HTTP/1.1\r\nHost: a\r\ncontent-length: 100\r\n\r\n0123456789")
        .unwrap();
    let mut response = Vec::new();
    let read = slow.read_to_end(&mut response);
    assert!(
        read.is_ok(),
        "the server kept the slow connection open: {read:?}"
    );
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout"),
        "{response}"
    );
    assert!(response.contains("not received within 0.3 s"), "{response}");
    // Others are served meanwhile and after.
    assert_eq!(server.get("/env").status, 200);
    let (status, output) = support::run(&["dev", "-c", "basic/wrangler.toml", "--body-timeout=-1"]);
    assert_eq!(status, Some(1), "{output}");
    assert!(
        output.contains("--body-timeout -1 is not a usable number of seconds"),
        "{output}"
    );
}

#[test]
fn a_header_timeout_that_is_not_a_duration_is_refused() {
    let (status, output) =
        support::run(&["dev", "-c", "basic/wrangler.toml", "--header-timeout", "0"]);
    assert_eq!(status, Some(1), "{output}");
    assert!(
        output.contains("--header-timeout 0 is not a usable number of seconds"),
        "{output}"
    );
}
