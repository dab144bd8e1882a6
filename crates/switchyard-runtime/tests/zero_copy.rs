//! A body forwarded through a service binding and returned unread is the same allocation at
//! both ends: no copy between isolates, in either direction.

mod support;

use bytes::Bytes;
use http::{HeaderMap, Method};
use switchyard_runtime::{HttpRequest, LocalWorkers, RuntimeOptions};

const FILES: &[(&str, &str)] = &[
    (
        "wrangler.front.toml",
        "name = \"front\"\nmain = \"front.js\"\ncompatibility_date = \"2026-11-01\"\n\n[[services]]\nbinding = \"BACK\"\nservice = \"back\"\n",
    ),
    (
        "front.js",
        "export default { fetch(request, env) { return env.BACK.fetch(request); } };\n",
    ),
    (
        "wrangler.back.toml",
        "name = \"back\"\nmain = \"back.js\"\ncompatibility_date = \"2026-11-01\"\n",
    ),
    (
        "back.js",
        "export default { fetch(request) { return new Response(request.body, { headers: { 'x-back': '1' } }); } };\n",
    ),
];

#[test]
fn bodies_cross_bindings_without_copying() {
    let fleet = support::load(
        "zero-copy",
        FILES,
        &["wrangler.front.toml", "wrangler.back.toml"],
        RuntimeOptions::default(),
    );

    let body = Bytes::from(vec![7u8; 4 * 1024 * 1024]);
    let sent = body.as_ptr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let response = local.block_on(&runtime, async move {
        let workers = LocalWorkers::new(fleet);
        let request = HttpRequest {
            method: Method::POST,
            url: "http://front.test/echo".into(),
            headers: HeaderMap::new(),
            body: body.into(),
        };
        workers.fetch_entry(request).await
    });
    let response = response.expect("a response");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.headers.get("x-back").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    let body = response
        .body
        .as_bytes()
        .expect("a body forwarded untouched stays whole");
    assert_eq!(body.len(), 4 * 1024 * 1024);
    assert_eq!(
        body.as_ptr(),
        sent,
        "the body was copied on its way through the binding"
    );
}
