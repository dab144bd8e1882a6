//! Frameworks run unmodified, installed from npm: examples/hono-app (Hono, two workers joined by
//! a service binding) and examples/itty-app (itty-router plus the CommonJS `cookie` package).
//! `scripts/test.sh` runs `npm ci` in both examples first.

mod support;

use std::path::PathBuf;

use serde_json::json;
use support::{TestServer, repo_root};

fn example(name: &str) -> PathBuf {
    let dir = repo_root().join("examples").join(name);
    assert!(
        dir.join("node_modules").is_dir(),
        "examples/{name}/node_modules is missing: run `npm ci` in examples/{name} (scripts/test.sh \
         does this)"
    );
    dir
}

fn hono() -> TestServer {
    TestServer::start_in(
        &example("hono-app"),
        &["wrangler.toml", "users/wrangler.toml"],
        &[],
    )
}

#[test]
fn hono_routes_params_queries_and_not_found() {
    let server = hono();
    let response = server.get("/");
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "Hono on Switchyard")
    );
    let response = server.get("/api/hello/grace?shout=1");
    assert_eq!(response.json(), json!({"hello": "grace", "shout": true}));
    let response = server.get("/no/such/page");
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json(),
        json!({"error": "not found", "path": "/no/such/page"})
    );
}

#[test]
fn hono_errors_go_through_on_error() {
    let server = hono();
    let response = server.get("/api/boom");
    assert_eq!(response.status, 500);
    assert_eq!(response.json(), json!({"error": "internal error"}));
    server.wait_for_output("unhandled: something broke");
    let response = server.post_json("/api/login", json!({}));
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "send {\"user\": \"<id>\"}");
}

#[test]
fn hono_cors_answers_preflight_and_tags_responses() {
    let server = hono();
    let response = server.request(
        "OPTIONS",
        "/api/hello/x",
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "POST"),
        ],
        b"",
    );
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("GET,POST")
    );
    let response = server.request(
        "GET",
        "/api/hello/x",
        &[("origin", "https://app.example")],
        b"",
    );
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
}

#[test]
fn hono_jwt_sign_then_verify_and_a_service_binding_behind_it() {
    let server = hono();
    let response = server.post_json("/api/login", json!({"user": "ada"}));
    assert_eq!(response.status, 200, "{}", response.text());
    let token = response.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");

    let bearer = format!("Bearer {token}");
    let response = server.request("GET", "/api/me", &[("authorization", &bearer)], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    let me = response.json();
    assert_eq!(me["token"]["sub"], "ada");
    assert_eq!(
        me["user"],
        json!({"id": "ada", "name": "Ada Lovelace", "role": "admin"})
    );

    // A token whose signature does not match is refused by hono/jwt's HMAC verify. The
    // signature's first character is changed: all six of its bits are signature bits (the last
    // one's low two are padding, so 'B', 'C' or 'D' made 'A' decoded to the same signature).
    let mut forged = token.clone();
    let at = forged.rfind('.').unwrap() + 1;
    let first = if forged[at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    forged.replace_range(at..at + 1, first);
    let response = server.request(
        "GET",
        "/api/me",
        &[("authorization", &format!("Bearer {forged}"))],
        b"",
    );
    assert_eq!(response.status, 401, "{}", response.text());

    // Unknown users cannot log in: the users service answers 404 through the binding.
    let response = server.post_json("/api/login", json!({"user": "mallory"}));
    assert_eq!(response.status, 401);
    let response = server.get("/api/users/alan");
    assert_eq!(response.json()["name"], "Alan Turing");
}

#[test]
fn hono_sub_app_behind_bearer_auth() {
    let server = hono();
    let response = server.get("/admin/stats");
    assert_eq!(response.status, 401);
    let response = server.request(
        "GET",
        "/admin/stats",
        &[("authorization", "Bearer wrong-token")],
        b"",
    );
    assert_eq!(response.status, 401);
    let response = server.request(
        "GET",
        "/admin/stats",
        &[("authorization", "Bearer dev-only-admin-token")],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), json!({"users": 2}));
}

#[test]
fn itty_router_with_a_commonjs_package() {
    // One thread, so the in-memory todo list is one isolate's.
    let server = TestServer::start_in(
        &example("itty-app"),
        &["wrangler.jsonc"],
        &["--threads", "1"],
    );
    assert_eq!(server.get("/").json(), json!("hello from itty-router"));
    let response = server.get("/todos/1");
    assert_eq!(response.json()["title"], "try Switchyard");
    let response = server.get("/todos/99");
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json(),
        json!({"status": 404, "error": "no todo 99"})
    );
    let response = server.post_json("/todos", json!({"title": "write docs"}));
    assert_eq!(response.status, 201);
    assert_eq!(
        response.json(),
        json!({"id": 2, "title": "write docs", "done": false})
    );
    assert_eq!(
        server.get("/todos").json().as_array().map(Vec::len),
        Some(2)
    );
    let response = server.get("/search?q=x&tag=a&tag=b");
    assert_eq!(response.json(), json!({"q": "x", "tags": ["a", "b"]}));
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    // cookie (CommonJS) parses and serializes.
    let response = server.request(
        "GET",
        "/session",
        &[("cookie", "visits=4; theme=dark")],
        b"",
    );
    assert_eq!(response.json(), json!({"visits": 5}));
    assert_eq!(
        response.header("set-cookie"),
        Some("visits=5; Path=/; HttpOnly")
    );
}
