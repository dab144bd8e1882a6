//! examples/rpc-proxy: an HTTP gateway in front of an RPC-only proxy and two RPC-only services.

mod support;

use serde_json::json;
use support::{TestServer, repo_root};

const CONFIGS: [&str; 4] = [
    "gateway/wrangler.toml",
    "proxy/wrangler.toml",
    "users/wrangler.toml",
    "billing/wrangler.toml",
];

fn start() -> TestServer {
    TestServer::start_in(&repo_root().join("examples/rpc-proxy"), &CONFIGS, &[])
}

#[test]
fn get_services_lists_the_registry() {
    let server = start();
    let response = server.get("/services");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"users": ["get", "list", "search"], "billing": ["invoice", "plans"]})
    );
}

#[test]
fn call_forwards_to_a_service_and_values_keep_their_types() {
    let server = start();
    let user = server.get("/users/u1");
    assert_eq!(
        user.json(),
        json!({"id": "u1", "name": "Ada Lovelace", "plan": "pro", "joined": "2024-03-01T00:00:00.000Z"})
    );
    // billing → users over RPC, BigInt cents back through proxy and gateway.
    let invoice = server.post_json(
        "/call",
        json!({"service": "billing", "method": "invoice", "args": ["u1", 3]}),
    );
    assert_eq!(
        invoice.json(),
        json!({"result": {"user": "u1", "plan": "pro", "totalCents": "8700n"}})
    );
    // A Map of BigInts arrives as a Map (the gateway turns it into an object for JSON).
    let plans = server.post_json("/call", json!({"service": "billing", "method": "plans"}));
    assert_eq!(
        plans.json(),
        json!({"result": {"free": "0n", "pro": "2900n"}})
    );
}

#[test]
fn errors_keep_their_names_across_three_hops() {
    let server = start();
    let missing = server.get("/users/u9");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error": {"name": "NotFound", "message": "no user \"u9\""}})
    );
    // Thrown in users, passed through billing and the proxy.
    let deep = server.post_json(
        "/call",
        json!({"service": "billing", "method": "invoice", "args": ["u9", 1]}),
    );
    assert_eq!(deep.status, 404);
    assert_eq!(deep.json()["error"]["name"], "NotFound");
    let bad = server.post_json(
        "/call",
        json!({"service": "users", "method": "search", "args": [""]}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json(),
        json!({"error": {"name": "TypeError", "message": "search needs a non-empty string"}})
    );
    let unknown = server.post_json("/call", json!({"service": "mail", "method": "send"}));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["name"], "UnknownService");
}

#[test]
fn batch_call_settles_each_call_on_its_own() {
    let server = start();
    let response = server.post_json(
        "/batch",
        json!([
            {"service": "users", "method": "search", "args": ["grace"]},
            {"service": "billing", "method": "invoice", "args": ["u2", 0]},
            {"service": "billing", "method": "invoice", "args": ["u2", 12]},
            {"service": "users", "method": "delete", "args": ["u1"]},
        ]),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"results": [
            {"ok": true, "value": [{"id": "u3", "name": "Grace Hopper", "plan": "pro", "joined": "2023-12-09T00:00:00.000Z"}]},
            {"ok": false, "error": {"name": "RangeError", "message": "months must be a positive integer"}},
            {"ok": true, "value": {"user": "u2", "plan": "free", "totalCents": "0n"}},
            {"ok": false, "error": {"name": "UnknownMethod", "message": "service \"users\" has no method \"delete\"; it has: get, list, search"}},
        ]})
    );
}
