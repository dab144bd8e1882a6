//! The README's main example: a router and five portal services joined by service bindings.

mod support;

use serde_json::json;
use support::{TestServer, repo_root};

const CONFIGS: [&str; 6] = [
    "wrangler.router.toml",
    "auth/wrangler.jsonc",
    "creator/wrangler.toml",
    "investor/wrangler.toml",
    "production/wrangler.toml",
    "browse/wrangler.toml",
];

fn start() -> TestServer {
    TestServer::start_in(&repo_root().join("examples/portals"), &CONFIGS, &[])
}

#[test]
fn health_fans_out_to_every_service() {
    let server = start();
    let response = server.get("/health");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"status":"ok","services":{"auth":"ok","creator":"ok","investor":"ok","production":"ok","browse":"ok"}})
    );
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    let id = response.header("x-request-id").expect("x-request-id");
    assert_eq!(id.len(), 36, "{id}");
}

#[test]
fn login_then_create_a_pitch_through_router_creator_and_auth() {
    let server = start();
    let login = server.request(
        "POST",
        "/api/auth/login",
        &[("content-type", "application/json")],
        br#"{"email":"alice@example.com","password":"open-sesame"}"#,
    );
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.json(), json!({"token":"YWxpY2VAZXhhbXBsZS5jb20"}));

    let wrong = server.request(
        "POST",
        "/api/auth/login",
        &[("content-type", "application/json")],
        br#"{"email":"alice@example.com","password":"wrong"}"#,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json(), json!({"error":"invalid credentials"}));

    let bearer = [("authorization", "Bearer YWxpY2VAZXhhbXBsZS5jb20")];
    let me = server.request("GET", "/api/auth/me", &bearer, b"");
    assert_eq!(me.json(), json!({"email":"alice@example.com"}));

    let pitch = server.request(
        "POST",
        "/api/creator/pitches",
        &[bearer[0], ("content-type", "application/json")],
        br#"{"title":"Moon Heist","genre":"comedy"}"#,
    );
    assert_eq!(pitch.status, 201, "{}", pitch.text());
    assert_eq!(
        pitch.json(),
        json!({"pitch":{"id":"moon-heist","title":"Moon Heist","genre":"comedy","creator":"alice@example.com"}})
    );
    assert_eq!(
        pitch.header("location"),
        Some("/api/creator/pitches/moon-heist")
    );

    let anonymous = server.request(
        "POST",
        "/api/creator/pitches",
        &[],
        br#"{"title":"x","genre":"y"}"#,
    );
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json(), json!({"error":"unauthorized"}));
}

#[test]
fn portal_routes_answer_with_their_services_data() {
    let server = start();
    assert_eq!(
        server.get("/api/investor/features").json(),
        json!({"features":{"watchlist":true,"watchlist_limit":3}})
    );
    let missing = server.get("/api/production/projects/nope");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error":"project not found","id":"nope"})
    );
    assert_eq!(
        server.get("/api/production/projects/orbit-of-ashes").json(),
        json!({"project":{"id":"orbit-of-ashes","title":"Orbit of Ashes","stage":"development","budget":4500000}})
    );
    assert_eq!(
        server.get("/api/browse?genre=sci-fi").json(),
        json!({"genre":"sci-fi","count":2,"results":[
            {"id":"orbit-of-ashes","title":"Orbit of Ashes","genre":"sci-fi"},
            {"id":"signal-lost","title":"Signal Lost","genre":"sci-fi"}]})
    );
    assert_eq!(
        server.get("/api/search?q=moon").json(),
        json!({"q":"moon","count":1,"results":[{"id":"harvest-moon-diner","title":"Harvest Moon Diner","genre":"comedy"}]})
    );
    assert_eq!(server.get("/api/search").status, 400);
    let unknown = server.get("/api/unknown");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json(),
        json!({"error":"not found","path":"/api/unknown"})
    );
}

#[test]
fn cors_preflight_is_answered_by_the_router() {
    let server = start();
    let response = server.request("OPTIONS", "/api/creator/pitches", &[], b"");
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        response.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert_eq!(response.header("access-control-max-age"), Some("86400"));
}
