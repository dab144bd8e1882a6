//! Any method, URL, headers and body through an entry worker and a service binding: every input
//! ends in a response or a `WorkerError`, never a panic or a hang.
//!
//! Input layout: line 1 the method, line 2 the URL, then `name: value` header lines until an empty
//! line, then the body. Inputs hyper would reject (bad method or header bytes) are skipped.
#![no_main]

use std::cell::OnceCell;
use std::path::PathBuf;
use std::rc::Rc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use switchyard_runtime::{Fleet, HttpRequest, LocalWorkers, RuntimeOptions};

const FRONT: &str = r#"
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.searchParams.has("direct")) return new Response(await request.arrayBuffer(), { headers: request.headers });
    const forwarded = new Request(request, { headers: new Headers(request.headers) });
    const response = await env.BACK.fetch(forwarded);
    return new Response(response.body, response);
  },
};
"#;

const BACK: &str = r#"
export default {
  async fetch(request) {
    const text = await request.text();
    const headers = {};
    for (const [name, value] of request.headers) headers[name] = value;
    return Response.json({ method: request.method, url: request.url, headers, length: text.length });
  },
};
"#;

struct Harness {
    runtime: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
    workers: Rc<LocalWorkers>,
}

fn harness<R>(f: impl FnOnce(&Harness) -> R) -> R {
    thread_local! {
        static HARNESS: OnceCell<Harness> = const { OnceCell::new() };
    }
    HARNESS.with(|cell| {
        let harness = cell.get_or_init(|| {
            let dir: PathBuf =
                std::env::temp_dir().join(format!("switchyard-fuzz-request-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch dir");
            let files = [
                ("front.js", FRONT),
                ("back.js", BACK),
                (
                    "wrangler.front.toml",
                    "name = \"front\"\nmain = \"front.js\"\ncompatibility_date = \"2026-11-01\"\n\
                     [[services]]\nbinding = \"BACK\"\nservice = \"back\"\n",
                ),
                (
                    "wrangler.back.toml",
                    "name = \"back\"\nmain = \"back.js\"\ncompatibility_date = \"2026-11-01\"\n",
                ),
            ];
            for (name, text) in files {
                std::fs::write(dir.join(name), text).expect("write");
            }
            let (world, _) = switchyard_config::load_world(&[
                dir.join("wrangler.front.toml"),
                dir.join("wrangler.back.toml"),
            ])
            .expect("configs");
            let options = RuntimeOptions {
                request_timeout: std::time::Duration::from_secs(5),
                ..RuntimeOptions::default()
            };
            let (fleet, _) = Fleet::load(&world, options).expect("workers");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let local = tokio::task::LocalSet::new();
            let workers = LocalWorkers::new(fleet);
            Harness { runtime, local, workers }
        });
        f(harness)
    })
}

fn parse(data: &[u8]) -> Option<HttpRequest> {
    let mut rest = data;
    let mut line = || {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let (line, tail) = rest.split_at(end);
        rest = &tail[1..];
        Some(line)
    };
    let method = Method::from_bytes(line()?).ok()?;
    // Parsed and serialized as the server does (a URL it cannot parse gets 400 there, before
    // any worker sees it): HttpRequest::url is a serialized URL.
    let url = url::Url::parse(&String::from_utf8_lossy(line()?)).ok()?.into();
    let mut headers = HeaderMap::new();
    loop {
        let header = line()?;
        if header.is_empty() {
            break;
        }
        let colon = header.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&header[..colon]).ok()?;
        let value = HeaderValue::from_bytes(header[colon + 1..].trim_ascii()).ok()?;
        headers.append(name, value);
    }
    Some(HttpRequest { method, url, headers, body: Bytes::copy_from_slice(rest).into() })
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = parse(data) else { return };
    harness(|h| {
        let workers = h.workers.clone();
        // Ok or a WorkerError are both fine; a panic or a hang is the bug.
        let _ = h.local.block_on(&h.runtime, async move { workers.fetch_entry(request).await });
    });
});
