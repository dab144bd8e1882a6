//! fetch() to the network, against a local upstream server started by the test: redirects in
//! every mode, method and header rewriting on redirect, AbortSignal, the subrequest limit and
//! network errors.

mod support;

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use serde_json::json;
use support::TestServer;

/// A small HTTP/1.1 server on 127.0.0.1:0, one thread per connection, `Connection: close`.
fn upstream() -> SocketAddr {
    support::upstream(serve)
}

fn serve(stream: TcpStream, addr: SocketAddr) -> std::io::Result<()> {
    let received = support::read_request(&mut BufReader::new(stream.try_clone()?))?;
    let body = String::from_utf8_lossy(&received.body).into_owned();
    let path = received.path().to_owned();
    let (method, target, headers) = (&received.method, &received.target, &received.headers);
    let mut stream = stream;
    let mut respond = |status: &str, extra: &str, body: &str| {
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())
    };
    match path.as_str() {
        "/text" => respond(
            "200 OK",
            &format!(
                "content-type: text/plain\r\nx-saw-from: {}\r\n",
                headers.get("x-from").and_then(|v| v.as_str()).unwrap_or("")
            ),
            "hello from upstream",
        ),
        "/echo" | "/temporary-target" => {
            let echo = json!({"method": method, "path": target, "headers": headers, "body": body});
            respond(
                "200 OK",
                "content-type: application/json\r\n",
                &echo.to_string(),
            )
        }
        "/loop" => respond("302 Found", "location: /loop\r\n", ""),
        "/no-content" => respond("204 No Content", "", ""),
        "/see-other" => respond("303 See Other", "location: /echo\r\n", ""),
        "/temporary" => respond(
            "307 Temporary Redirect",
            "location: /temporary-target\r\n",
            "",
        ),
        "/cross" => respond(
            "302 Found",
            &format!("location: http://localhost:{}/echo\r\n", addr.port()),
            "",
        ),
        "/redirect-to-echo" => respond("301 Moved Permanently", "location: /echo\r\n", ""),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            respond("200 OK", "", "finally")
        }
        other => match other
            .strip_prefix("/redirect/")
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(0) => respond("200 OK", "", "landed"),
            Some(n) => respond(
                "302 Found",
                &format!("location: /redirect/{}\r\n", n - 1),
                "",
            ),
            None => respond("404 Not Found", "", "no such path"),
        },
    }
}

fn get(server: &TestServer, path: &str, upstream: SocketAddr) -> support::HttpResponse {
    let origin = format!("http://{upstream}");
    server.request("GET", path, &[("x-upstream", &origin)], b"")
}

fn start() -> (TestServer, SocketAddr) {
    let server = TestServer::start(&["outbound/wrangler.toml"], &["--threads", "1"]);
    (server, upstream())
}

#[test]
fn a_fetch_reaches_the_network_with_the_workers_headers() {
    let (server, up) = start();
    let response = get(&server, "/get", up);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"status": 200, "url": format!("http://{up}/text"), "redirected": false,
               "location": null, "body": "hello from upstream", "type": "text/plain"})
    );
    let response = get(&server, "/parallel", up);
    assert_eq!(
        response.json(),
        json!(["/echo?n=1", "/echo?n=2", "/echo?n=3"])
    );
}

#[test]
fn bodiless_responses_have_a_null_body_and_a_passed_through_one_keeps_its_length() {
    let (server, up) = start();
    assert_eq!(
        get(&server, "/bodiless", up).json(),
        json!([200, null, "19", 204, null])
    );
    // A fetched response returned as it is: sent with its Content-Length, not chunked.
    let response = get(&server, "/passthrough", up);
    assert_eq!(response.text(), "hello from upstream");
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("content-length"),
        Some("19"),
        "{:?}",
        response.headers
    );
    assert_eq!(header("transfer-encoding"), None, "{:?}", response.headers);
}

#[test]
fn redirects_follow_stop_or_fail_as_the_mode_says() {
    let (server, up) = start();
    assert_eq!(
        get(&server, "/redirects", up).json(),
        json!({"status": 200, "url": format!("http://{up}/redirect/0"), "redirected": true,
               "location": null, "body": "landed"})
    );
    assert_eq!(
        get(&server, "/manual", up).json(),
        json!({"status": 302, "url": format!("http://{up}/redirect/1"), "redirected": false,
               "location": "/redirect/0", "body": ""})
    );
    let text = get(&server, "/error-mode", up).text();
    assert!(
        text.starts_with("TypeError: fetch to http://")
            && text.contains("redirect mode is \"error\""),
        "{text}"
    );
    let text = get(&server, "/too-many", up).text();
    assert!(
        text.starts_with("TypeError:") && text.contains("redirected more than 20 times"),
        "{text}"
    );
}

#[test]
fn redirects_rewrite_the_method_and_headers_as_the_fetch_standard_says() {
    let (server, up) = start();
    // 303 after a POST: a GET without the body or its headers.
    let echo = get(&server, "/post-303", up).json();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["body"], "");
    assert!(echo["headers"].get("content-type").is_none(), "{echo}");
    // 307 keeps the method and the body.
    let echo = get(&server, "/post-307", up).json();
    assert_eq!(
        (echo["method"].as_str(), echo["body"].as_str()),
        (Some("POST"), Some("kept"))
    );
    // A redirect to another origin drops Authorization, keeps the rest.
    let echo = get(&server, "/cross-origin", up).json();
    assert!(echo["headers"].get("authorization").is_none(), "{echo}");
    assert_eq!(echo["headers"]["x-kept"], "yes");
    assert_eq!(echo["headers"]["host"], format!("localhost:{}", up.port()));
    // Same origin keeps it.
    let echo = get(&server, "/same-origin-auth", up).json();
    assert_eq!(echo["headers"]["authorization"], "Bearer secret");
    assert_eq!(echo["headers"]["user-agent"], "Cloudflare-Workers");
}

#[test]
fn an_abort_signal_cancels_a_fetch() {
    let (server, up) = start();
    let response = get(&server, "/abort", up);
    assert_eq!(
        response.json(),
        json!([
            "AbortError: This operation was aborted",
            "TimeoutError: The operation was aborted due to timeout",
            "rejected with \"early\""
        ]),
        "an already-aborted signal rejects with its reason, whatever it is"
    );
}

#[test]
fn the_subrequest_limit_refuses_the_fetch_past_it_and_resets_per_request() {
    let (server, up) = start();
    let expect = json!([200, 200, 200, 200, 200, "Too many subrequests."]);
    assert_eq!(get(&server, "/limit", up).json(), expect);
    // A new request gets its own allowance.
    assert_eq!(get(&server, "/limit", up).json(), expect);
    let output = server.wait_for_output("fetch() refused");
    assert!(
        output.contains("[outbound] warn: fetch() refused: the worker made 5 subrequests, its limit ([limits] subrequests = 5)"),
        "{output}"
    );
}

#[test]
fn network_errors_reject_with_type_errors_that_say_what_failed() {
    let (server, up) = start();
    let errors = get(&server, "/errors", up).json();
    let errors: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        errors[0].starts_with(
            "TypeError: Network connection lost: cannot connect to http://127.0.0.1:1/"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("TypeError: fetch cannot load ftp://example.com/file: the \"ftp:\" scheme is not supported"),
        "{errors:?}"
    );
    assert!(
        errors[2].starts_with("TypeError:") && errors[2].contains("not a url"),
        "{errors:?}"
    );
}

/// An HTTPS upstream on 127.0.0.1:0 (HTTP/1.1 and HTTP/2 by ALPN) with a certificate from a CA
/// made for the test; returns its address and the CA's PEM file.
fn https_upstream() -> (SocketAddr, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let ca_file = std::env::temp_dir().join(format!(
        "switchyard-test-ca-{}-{}.pem",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let mut config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        |request: hyper::Request<hyper::body::Incoming>| async move {
                            let text = format!("{:?} {}", request.version(), request.uri().path());
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                http_body_util::Full::new(bytes::Bytes::from(text)),
                            ))
                        },
                    );
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
    });
    (addr, ca_file)
}

#[test]
fn https_upstreams_are_verified_and_speak_http2() {
    let (addr, ca_file) = https_upstream();
    let origin = format!("https://localhost:{}", addr.port());
    let ca = ca_file.display().to_string();
    // Trusted through SWITCHYARD_EXTRA_CA_CERTS: TLS verifies and ALPN picks HTTP/2.
    let server = TestServer::start_with_env(
        &support::workers_dir(),
        &["outbound/wrangler.toml"],
        &["--threads", "1"],
        &[("SWITCHYARD_EXTRA_CA_CERTS", &ca)],
    );
    let response = server.request("GET", "/tls", &[("x-upstream-tls", &origin)], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "200 HTTP/2.0 /version");

    // Without the CA the certificate is refused, and the error says so.
    let server = TestServer::start(&["outbound/wrangler.toml"], &["--threads", "1"]);
    let response = server.request("GET", "/tls", &[("x-upstream-tls", &origin)], b"");
    assert_eq!(response.status, 500);
    let output = server.wait_for_output("Network connection lost");
    assert!(
        output.contains("TypeError: Network connection lost: cannot connect to https://localhost:")
            && output.contains("certificate"),
        "{output}"
    );
}

#[test]
fn a_bad_extra_ca_file_stops_the_server_from_starting() {
    let missing = std::env::temp_dir().join("switchyard-no-such-ca.pem");
    let output = std::process::Command::new(support::binary())
        .args(["dev", "--port", "0", "-c"])
        .arg(support::workers_dir().join("outbound/wrangler.toml"))
        .env("SWITCHYARD_EXTRA_CA_CERTS", &missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("SWITCHYARD_EXTRA_CA_CERTS=") && text.contains("cannot read it"),
        "{text}"
    );
}
