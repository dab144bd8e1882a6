//! Streamed bodies: a worker's ReadableStream response reaches the client chunk by chunk, through
//! service bindings and from the network too. Ordering, never durations: the source produces its
//! second chunk only after the test asks it to, so a client holding the first chunk before that
//! request proves the first was sent before the second existed.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use support::TestServer;

fn start() -> TestServer {
    TestServer::start(
        &["streaming/wrangler.toml", "streaming/source.toml"],
        &["--threads", "1"],
    )
}

/// Send a GET and return the connection, positioned after the response head (whose lines are
/// returned).
fn open(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (BufReader<TcpStream>, Vec<String>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: test\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let head = support::read_head(&mut reader);
    (reader, head)
}

/// The next chunk of a chunked body, as text (`None` at the terminating chunk).
fn next_chunk(reader: &mut BufReader<TcpStream>) -> Option<String> {
    support::read_chunk(reader).map(|chunk| String::from_utf8(chunk).unwrap())
}

fn first_then_release(server: &TestServer, path: &str) -> (Vec<String>, Vec<String>) {
    let (mut reader, head) = open(server.addr, path, &[]);
    assert!(head[0].starts_with("HTTP/1.1 200"), "{head:?}");
    let first = next_chunk(&mut reader).expect("a first chunk");
    // Only now does the source produce its second chunk.
    assert_eq!(server.get("/release").text(), "released");
    let mut chunks = vec![first];
    while let Some(chunk) = next_chunk(&mut reader) {
        chunks.push(chunk);
    }
    (head, chunks)
}

#[test]
fn a_streamed_response_reaches_the_client_before_it_is_complete() {
    let server = start();
    let (head, chunks) = first_then_release(&server, "/stream");
    assert_eq!(chunks, ["first;", "second;"]);
    // The worker's stale content-length is dropped: the body is chunked.
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case("transfer-encoding: chunked")),
        "{head:?}"
    );
    assert!(
        !head
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("content-length")),
        "{head:?}"
    );
}

#[test]
fn a_service_binding_passes_a_stream_through_without_buffering_it() {
    let server = start();
    let (_, chunks) = first_then_release(&server, "/via-binding/stream");
    assert_eq!(chunks, ["first;", "second;"]);
    // Through a TransformStream in the caller, still chunk by chunk.
    let (_, chunks) = first_then_release(&server, "/via-transform");
    assert_eq!(chunks, ["FIRST;", "SECOND;"]);
}

#[test]
fn a_compressed_stream_decompresses_to_the_source() {
    let server = start();
    let (mut reader, head) = open(server.addr, "/gzip", &[]);
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case("content-encoding: gzip")),
        "{head:?}"
    );
    // Release from another thread once the first compressed bytes are flushed.
    let mut compressed = Vec::new();
    let first = support::read_chunk(&mut reader).expect("the gzip header and first block");
    compressed.extend(first);
    assert_eq!(server.get("/release").text(), "released");
    while let Some(chunk) = support::read_chunk(&mut reader) {
        compressed.extend(chunk);
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "first;second;");
}

#[test]
fn a_stream_that_fails_midway_cuts_the_connection_and_is_logged() {
    let server = start();
    let (mut reader, _) = open(server.addr, "/via-binding/fail-midway", &[]);
    assert_eq!(next_chunk(&mut reader).as_deref(), Some("first;"));
    assert_eq!(server.get("/release").text(), "released");
    // No terminating chunk: the connection ends, so the client knows the body is incomplete.
    assert_eq!(next_chunk(&mut reader), None);
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(!String::from_utf8_lossy(&rest).contains("0\r\n\r\n"));
    let output = server.wait_for_output("the producer broke");
    assert!(
        output.contains(
            "[streaming-source] error: Uncaught (in response body stream) Error: the producer broke"
        ),
        "{output}"
    );
}

#[test]
fn a_stream_cut_short_by_its_isolate_dying_is_never_sent_as_complete() {
    let server = start();
    let (mut reader, _) = open(server.addr, "/via-binding/spin-midway", &[]);
    assert_eq!(next_chunk(&mut reader).as_deref(), Some("first;"));
    // The producer now spins past its CPU limit; its isolate is discarded mid-body.
    assert_eq!(server.get("/release").text(), "released");
    // The connection closes (no read timeout) without the terminating chunk.
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("the connection is closed, not left hanging");
    assert!(
        !String::from_utf8_lossy(&rest).contains("0\r\n\r\n"),
        "a truncated body must not end with the terminating chunk: {rest:?}"
    );
    let output = server.wait_for_output("CPU");
    assert!(output.contains("[streaming-source]"), "{output}");
    // The worker serves again with a fresh isolate.
    assert_eq!(server.get("/release").text(), "nothing waiting");
}

#[test]
fn aborting_a_fetch_after_its_headers_errors_the_body_still_arriving() {
    let server = start();
    let (upstream, _release) = slow_upstream();
    let origin = format!("http://{upstream}/");
    let response = server.request("GET", "/abort-body", &[("x-upstream", &origin)], b"");
    assert_eq!(
        response.json(),
        serde_json::json!(["up-first;", "AbortError: This operation was aborted"])
    );
}

#[test]
fn a_client_that_goes_away_cancels_the_workers_stream() {
    let server = start();
    let (mut reader, _) = open(server.addr, "/via-binding/endless", &[]);
    assert!(next_chunk(&mut reader).unwrap().starts_with("tick"));
    drop(reader);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let cancelled = server.get("/cancelled").text();
        if cancelled.starts_with("yes") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stream was never cancelled: {cancelled}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An upstream that sends "up-first;" at once and "up-second;" only once `release` fires.
fn slow_upstream() -> (SocketAddr, std::sync::mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rx = std::sync::Mutex::new(rx);
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
            }
            let mut stream = stream;
            // One response per connection, and said so: a client that pooled the connection
            // for its next request would race this thread closing it.
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\nx-upstream: yes\r\n\r\n9\r\nup-first;\r\n",
            );
            let _ = rx.lock().unwrap().recv();
            let _ = stream.write_all(b"a\r\nup-second;\r\n0\r\n\r\n");
        }
    });
    (addr, tx)
}

#[test]
fn a_fetched_body_streams_to_the_client_and_to_javascript() {
    let server = start();
    let (upstream, release) = slow_upstream();
    let origin = format!("http://{upstream}/");
    let (mut reader, head) = open(server.addr, "/from-network", &[("x-upstream", &origin)]);
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case("x-upstream: yes")),
        "{head:?}"
    );
    assert_eq!(next_chunk(&mut reader).as_deref(), Some("up-first;"));
    release.send(()).unwrap();
    assert_eq!(next_chunk(&mut reader).as_deref(), Some("up-second;"));
    assert_eq!(next_chunk(&mut reader), None);

    // Read in JavaScript chunk by chunk: two chunks, not one buffered body.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        release.send(()).unwrap();
    });
    let response = server.request("GET", "/read-network", &[("x-upstream", &origin)], b"");
    releaser.join().unwrap();
    assert_eq!(
        response.json(),
        serde_json::json!(["up-first;", "up-second;"])
    );
}
