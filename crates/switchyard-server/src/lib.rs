//! Switchyard's HTTP front: thread-per-core listeners that hand each request to the entry worker.
//!
//! Every thread runs a `current_thread` tokio runtime with its own `SO_REUSEPORT` listener on the
//! same address, so the kernel spreads connections across threads and a request never changes
//! thread: the worker isolates it reaches (the entry worker, then any service-binding targets) are
//! that thread's own. Shutdown is graceful: listeners close, in-flight requests finish, then
//! `ctx.waitUntil` work gets a bounded time to settle.
//!
//! It is not the runtime (`switchyard-runtime`) nor the config loader (`switchyard-config`).
//!
//! ```no_run
//! # fn demo(fleet: std::sync::Arc<switchyard_runtime::Fleet>) -> std::io::Result<()> {
//! use switchyard_server::{Server, ServerOptions};
//! let server = Server::start(fleet, ServerOptions::default())?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown();
//! server.wait();
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, ready};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use head_timeout::{Connection, HeadTimeout, WatchedIo};
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use switchyard_runtime::{Fetch, Fleet, HttpRequest, HttpResponse, LocalWorkers, WorkerError};
use switchyard_web::{Body, BodyStream};
use tokio::net::TcpListener;
use tokio::sync::watch;
use upload::{GuardedBody, Refused, Served, Tripped, Upload};

mod head_timeout;
mod upload;

/// The most bytes a request line plus headers may take (Cloudflare: 128 KB of headers in total).
pub const MAX_HEAD_BYTES: usize = 128 * 1024;

/// How to serve. CLI flags fill it in.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub ip: IpAddr,
    /// 0 picks a free port; [`Server::local_addr`] tells which.
    pub port: u16,
    /// Server threads, each with its own listener and isolates.
    pub threads: usize,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_size: u64,
    /// How long shutdown waits for in-flight requests, and then for `waitUntil` work.
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request's line and headers before the connection is
    /// closed (slowloris).
    pub header_timeout: Duration,
    /// How long a client may take to send a request body before it gets 408 and the connection
    /// is closed (a slow upload ties up a connection and a body buffer).
    pub body_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8787,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_body_size: 100 * 1000 * 1000,
            shutdown_grace: Duration::from_secs(30),
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
        }
    }
}

/// A running server. Stop it with [`Server::shutdown`], then [`Server::wait`] for in-flight
/// requests to finish; dropping it also starts a shutdown but does not wait.
pub struct Server {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Bind every thread's listener (so the port is known and errors surface here), then start
    /// the threads.
    pub fn start(fleet: Arc<Fleet>, options: ServerOptions) -> std::io::Result<Server> {
        let threads = options.threads.max(1);
        let wanted = SocketAddr::new(options.ip, options.port);
        // With port 0 the kernel picks a port no listener holds: nothing to probe, and no
        // window in which another process could take it.
        if wanted.port() != 0 {
            claim_port(wanted)?;
        }
        let first = bind(wanted)?;
        let local_addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..threads {
            listeners.push(bind(local_addr)?);
        }
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut handles = Vec::with_capacity(threads);
        for (index, listener) in listeners.into_iter().enumerate() {
            let fleet = fleet.clone();
            let options = options.clone();
            let shutdown_rx = shutdown_rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("switchyard-{index}"))
                .stack_size(8 * 1024 * 1024)
                .spawn(move || serve_thread(listener, fleet, options, shutdown_rx, local_addr))?;
            handles.push(handle);
        }
        Ok(Server {
            local_addr,
            shutdown,
            threads: handles,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stop accepting connections and let in-flight requests finish.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Wait for every thread to finish.
    pub fn wait(self) {
        for handle in self.threads {
            let _ = handle.join();
        }
    }
}

/// Check that `addr` is free. Every thread's listener sets SO_REUSEPORT, which would also let a
/// second `switchyard` bind the same port and silently take half the connections; a plain bind
/// first fails on any listener already there, ours included. (Two processes starting within the
/// same few microseconds could still both pass; there is no portable way to close that window.)
fn claim_port(addr: SocketAddr) -> std::io::Result<()> {
    std::net::TcpListener::bind(addr)
        .map(drop)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket
        .bind(&addr.into())
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    socket.listen(1024)?;
    Ok(socket.into())
}

fn serve_thread(
    listener: std::net::TcpListener,
    fleet: Arc<Fleet>,
    options: ServerOptions,
    shutdown: watch::Receiver<bool>,
    local_addr: SocketAddr,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("switchyard: cannot start a server thread: {error}");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &runtime,
        accept_loop(listener, fleet, options, shutdown, local_addr),
    );
}

async fn accept_loop(
    listener: std::net::TcpListener,
    fleet: Arc<Fleet>,
    options: ServerOptions,
    mut shutdown: watch::Receiver<bool>,
    local_addr: SocketAddr,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("switchyard: cannot use listener: {error}");
            return;
        }
    };
    let workers = LocalWorkers::new(fleet);
    let graceful = GracefulShutdown::new();
    let context = Rc::new(RequestContext {
        workers: workers.clone(),
        max_body_size: options.max_body_size,
        body_timeout: options.body_timeout,
        local_addr,
    });
    let heads = HeadTimeout::new(options.header_timeout);
    let mut builder = http1::Builder::new();
    builder
        // Kept by `heads` instead (see head_timeout.rs).
        .header_read_timeout(None)
        // A longer request line plus headers gets 431, as Cloudflare limits headers to 128 KB.
        .max_header_size(MAX_HEAD_BYTES);

    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        eprintln!("switchyard: accept failed: {error}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let context = context.clone();
                // Formatted once per connection; each request clones the shared bytes.
                let peer = HeaderValue::from_str(&peer.ip().to_string()).ok();
                let watched = heads.watch();
                let service = {
                    let watched = watched.clone();
                    service_fn(move |request| {
                        watched.busy();
                        Watched {
                            handling: handle(&context, request, peer.clone()),
                            connection: Some(watched.clone()),
                        }
                    })
                };
                let io = WatchedIo::new(TokioIo::new(stream), watched.clone());
                let serving = graceful.watch(builder.serve_connection(io, service));
                tokio::task::spawn_local(async move {
                    // Errors here are the client's (reset, malformed request already answered);
                    // a connection the header timeout closes ends here too.
                    let mut serving = std::pin::pin!(serving);
                    std::future::poll_fn(|cx| watched.poll_serving(serving.as_mut(), cx)).await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let deadline = Instant::now() + options.shutdown_grace;
    let _ = tokio::time::timeout_at(deadline.into(), graceful.shutdown()).await;
    workers.shut_down(deadline).await;
    // Let the isolates' loops observe the close.
    tokio::task::yield_now().await;
    // The process is about to exit: skip tearing the JS heaps down one object at a time.
    std::mem::forget(context);
    std::mem::forget(workers);
}

struct RequestContext {
    workers: Rc<LocalWorkers>,
    max_body_size: u64,
    body_timeout: Duration,
    local_addr: SocketAddr,
}

/// Start handling `request`, whose client is `peer` (as `cf-connecting-ip` gives it). All that
/// comes before the worker's answer runs here, at once, so the future hyper keeps for the
/// request (moved into place for each one) holds only what the answer needs: ~190 bytes, where
/// an async fn holding the request, its parts and the body's collection across its awaits was
/// ~1.3 KB.
fn handle(
    context: &Rc<RequestContext>,
    request: Request<Incoming>,
    peer: Option<HeaderValue>,
) -> Handling {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > context.max_body_size) {
        return Handling::ready(too_large(context.max_body_size), None);
    }
    if hyper::body::Body::is_end_stream(&body) {
        return start(context, parts, Body::empty(), None, peer);
    }
    if declared.is_some_and(|len| len <= upload::COLLECT_UP_TO) {
        // A small body is read before the worker starts.
        let context = context.clone();
        return Handling::Collecting(Box::pin(async move {
            let collected =
                upload::collect(body, context.max_body_size, context.body_timeout).await;
            let response = match collected {
                Ok(bytes) => return start(&context, parts, Body::Bytes(bytes), None, peer).await,
                Err(Refused::TooLarge) => too_large(context.max_body_size),
                Err(Refused::TimedOut) => body_timed_out(&format!(
                    "the request body was not received within {} s",
                    context.body_timeout.as_secs_f64()
                )),
                Err(Refused::Broken) => plain(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: the request body could not be read\n",
                ),
            };
            Ok(served(response, None))
        }));
    }
    // Larger or of unknown length: the worker reads it as it arrives.
    let shared = Upload::new(body);
    let body = Body::Stream(BodyStream::from_http(GuardedBody::new(
        shared.clone(),
        context.max_body_size,
        context.body_timeout,
    )));
    start(context, parts, body, Some(shared), peer)
}

/// Hand the request (its `parts` and `body`, and `upload` if the body streams) to the entry
/// worker.
fn start(
    context: &Rc<RequestContext>,
    parts: http::request::Parts,
    body: Body,
    upload: Option<Arc<Upload>>,
    peer: Option<HeaderValue>,
) -> Handling {
    let Some(url) = request_url(&parts.uri, &parts.headers, context.local_addr) else {
        let response = plain(
            StatusCode::BAD_REQUEST,
            "Bad Request: the Host header or request target is not a valid URL authority\n",
        );
        return Handling::ready(response, upload);
    };
    let mut headers = parts.headers;
    if let Some(ip) = peer {
        // A name made at compile time: from a `&str`, `insert` checks it and copies it into a
        // new allocation on every request (~0.15 µs, 1.5% of a hello request).
        headers.insert(
            const { http::HeaderName::from_static("cf-connecting-ip") },
            ip,
        );
    }
    let is_head = parts.method == http::Method::HEAD;
    let request = HttpRequest {
        method: parts.method,
        url,
        headers,
        body,
    };
    Handling::Answering(Answering {
        fetch: context.workers.fetch_entry(request),
        context: context.clone(),
        upload,
        is_head,
    })
}

/// [`Handling`] on a connection the header timeout watches: its response's body tells the
/// connection when hyper is done with it (see head_timeout.rs).
struct Watched {
    handling: Handling,
    connection: Option<Rc<Connection>>,
}

impl Future for Watched {
    type Output = Result<Response<Served>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Ok(mut response) = ready!(Pin::new(&mut this.handling).poll(cx));
        response.body_mut().watched(this.connection.take());
        Poll::Ready(Ok(response))
    }
}

/// A request being handled (see [`handle`]).
enum Handling {
    /// Answered without the worker (`None` once given to hyper).
    Ready(Option<Response<Served>>),
    Answering(Answering),
    /// Its body being read, before the worker starts.
    Collecting(Pin<Box<dyn Future<Output = Result<Response<Served>, Infallible>>>>),
}

/// The entry worker handling a request.
struct Answering {
    fetch: Fetch,
    context: Rc<RequestContext>,
    /// The streamed upload, ended when the response has been sent.
    upload: Option<Arc<Upload>>,
    is_head: bool,
}

impl Handling {
    fn ready(response: Response<Body>, upload: Option<Arc<Upload>>) -> Handling {
        Handling::Ready(Some(served(response, upload)))
    }
}

impl Future for Handling {
    type Output = Result<Response<Served>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Handling::Ready(response) => Poll::Ready(Ok(response
                .take()
                .expect("a Handling polled after it was ready"))),
            Handling::Collecting(collecting) => collecting.as_mut().poll(cx),
            Handling::Answering(answering) => {
                let result = ready!(Pin::new(&mut answering.fetch).poll(cx));
                Poll::Ready(Ok(answering.response(result)))
            }
        }
    }
}

impl Answering {
    fn response(&mut self, result: Result<HttpResponse, WorkerError>) -> Response<Served> {
        let context = &self.context;
        let tripped = || self.upload.as_ref().and_then(|upload| upload.tripped());
        let response = match result {
            Ok(response) => into_hyper(response, self.is_head),
            // The worker threw after its read of the upload failed on a server limit (and it
            // did not catch that): the client gets the status for the limit, as if the body had
            // been read up front.
            Err(WorkerError::Exception { .. }) if tripped() == Some(Tripped::Size) => {
                too_large(context.max_body_size)
            }
            Err(WorkerError::Exception { .. }) if tripped() == Some(Tripped::Idle) => {
                body_timed_out(&format!(
                    "the client sent no part of the request body for {} s",
                    context.body_timeout.as_secs_f64()
                ))
            }
            Err(error) => error_response(&error),
        };
        served(response, self.upload.take())
    }
}

fn served(response: Response<Body>, upload: Option<Arc<Upload>>) -> Response<Served> {
    response.map(|body| Served::new(body, upload))
}

fn body_timed_out(why: &str) -> Response<Body> {
    let mut response = plain(
        StatusCode::REQUEST_TIMEOUT,
        &format!("Request Timeout: {why}\n"),
    );
    // The rest of the body may still be on its way: this connection cannot be reused.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The URL a worker sees: `http://` + the authority (from an absolute-form target, else the Host
/// header, else the listener's address) + the path and query. `None` when the authority is not a
/// plain `host[:port]`, so a crafted Host cannot change the path (`x/admin?`) or add credentials.
fn request_url(uri: &http::Uri, headers: &http::HeaderMap, local: SocketAddr) -> Option<String> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    if !path.starts_with('/') {
        // `OPTIONS *` and the like: nothing a worker could route on.
        return None;
    }
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes);
    // The usual request: an origin-form target and a plain Host, which needs no `Authority`
    // made of it (what verbatim_url lets through is a valid one as it is).
    if uri.authority().is_none()
        && let Some(url) = host
            .and_then(|host| std::str::from_utf8(host).ok())
            .and_then(|host| verbatim_url(host, path))
    {
        return Some(url);
    }
    let authority = match uri.authority() {
        Some(authority) => authority.clone(),
        None => match host {
            Some(host) => http::uri::Authority::try_from(host).ok()?,
            None => http::uri::Authority::try_from(local.to_string()).ok()?,
        },
    };
    if authority.as_str().contains('@') || authority.as_str().is_empty() {
        return None;
    }
    if let Some(url) = verbatim_url(authority.as_str(), path) {
        return Some(url);
    }
    // Parsed the WHATWG way here, once: what fails would only fail in the worker, and the
    // serialization is the `request.url` the worker sees.
    url::Url::parse(&format!("http://{authority}{path}"))
        .ok()
        .map(String::from)
}

/// `http://{authority}{path}` when the WHATWG parser would give back exactly that, known
/// without running it; `None` sends the URL to the parser.
///
/// Parsing costs about 1 µs a request, most of it IDNA on the host, which is 5–6% of a hello
/// request. The shapes let through here are what clients send nearly always: a lowercase
/// ASCII name or a dotted-quad address, a port other than 80 written without leading zeros, and
/// a path and query with no character the parser would percent-encode or reinterpret
/// (`\`, dot segments). Anything else, however valid, takes the parser.
fn verbatim_url(authority: &str, path: &str) -> Option<String> {
    // Byte scans rather than `split_once`: these strings are short, and this runs per request.
    let (host, port) = match authority.bytes().position(|b| b == b':') {
        Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
        None => (authority, None),
    };
    if !verbatim_host(host) {
        return None;
    }
    if let Some(port) = port {
        let canonical =
            !port.starts_with('0') && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !canonical || port.parse::<u16>().ok()? == 80 {
            return None;
        }
    }
    if !verbatim_target(path.as_bytes()) {
        return None;
    }
    let mut url = String::with_capacity("http://".len() + authority.len() + path.len());
    url.push_str("http://");
    url.push_str(authority);
    url.push_str(path);
    Some(url)
}

/// A path and query the parser leaves as they are: verbatim bytes only, and in the path no dot
/// segment (`.`, `..`) and no `%2e`, which it would read as one.
fn verbatim_target(target: &[u8]) -> bool {
    let is_dots = |segment: &[u8]| segment == b"." || segment == b"..";
    let mut segment = 0;
    for (i, &byte) in target.iter().enumerate() {
        match byte {
            b'/' | b'?' => {
                if is_dots(&target[segment..i]) {
                    return false;
                }
                if byte == b'?' {
                    return target[i + 1..]
                        .iter()
                        .all(|&b| b == b'?' || verbatim_byte(b));
                }
                segment = i + 1;
            }
            b'%' if target
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.eq_ignore_ascii_case(b"2e")) =>
            {
                return false;
            }
            _ if !verbatim_byte(byte) => return false,
            _ => {}
        }
    }
    !is_dots(&target[segment..])
}

/// A host the WHATWG host parser returns unchanged: lowercase ASCII labels (no punycode, which
/// IDNA validates; none empty), or four decimal octets without leading zeros. A last label that
/// starts with a digit makes the parser read the host as IPv4, so that is the only form it may
/// take (std's parser takes exactly that form).
fn verbatim_host(host: &str) -> bool {
    let bytes = host.as_bytes();
    let last = bytes
        .iter()
        .rposition(|&b| b == b'.')
        .map_or(0, |dot| dot + 1);
    if bytes.get(last).is_some_and(u8::is_ascii_digit) {
        return is_dotted_quad(bytes);
    }
    let mut label_start = true;
    for (i, &byte) in bytes.iter().enumerate() {
        if label_start && (byte == b'.' || bytes[i..].starts_with(b"xn--")) {
            return false;
        }
        label_start = byte == b'.';
        if !(byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'.') {
            return false;
        }
    }
    // An empty host, or an empty last label.
    !label_start
}

/// Four decimal octets (0–255) without leading zeros: what `Ipv4Addr`'s parser takes, in one
/// pass (its parser was 1.5% of a hello request's user time with a `127.0.0.1` Host).
fn is_dotted_quad(bytes: &[u8]) -> bool {
    let mut octets = 0;
    for octet in bytes.split(|&b| b == b'.') {
        octets += 1;
        let value = match octet {
            [d] if d.is_ascii_digit() => u32::from(d - b'0'),
            [b'1'..=b'9', rest @ ..] if rest.len() <= 2 && rest.iter().all(u8::is_ascii_digit) => {
                octet.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
            }
            _ => return false,
        };
        if value > 255 || octets > 4 {
            return false;
        }
    }
    octets == 4
}

/// A byte the URL parser copies as it is into a path or query: printable ASCII apart from those
/// it percent-encodes in either (`"`, `#`, `<`, `>`, `` ` ``, `{`, `}`, `'`), `\`, which it reads
/// as `/` in a path, and a few more it may encode in some version of the standard.
fn verbatim_byte(byte: u8) -> bool {
    matches!(byte, b'!'..=b'~')
        && !matches!(
            byte,
            b'"' | b'#'
                | b'<'
                | b'>'
                | b'`'
                | b'{'
                | b'}'
                | b'\''
                | b'\\'
                | b'^'
                | b'|'
                | b'['
                | b']'
                | b'?'
        )
}

fn into_hyper(response: HttpResponse, is_head: bool) -> Response<Body> {
    // A HEAD response carries no body; whatever the worker returned is not sent (a stream is
    // dropped, which cancels it).
    let body = match response.body {
        _ if is_head => Body::empty(),
        body => body,
    };
    let mut out = Response::new(body);
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    // hyper frames the body from its real length; a stale Content-Length or Transfer-Encoding
    // set by the worker (copied from another response, or counting characters, not bytes) would
    // corrupt the connection. Cloudflare recomputes them too.
    // A HEAD response has no body to measure, so there the worker's Content-Length is the
    // only one the client can get.
    // One pass over the names instead of two hashed removals that nearly always find nothing.
    let stale = |name: &header::HeaderName| {
        (name == header::CONTENT_LENGTH && !is_head) || name == header::TRANSFER_ENCODING
    };
    if out.headers().keys().any(stale) {
        if !is_head {
            out.headers_mut().remove(header::CONTENT_LENGTH);
        }
        out.headers_mut().remove(header::TRANSFER_ENCODING);
    }
    out
}

/// What a client sees when a worker fails. Details go to the server's log, not to the client.
fn error_response(error: &WorkerError) -> Response<Body> {
    let body = match error {
        WorkerError::Exception { .. } | WorkerError::NeverResponded { .. } => {
            "Error 1101: Worker threw exception\n".to_owned()
        }
        WorkerError::LimitExceeded { .. } => {
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "Error 1102: Worker exceeded resource limits\n",
            );
        }
        WorkerError::TimedOut { after, .. } => {
            format!(
                "Error: the worker did not respond within {} s\n",
                after.as_secs_f64()
            )
        }
        WorkerError::Unavailable { .. } | WorkerError::Internal(_) | WorkerError::Fetch(_) => {
            eprintln!("switchyard: {error}");
            "Error: internal server error\n".to_owned()
        }
    };
    plain(StatusCode::INTERNAL_SERVER_ERROR, &body)
}

fn too_large(limit: u64) -> Response<Body> {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Payload Too Large: request bodies are limited to {limit} bytes\n"),
    )
}

fn plain(status: StatusCode, body: &str) -> Response<Body> {
    let mut response = Response::new(Body::Bytes(Bytes::copy_from_slice(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_for(target: &str, host: Option<&str>) -> Option<String> {
        let uri: http::Uri = target.parse().ok()?;
        let mut headers = http::HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).ok()?);
        }
        request_url(&uri, &headers, "127.0.0.1:8787".parse().unwrap())
    }

    #[test]
    fn request_urls_come_from_a_valid_authority_only() {
        assert_eq!(
            url_for("/a?b=1", Some("example.com:8080")).as_deref(),
            Some("http://example.com:8080/a?b=1")
        );
        assert_eq!(
            url_for("/a", None).as_deref(),
            Some("http://127.0.0.1:8787/a")
        );
        // Serialized as the worker's `request.url` shows it: host lowercased, default port
        // dropped, dot segments resolved.
        assert_eq!(
            url_for("/a/../b%7e?q", Some("EXAMPLE.com:80")).as_deref(),
            Some("http://example.com/b%7e?q")
        );
        // Absolute-form targets override Host (RFC 9112 section 3.2.2).
        assert_eq!(
            url_for("http://other.test/p", Some("ignored.test")).as_deref(),
            Some("http://other.test/p")
        );
        assert_eq!(url_for("/public", Some("x/admin?")), None);
        assert_eq!(url_for("/public", Some("user@host")), None);
        assert_eq!(url_for("/public", Some("host:99999")), None);
        assert_eq!(url_for("*", Some("host")), None);
    }

    /// The shortcut may only ever agree with the parser: wherever it answers, its answer is the
    /// parser's. The table holds the shapes clients send and the parser's corner cases.
    #[test]
    fn verbatim_urls_are_what_the_parser_gives() {
        let authorities = [
            "example.com",
            "example.com:8080",
            "127.0.0.1:9200",
            "localhost",
            "a-b.c-d.test:443",
            "EXAMPLE.com",
            "example.com:80",
            "example.com:080",
            "example.com:08080",
            "example.com:",
            "example.com:65536",
            "example.com.",
            "a..b",
            ".a",
            "xn--nxasmq6b.test",
            "xn--a.test",
            "127.1",
            "127.0.0.01",
            "127.0.0.256",
            "0x7f.0.0.1",
            "1.2.3.4.5",
            "a.0x1f",
            "a.1e5",
            "1.example.com",
            "-a-.b--c",
            "[::1]:8787",
            "ex%61mple.com",
            "exa_mple.com",
            "0.0.0.0",
            "255.255.255.255:65535",
            "ab--c.test",
            "127.0.0.1.example",
            "example.123",
            "1.2.3",
            "1..2.3",
            "01.2.3.4",
            "256.0.0.1",
            "1.2.3.1000",
            "10.0.0.00",
            "192.168.199.255",
            "1.2.3.4.",
        ];
        let paths = [
            "/",
            "/a/b?c=d&e=f",
            "/api/users/42",
            "/a?b?c",
            "/a/./b",
            "/a/../b",
            "/a/%2e/b",
            "/a/%2E%2e/b",
            "/a/.%2e",
            "/a.b/..c/.d",
            "/%20a%7e",
            "/%zz",
            "/a b",
            "/a\\b",
            "/a|b^c",
            "/a`{}",
            "/?q='x'",
            "/?q=\"x\"",
            "/?q=<x>",
            "/?q=%27",
            "/a;b=c,d@e:f!$&()*+~",
            "/é",
            "/a\tb",
            "/?",
            "//host/x",
            "/\\host/x",
            "/a/..?q",
            "/.?q",
            "/a/.",
            "/a?./../%2e",
            "/a%2",
            "/a%",
        ];
        let mut shortcuts = 0;
        for authority in authorities {
            for path in paths {
                let Some(fast) = verbatim_url(authority, path) else {
                    continue;
                };
                shortcuts += 1;
                let parsed = url::Url::parse(&format!("http://{authority}{path}"))
                    .map(String::from)
                    .ok();
                assert_eq!(Some(&fast), parsed.as_ref(), "{authority} {path}");
            }
        }
        // The common shapes do take the shortcut.
        for (authority, path) in [
            ("example.com", "/"),
            ("127.0.0.1:9200", "/a/b?c=d&e=f"),
            ("localhost:8787", "/api/users/42?x=%20"),
            ("a-b.c-d.test:443", "/a.b/..c/.d"),
        ] {
            assert!(
                verbatim_url(authority, path).is_some(),
                "{authority} {path}"
            );
        }
        assert!(shortcuts > 40, "{shortcuts}");
    }
}
