//! `fetch()` to the outside world: HTTP/1.1 and HTTP/2 (by ALPN) over TCP or TLS (rustls with
//! the webpki roots), with the Fetch Standard's redirect handling.
//!
//! One client per server thread (connections are pooled per thread, like isolates). Response
//! bodies stream: the worker reads them as they arrive, or passes them on untouched.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use switchyard_web::{Body, BodyStream, HttpRequest, HttpResponse};

/// The Fetch Standard's limit on redirects followed by one fetch.
const MAX_REDIRECTS: usize = 20;

/// `request.redirect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectMode {
    Follow,
    Manual,
    Error,
}

impl RedirectMode {
    pub fn parse(mode: &str) -> RedirectMode {
        match mode {
            "manual" => RedirectMode::Manual,
            "error" => RedirectMode::Error,
            _ => RedirectMode::Follow,
        }
    }
}

/// A response from the network, with the URL it finally came from.
#[derive(Debug)]
pub struct Fetched {
    pub response: HttpResponse,
    pub url: String,
    pub redirected: bool,
}

/// An HTTP client for one thread.
pub struct Outbound {
    client: Client<HttpsConnector<HttpConnector>, Body>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbound")
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound::new()
    }
}

/// The environment variable naming a PEM file of extra trusted CA certificates, as Node's
/// `NODE_EXTRA_CA_CERTS`: for a corporate proxy's CA, or a local test server.
pub const EXTRA_CA_CERTS: &str = "SWITCHYARD_EXTRA_CA_CERTS";

/// The TLS client configuration: the webpki roots (Mozilla's list, built in, so no system store
/// is needed) plus the certificates in [`EXTRA_CA_CERTS`]. Read once per process.
pub fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            if let Some(path) = std::env::var_os(EXTRA_CA_CERTS).filter(|p| !p.is_empty()) {
                let shown = std::path::Path::new(&path).display().to_string();
                let certs = CertificateDer::pem_file_iter(&path)
                    .map_err(|e| format!("{EXTRA_CA_CERTS}={shown}: cannot read it: {e}"))?;
                let mut added = 0;
                for cert in certs {
                    let cert = cert.map_err(|e| {
                        format!("{EXTRA_CA_CERTS}={shown}: not a PEM certificate file: {e}")
                    })?;
                    roots.add(cert).map_err(|e| {
                        format!("{EXTRA_CA_CERTS}={shown}: a certificate was refused: {e}")
                    })?;
                    added += 1;
                }
                if added == 0 {
                    return Err(format!(
                        "{EXTRA_CA_CERTS}={shown}: no certificates in it (expected PEM blocks \
                         starting with -----BEGIN CERTIFICATE-----)"
                    ));
                }
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

impl Outbound {
    pub fn new() -> Outbound {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(30)));
        http.set_nodelay(true);
        // Checked at start-up (`switchyard dev` refuses a bad extra CA file), so an error here
        // can only mean that check was skipped: fall back to the built-in roots.
        let builder = match tls_config() {
            Ok(tls) => hyper_rustls::HttpsConnectorBuilder::new().with_tls_config((*tls).clone()),
            Err(_) => hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots(),
        };
        let connector = builder
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Outbound { client }
    }

    /// Fetch `request`, following redirects as `redirect` says. Errors are the messages of the
    /// TypeError `fetch()` rejects with.
    pub async fn fetch(
        &self,
        mut request: HttpRequest,
        redirect: RedirectMode,
    ) -> Result<Fetched, String> {
        let mut url = parse_url(&request.url)?;
        let mut redirected = false;
        // Bytes can be sent again after a redirect; a stream only once (`None` once sent).
        let mut body = Some(std::mem::take(&mut request.body));
        for _ in 0..=MAX_REDIRECTS {
            let outgoing = match &mut body {
                Some(Body::Bytes(bytes)) => Body::Bytes(bytes.clone()),
                stream => stream.take().unwrap_or_default(),
            };
            let response = self.send(&request, outgoing, &url).await?;
            let location = response
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok());
            let is_redirect = matches!(response.status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let (true, Some(location)) = (is_redirect, location) else {
                return Ok(Fetched {
                    response,
                    url: url.to_string(),
                    redirected,
                });
            };
            match redirect {
                RedirectMode::Manual => {
                    return Ok(Fetched {
                        response,
                        url: url.to_string(),
                        redirected,
                    });
                }
                RedirectMode::Error => {
                    return Err(format!(
                        "fetch to {url} was redirected (status {}) and its redirect mode is \"error\"",
                        response.status.as_u16()
                    ));
                }
                RedirectMode::Follow => {}
            }
            let next = url.join(location).map_err(|_| {
                format!("fetch to {url} was redirected to an invalid URL: {location}")
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(format!(
                    "fetch to {url} was redirected to {next}, which is not an http(s) URL"
                ));
            }
            let status = response.status;
            // The Fetch Standard's HTTP-redirect fetch: 303 (for anything but HEAD), and 301/302
            // for POST, turn into a GET without a body.
            if (status == StatusCode::SEE_OTHER && request.method != Method::HEAD)
                || (matches!(status.as_u16(), 301 | 302) && request.method == Method::POST)
            {
                request.method = Method::GET;
                body = Some(Body::empty());
                for name in [
                    header::CONTENT_ENCODING,
                    header::CONTENT_LANGUAGE,
                    header::CONTENT_LOCATION,
                    header::CONTENT_TYPE,
                    header::CONTENT_LENGTH,
                ] {
                    request.headers.remove(name);
                }
            } else if body.is_none() {
                // The Fetch Standard's rule: a stream body was sent and is gone.
                return Err(format!(
                    "fetch to {url} was redirected (status {}) to {next}, and its body, a \
                     stream, cannot be sent again (buffer it, or use redirect: \"manual\")",
                    status.as_u16()
                ));
            }
            if next.origin() != url.origin() {
                request.headers.remove(header::AUTHORIZATION);
            }
            request.headers.remove(header::HOST);
            url = next;
            redirected = true;
        }
        Err(format!(
            "fetch to {} was redirected more than {MAX_REDIRECTS} times",
            request.url
        ))
    }

    async fn send(
        &self,
        request: &HttpRequest,
        body: Body,
        url: &url::Url,
    ) -> Result<HttpResponse, String> {
        let uri: Uri = url
            .as_str()
            .parse()
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        let mut builder = Request::builder().method(request.method.clone()).uri(uri);
        let headers = builder
            .headers_mut()
            .ok_or_else(|| format!("cannot fetch {url}: invalid request"))?;
        copy_request_headers(&request.headers, headers);
        let outgoing = builder
            .body(body)
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        let response = self
            .client
            .request(outgoing)
            .await
            .map_err(|e| network_error(url, &e))?;
        let (parts, body) = response.into_parts();
        // These responses have no body by definition (hyper ends it at once); a null body in
        // JavaScript, as in browsers, rather than an empty stream.
        let bodiless = request.method == Method::HEAD
            || parts.status == StatusCode::NO_CONTENT
            || parts.status == StatusCode::NOT_MODIFIED;
        let body = if bodiless {
            Body::empty()
        } else {
            let url = url.clone();
            Body::Stream(BodyStream::from_http(body.map_err(move |e| {
                format!("Network connection lost while reading the body of {url}: {e}")
            })))
        };
        Ok(HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

fn parse_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("invalid URL {text}: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "fetch cannot load {text}: the \"{other}:\" scheme is not supported (only http: and \
             https:)"
        )),
    }
}

/// Request headers as the worker set them, minus the ones hyper manages for the connection.
fn copy_request_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        // Hop-by-hop headers, and `Expect` (a client's `100-continue` was answered by this
        // server; the body is sent without waiting).
        if matches!(
            *name,
            header::CONNECTION | header::TRANSFER_ENCODING | header::HOST | header::EXPECT
        ) || name.as_str() == "keep-alive"
        {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
    if !to.contains_key(header::USER_AGENT) {
        // What Cloudflare sends when a worker sets none.
        to.insert(
            header::USER_AGENT,
            HeaderValue::from_static("Cloudflare-Workers"),
        );
    }
}

fn network_error(url: &url::Url, error: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error;
    let mut cause = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if error.is_connect() {
        format!("Network connection lost: cannot connect to {url}: {cause}")
    } else {
        format!("Network connection lost: fetch to {url} failed: {cause}")
    }
}
