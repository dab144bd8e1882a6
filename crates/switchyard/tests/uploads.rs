//! Request bodies as streams: a worker reads an upload as it arrives, passes it to another
//! worker or to the network without buffering it, and sees the server's size and idle limits
//! as errors from its read. Ordering, never durations: the client sends its second piece only
//! after it has the response to the first, so getting that response proves the first piece
//! went through on its own.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::json;
use support::TestServer;

fn start(extra: &[&str]) -> TestServer {
    let mut flags = vec!["--threads", "1"];
    flags.extend_from_slice(extra);
    TestServer::start(&["uploads/gateway.toml", "uploads/svc.toml"], &flags)
}

/// A chunked upload in progress: pieces go out one at a time, the response is read as it comes.
struct Upload {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Upload {
    fn start(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Upload {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head =
            format!("POST {path} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut writer = stream.try_clone().unwrap();
        writer.write_all(head.as_bytes()).unwrap();
        Upload {
            writer,
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, piece: &[u8]) {
        self.try_send(piece).unwrap();
    }

    /// For a server that may already have answered and closed the connection.
    fn try_send(&mut self, piece: &[u8]) -> std::io::Result<()> {
        self.writer
            .write_all(format!("{:x}\r\n", piece.len()).as_bytes())?;
        self.writer.write_all(piece)?;
        self.writer.write_all(b"\r\n")
    }

    fn finish(&mut self) {
        self.writer.write_all(b"0\r\n\r\n").unwrap();
    }

    /// The response's status line and headers.
    fn head(&mut self) -> Vec<String> {
        support::read_head(&mut self.reader)
    }

    /// The whole response body after `head`: by Content-Length, or every chunk.
    fn body(&mut self, head: &[String]) -> String {
        let length = head.iter().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        });
        match length {
            Some(length) => {
                let mut data = vec![0; length];
                self.reader.read_exact(&mut data).unwrap();
                String::from_utf8(data).unwrap()
            }
            None => {
                let mut text = String::new();
                while let Some(chunk) = self.next_chunk() {
                    text.push_str(&chunk);
                }
                text
            }
        }
    }

    /// The next chunk of the chunked response (`None` at its end).
    fn next_chunk(&mut self) -> Option<String> {
        support::read_chunk(&mut self.reader).map(|chunk| String::from_utf8(chunk).unwrap())
    }
}

#[test]
fn a_worker_reads_an_upload_as_it_arrives() {
    let server = start(&[]);
    let mut upload = Upload::start(server.addr, "/upper", &[]);
    upload.send(b"one;");
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 200"), "{head:?}");
    assert_eq!(upload.next_chunk().as_deref(), Some("ONE;"));
    upload.send(b"two;");
    assert_eq!(upload.next_chunk().as_deref(), Some("TWO;"));
    upload.finish();
    assert_eq!(upload.next_chunk(), None);
}

#[test]
fn a_byob_reader_reads_an_upload_into_the_workers_buffers() {
    let server = start(&[]);
    let mut upload = Upload::start(server.addr, "/byob", &[]);
    upload.send(b"abcdefgh");
    upload.send(b"ij");
    upload.finish();
    let head = upload.head();
    let text = upload.body(&head);
    let reads: Vec<String> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {head:?} {text}"));
    // Each read fills at most the worker's 5-byte buffer (how the pieces were framed in
    // transit may differ).
    assert_eq!(reads.concat(), "abcdefghij");
    assert!(
        reads.iter().all(|r| (1..=5).contains(&r.len())),
        "{reads:?}"
    );
}

#[test]
fn an_upload_with_a_content_length_over_64_kib_streams_too() {
    let server = start(&[]);
    let stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    writer
        .write_all(b"POST /upper HTTP/1.1\r\nhost: test\r\ncontent-length: 100000\r\n\r\none;")
        .unwrap();
    let mut upload = Upload {
        writer,
        reader: BufReader::new(stream),
    };
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 200"), "{head:?}");
    // The response to the first four bytes, while 99,996 are still to come.
    assert_eq!(upload.next_chunk().as_deref(), Some("ONE;"));
    upload.writer.write_all(&[b'z'; 99_996]).unwrap();
    let mut rest = String::new();
    while let Some(chunk) = upload.next_chunk() {
        rest.push_str(&chunk);
    }
    assert_eq!(rest, "Z".repeat(99_996));
}

#[test]
fn an_upload_nobody_reads_ends_with_the_response() {
    let server = start(&[]);
    // Never read, never finished by the client: the response still completes and the
    // connection is closed rather than left waiting for the rest of the body.
    let mut upload = Upload::start(server.addr, "/ignore", &[]);
    let _ = upload.try_send(b"never read");
    let head = upload.head();
    assert_eq!(upload.body(&head), "ignored");
    let mut rest = Vec::new();
    upload
        .reader
        .read_to_end(&mut rest)
        .expect("the connection is closed, not left waiting");
    // Read after the response: fails with Cloudflare's message, instead of waiting forever.
    let mut upload = Upload::start(server.addr, "/late-read", &[]);
    let _ = upload.try_send(b"too late");
    let head = upload.head();
    assert_eq!(upload.body(&head), "early");
    let output = server.wait_for_output("late read:");
    assert!(
        output.contains(
            "late read: TypeError: Can't read from request stream after response has been sent."
        ),
        "{output}"
    );
}

#[test]
fn a_long_upload_the_worker_reads_is_not_cut_off_by_the_request_timeout() {
    let server = start(&["--request-timeout", "2"]);
    let mut upload = Upload::start(server.addr, "/count", &[]);
    // 3 s of upload, one part every half second, against a 2 s request timeout: the clock
    // counts from the last part the worker read.
    for _ in 0..6 {
        upload.send(&[1; 10]);
        std::thread::sleep(Duration::from_millis(500));
    }
    upload.finish();
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 200"), "{head:?}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&upload.body(&head)).unwrap(),
        json!({"length": 60, "sum": 60})
    );
}

#[test]
fn an_upload_passes_through_a_service_binding_as_it_arrives() {
    let server = start(&[]);
    for (path, first, second) in [
        ("/via-binding", "[ONE;]", "[TWO;]"),
        // A stream the gateway makes from the upload, as the other worker's request body.
        ("/via-binding-transformed", "[ONE;]", "[TWO;]"),
    ] {
        let mut upload = Upload::start(server.addr, path, &[]);
        upload.send(b"one;");
        let head = upload.head();
        assert!(head[0].starts_with("HTTP/1.1 200"), "{path}: {head:?}");
        assert_eq!(upload.next_chunk().as_deref(), Some(first), "{path}");
        upload.send(b"two;");
        assert_eq!(upload.next_chunk().as_deref(), Some(second), "{path}");
        upload.finish();
        assert_eq!(upload.next_chunk(), None, "{path}");
    }
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |sum, &b| (sum + u64::from(b)) % 65521)
}

#[test]
fn uploads_of_every_size_and_framing_arrive_whole() {
    let server = start(&[]);
    // Small (read before the worker runs), large (streamed), and chunked of unknown length.
    for size in [10, 64 * 1024, 64 * 1024 + 1, 5_000_000] {
        let body: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        let response = server.request("POST", "/count", &[], &body);
        assert_eq!(
            response.json(),
            json!({"length": size, "sum": checksum(&body)}),
            "{size} bytes"
        );
    }
    let mut upload = Upload::start(server.addr, "/count", &[]);
    let pieces: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i + 1; 100_000]).collect();
    for piece in &pieces {
        upload.send(piece);
    }
    upload.finish();
    let head = upload.head();
    let text = upload.body(&head);
    let all = pieces.concat();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        json!({"length": all.len(), "sum": checksum(&all)})
    );
}

#[test]
fn uploads_past_the_servers_limits_fail_the_workers_read_with_the_reason() {
    let server = start(&["--max-body-size", "100000", "--body-timeout", "0.5"]);
    // Too large, with no Content-Length to refuse it up front.
    let mut upload = Upload::start(server.addr, "/read-error", &[]);
    for _ in 0..3 {
        // The server may answer (and close) before the last part.
        let _ = upload.try_send(&[b'x'; 40_000]);
    }
    let _ = upload.writer.write_all(b"0\r\n\r\n");
    let head = upload.head();
    let text = upload.body(&head);
    assert!(
        text.starts_with("TypeError:")
            && text.contains("larger than the server's limit of 100000 bytes (--max-body-size)"),
        "{text}"
    );
    // A client that stops sending midway.
    let mut upload = Upload::start(server.addr, "/read-error", &[]);
    upload.send(b"a start");
    let head = upload.head();
    let text = upload.body(&head);
    assert!(
        text.starts_with("TypeError:")
            && text.contains("sent no part of the request body for 0.5 s (--body-timeout)"),
        "{text}"
    );
    // Announced too large: refused before any worker runs, as before.
    let response = server.request("POST", "/count", &[], &[b'x'; 100_001]);
    assert_eq!(response.status, 413);
    // A worker that does not catch the failed read: the client gets the limit's status.
    let mut upload = Upload::start(server.addr, "/count", &[]);
    for _ in 0..3 {
        // The server may answer (and close) before the last part.
        let _ = upload.try_send(&[b'x'; 40_000]);
    }
    let _ = upload.writer.write_all(b"0\r\n\r\n");
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 413"), "{head:?}");
    let mut upload = Upload::start(server.addr, "/count", &[]);
    upload.send(b"a start");
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 408"), "{head:?}");
    // The limits hold for an upload passed straight on to the network, unread by the worker.
    let origin = format!("http://{}", upstream());
    let mut upload = Upload::start(server.addr, "/to-network", &[("x-upstream", &origin)]);
    for _ in 0..3 {
        // The server may answer (and close) before the last part.
        let _ = upload.try_send(&[b'x'; 40_000]);
    }
    let _ = upload.writer.write_all(b"0\r\n\r\n");
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 413"), "{head:?}");
}

/// An HTTP/1.1 upstream that reads a request body (chunked or by length) and answers `/echo`
/// with what it received, and `/redirect-307` with a redirect to `/echo`.
fn upstream() -> SocketAddr {
    support::upstream(serve)
}

fn serve(stream: TcpStream, _: SocketAddr) -> std::io::Result<()> {
    let received = support::read_request(&mut BufReader::new(stream.try_clone()?))?;
    let mut stream = stream;
    let (status, extra, text) = match received.path() {
        "/redirect-307" => (
            "307 Temporary Redirect",
            "location: /echo\r\n",
            String::new(),
        ),
        _ => (
            "200 OK",
            "content-type: application/json\r\n",
            json!({
                "te": received.header("transfer-encoding"),
                "cl": received.header("content-length"),
                "body": String::from_utf8_lossy(&received.body),
            })
            .to_string(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        text.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(text.as_bytes())
}

#[test]
fn uploads_and_worker_made_streams_go_to_the_network_chunked() {
    let server = start(&[]);
    let origin = format!("http://{}", upstream());
    let mut upload = Upload::start(server.addr, "/to-network", &[("x-upstream", &origin)]);
    upload.send(b"one;");
    upload.send(b"two;");
    upload.finish();
    let head = upload.head();
    assert!(head[0].starts_with("HTTP/1.1 200"), "{head:?}");
    let text = upload.body(&head);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        json!({"te": "chunked", "cl": null, "body": "one;two;"})
    );

    let response = server.request(
        "GET",
        "/generated-to-network",
        &[("x-upstream", &origin)],
        b"",
    );
    assert_eq!(
        response.json(),
        json!({"te": "chunked", "cl": null, "body": "part0;part1;part2;"})
    );
}

#[test]
fn a_redirect_that_must_resend_a_stream_body_fails_and_bytes_are_resent() {
    let server = start(&[]);
    let origin = format!("http://{}", upstream());
    let response = server.request("GET", "/stream-redirect", &[("x-upstream", &origin)], b"");
    let value = response.json();
    let error = value[0].as_str().unwrap_or_default();
    assert!(
        error.starts_with("TypeError: fetch to http://")
            && error.contains("was redirected (status 307)")
            && error.contains("cannot be sent again"),
        "{value}"
    );
    assert_eq!(value[1], "again");
}
