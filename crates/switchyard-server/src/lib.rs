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
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use switchyard_runtime::{Fleet, HttpRequest, HttpResponse, LocalWorkers, WorkerError};
use switchyard_web::{Body, BodyError, BodyStream};
use tokio::net::TcpListener;
use tokio::sync::watch;

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
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
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
                let service = service_fn(move |request| handle(context.clone(), request, peer));
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::task::spawn_local(async move {
                    // Errors here are the client's (reset, malformed request already answered).
                    let _ = connection.await;
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

async fn handle(
    context: Rc<RequestContext>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > context.max_body_size) {
        return Ok(too_large(context.max_body_size));
    }
    let tripped = Arc::new(AtomicU8::new(TRIPPED_NONE));
    let body = if hyper::body::Body::is_end_stream(&body) {
        Body::empty()
    } else if declared.is_some_and(|len| len <= COLLECT_UP_TO) {
        match collect_body(&context, body).await {
            Ok(bytes) => Body::Bytes(bytes),
            Err(response) => return Ok(response),
        }
    } else {
        // Larger or of unknown length: the worker reads it as it arrives.
        Body::Stream(BodyStream::from_http(GuardedBody {
            inner: body,
            declared,
            received: 0,
            max: context.max_body_size,
            idle: context.body_timeout,
            deadline: Box::pin(tokio::time::sleep(context.body_timeout)),
            tripped: tripped.clone(),
        }))
    };

    let Some(url) = request_url(&parts.uri, &parts.headers, context.local_addr) else {
        return Ok(plain(
            StatusCode::BAD_REQUEST,
            "Bad Request: the Host header or request target is not a valid URL authority\n",
        ));
    };
    let mut headers = parts.headers;
    if let Ok(ip) = HeaderValue::from_str(&peer.ip().to_string()) {
        headers.insert("cf-connecting-ip", ip);
    }
    let is_head = parts.method == http::Method::HEAD;
    let request = HttpRequest {
        method: parts.method,
        url,
        headers,
        body,
    };
    let response = match context.workers.fetch_entry(request).await {
        Ok(response) => into_hyper(response, is_head),
        // The worker failed after its read of the upload failed on a server limit (and it did
        // not catch that): the client gets the status for the limit, as if the body had been
        // read up front.
        Err(_) if tripped.load(Ordering::Relaxed) == TRIPPED_SIZE => {
            too_large(context.max_body_size)
        }
        Err(_) if tripped.load(Ordering::Relaxed) == TRIPPED_IDLE => {
            body_timed_out(context.body_timeout)
        }
        Err(error) => error_response(&error),
    };
    Ok(response)
}

/// Request bodies announced (by Content-Length) at this size or smaller are read whole before
/// the worker runs: one `Bytes`, no stream machinery, and a slow client gets a 408 before any
/// worker is involved. Larger ones, and those of unknown length, stream.
const COLLECT_UP_TO: u64 = 64 * 1024;

/// Reads a small body whole, or answers for it: 413 over the size limit, 408 (and the
/// connection closed) past the body timeout, 400 if it breaks off.
async fn collect_body(context: &RequestContext, body: Incoming) -> Result<Bytes, Response<Body>> {
    let collecting = Limited::new(body, context.max_body_size as usize).collect();
    let Ok(collected) = tokio::time::timeout(context.body_timeout, collecting).await else {
        return Err(body_timed_out(context.body_timeout));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(too_large(context.max_body_size))
        }
        Err(_) => Err(plain(
            StatusCode::BAD_REQUEST,
            "Bad Request: the request body could not be read\n",
        )),
    }
}

fn body_timed_out(limit: Duration) -> Response<Body> {
    let mut response = plain(
        StatusCode::REQUEST_TIMEOUT,
        &format!(
            "Request Timeout: the request body was not received within {} s\n",
            limit.as_secs_f64()
        ),
    );
    // The rest of the body may still be on its way: this connection cannot be reused.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Which server limit a streamed upload ran into, if any.
const TRIPPED_NONE: u8 = 0;
const TRIPPED_SIZE: u8 = 1;
const TRIPPED_IDLE: u8 = 2;

/// A streamed request body with the server's limits applied as it arrives: past
/// `--max-body-size` bytes, or `--body-timeout` without a byte, the worker's read fails with
/// an error saying which, and `tripped` records it for the status if the worker then fails.
/// The client's connection is closed with the request.
struct GuardedBody {
    inner: Incoming,
    /// Content-Length, which hyper itself enforces; kept for the size hint.
    declared: Option<u64>,
    received: u64,
    max: u64,
    idle: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    tripped: Arc<AtomicU8>,
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BodyError>>> {
        use std::task::Poll;
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if this.received > this.max {
                        this.tripped.store(TRIPPED_SIZE, Ordering::Relaxed);
                        return Poll::Ready(Some(Err(format!(
                            "the request body is larger than the server's limit of {} bytes \
                             (--max-body-size)",
                            this.max
                        ))));
                    }
                }
                let next = tokio::time::Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(format!(
                "the request body could not be read: {error}"
            )))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.tripped.store(TRIPPED_IDLE, Ordering::Relaxed);
                    Poll::Ready(Some(Err(format!(
                        "the client sent no part of the request body for {} s (--body-timeout)",
                        this.idle.as_secs_f64()
                    ))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self.declared {
            Some(len) => hyper::body::SizeHint::with_exact(len),
            None => hyper::body::SizeHint::default(),
        }
    }
}

/// The URL a worker sees: `http://` + the authority (from an absolute-form target, else the Host
/// header, else the listener's address) + the path and query. `None` when the authority is not a
/// plain `host[:port]`, so a crafted Host cannot change the path (`x/admin?`) or add credentials.
fn request_url(uri: &http::Uri, headers: &http::HeaderMap, local: SocketAddr) -> Option<String> {
    let authority = match uri.authority() {
        Some(authority) => authority.clone(),
        None => match headers.get(header::HOST) {
            Some(host) => http::uri::Authority::try_from(host.as_bytes()).ok()?,
            None => http::uri::Authority::try_from(local.to_string()).ok()?,
        },
    };
    if authority.as_str().contains('@') || authority.as_str().is_empty() {
        return None;
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    if !path.starts_with('/') {
        // `OPTIONS *` and the like: nothing a worker could route on.
        return None;
    }
    let url = format!("http://{authority}{path}");
    // The worker parses it with the WHATWG parser; refuse here what would only fail there.
    url::Url::parse(&url).ok()?;
    Some(url)
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
    if !is_head {
        out.headers_mut().remove(header::CONTENT_LENGTH);
    }
    out.headers_mut().remove(header::TRANSFER_ENCODING);
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
}
