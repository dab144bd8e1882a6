//! Typed RPC over service bindings: `env.SVC.method(...)` into a WorkerEntrypoint, values
//! structured-cloned between isolates, stubs, streams, errors and Cloudflare's visibility rules.
//! Each scenario runs in tests/workers/rpc/front.js and answers with what it saw.

mod support;

use serde_json::{Value, json};
use support::{TestServer, workers_dir};

fn start() -> TestServer {
    TestServer::start_in(
        &workers_dir().join("rpc"),
        &[
            "wrangler.front.toml",
            "wrangler.svc.toml",
            "wrangler.plain.toml",
        ],
        &[],
    )
}

fn scenario(server: &TestServer, name: &str) -> Value {
    let response = server.get(&format!("/{name}"));
    assert_eq!(
        response.status,
        200,
        "{name}: {}\n{}",
        response.text(),
        server.output()
    );
    response.json()
}

fn error(class: &str, name: &str, message: &str) -> Value {
    json!({"error": {"class": class, "name": name, "message": message, "isError": true, "hasCause": false}})
}

#[test]
fn primitives_and_bigint_cross_intact() {
    let server = start();
    assert_eq!(
        scenario(&server, "primitives"),
        json!({
            "add": 5,
            "concat": "ab",
            "values": ["undefined", null, true, false, 0, "-0", 1.5, "NaN", "Infinity", "ünï", ""],
            "bigint": "12345678901234567890123",
            "bigintType": "bigint",
        })
    );
}

#[test]
fn objects_keep_cycles_shared_references_and_their_types() {
    let server = start();
    assert_eq!(
        scenario(&server, "structures"),
        json!({
            "cycle": true,
            "sharedKept": true,
            "list": [1, 2],
            "copy": true,
            "date": 1_700_000_000_000_u64,
            "regexp": "ab+c/gi",
            "map": [["k", {"v": 1}], [2, "two"]],
            "set": [1, "x"],
            "nested": {"a": [{"b": [[1], {"c": null}]}]},
            "boxed": true,
            "described": {"d": "Date", "m": "Map", "b": "ArrayBuffer", "u": "Uint16Array", "f": "function"},
        })
    );
}

#[test]
fn every_typed_array_and_data_view_round_trips() {
    let server = start();
    assert_eq!(
        scenario(&server, "binary"),
        json!({
            "arrayBuffer": [1, 2, 3, 4, 5, 6, 7, 8],
            "Int8Array": true, "Uint8Array": true, "Uint8ClampedArray": true,
            "Int16Array": true, "Uint16Array": true, "Int32Array": true, "Uint32Array": true,
            "Float32Array": true, "Float64Array": true, "BigInt64Array": true, "BigUint64Array": true,
            "dataView": [2, 4, 3],
            "subarray": [3, 2, 4, 8],
        })
    );
}

#[test]
fn errors_keep_class_and_message_and_name_what_went_wrong() {
    let server = start();
    let got = scenario(&server, "errors");
    let expect = json!({
        "type": error("TypeError", "TypeError", "bad type"),
        "range": error("RangeError", "RangeError", "out of range"),
        // A subclass arrives as its nearest standard class, keeping its name.
        "custom": error("Error", "NotFound", "no such user"),
        "string": {"error": "a string"},
        // Own properties such as `cause` stay behind, as on Cloudflare.
        "cause": error("Error", "Error", "outer"),
        "none": {"value": "no failure"},
        "missing": error("TypeError", "TypeError", "The RPC receiver does not implement the method \"nope\"."),
        "instanceField": error("TypeError", "TypeError", "The RPC receiver does not implement the method \"secret\"."),
        "reserved": error("TypeError", "TypeError", "'alarm' is a reserved method and cannot be called over RPC."),
        "bindingLocal": "[object Fetcher] false",
        "notAFunction": error("TypeError", "TypeError", "\"version\" is not a function."),
        "unclonableResult": error("DOMException", "DataCloneError", "result.handle: #<WeakMap> could not be cloned."),
        "unclonableArg": error("DOMException", "DataCloneError", "args[1].handler: a Symbol could not be cloned."),
        "unclonableNested": error("DOMException", "DataCloneError", "args[0].list[1]: #<WeakMap> could not be cloned."),
        "plain": error("TypeError", "TypeError", "The RPC receiver does not implement the method \"nope\". This worker's entrypoint is a plain object, which answers RPC only with its own properties; to expose methods, export a class that extends WorkerEntrypoint (import { WorkerEntrypoint } from \"cloudflare:workers\")."),
        "plainArity": error("TypeError", "TypeError", "Attempted to call RPC function \"greet\" with 2 arguments. A method of a plain-object export takes exactly one argument from the caller (it is called as (arg, env, ctx)); for more, export a class that extends WorkerEntrypoint."),
        "fetchOnRpcOnly": error("TypeError", "TypeError", "worker \"svc\" has no fetch() handler: it only answers RPC calls (call its methods, e.g. `env.SERVICE.myMethod()`, or add a fetch() method)"),
    });
    for (key, want) in expect.as_object().unwrap() {
        assert_eq!(&got[key], want, "scenario errors.{key}");
    }
    assert_eq!(
        got.as_object().unwrap().len(),
        expect.as_object().unwrap().len()
    );
}

#[test]
fn properties_getters_named_and_plain_entrypoints() {
    let server = start();
    assert_eq!(
        scenario(&server, "properties"),
        json!({
            "version": "1.2.3",
            "underscore": "underscore methods are public, as on Cloudflare",
            "later": {"value": "x", "greeting": "hello from svc"},
            "named": "admin of hello from svc",
            "namedFetch": "admin fetch",
            "plain": "hello from plain, front (function)",
            "awaitBinding": true,
            "json": "{\"svc\":{}}",
        })
    );
}

#[test]
fn functions_and_rpc_targets_pass_as_stubs_that_call_home() {
    let server = start();
    let not_implemented = |name: &str| {
        error(
            "TypeError",
            "TypeError",
            &format!("The RPC receiver does not implement the method \"{name}\"."),
        )
    };
    assert_eq!(
        scenario(&server, "stubs"),
        json!({
            "callback": "callback said: got 42",
            "calls": [42],
            "target": "front's greeter / hello svc, from front",
            "first": 15,
            "second": 16,
            "value": 16,
            "hidden": not_implemented("visible"),
            "reserved": error("TypeError", "TypeError", "'constructor' is a reserved method and cannot be called over RPC."),
            "inherited": not_implemented("hasOwnProperty"),
            "disposed": error("Error", "Error", "RPC stub used after being disposed."),
            "viaDup": 116,
            "proto": not_implemented("__proto__"),
            "cameHome": true,
            "forwarded": [7, 10],
            "failedSend": "DataCloneError",
            "streamLocked": false,
        })
    );
}

#[test]
fn readable_streams_cross_both_ways_chunk_by_chunk() {
    let server = start();
    assert_eq!(
        scenario(&server, "streams"),
        json!({"sent": ["one ", "two ", "three"], "received": ["a", "b", "c"], "isStream": true})
    );
    let streaming = scenario(&server, "streaming");
    assert_eq!(streaming["first"], "chunk 1");
    assert_eq!(streaming["rest"], 49);
    assert_eq!(streaming["producedAtEnd"], 50);
    // After the first read the producer is at most one chunk ahead: nothing was buffered whole.
    let ahead = streaming["producedAfterFirst"].as_u64().unwrap();
    assert!((1..=2).contains(&ahead), "{streaming}");
}

#[test]
fn requests_responses_and_headers_cross() {
    let server = start();
    assert_eq!(
        scenario(&server, "http"),
        json!({
            "isResponse": true,
            "status": 201,
            "from": "svc",
            "body": "POST /path yes request body",
            "headers": [["a", "1"], ["set-cookie", "x=1"]],
        })
    );
}

#[test]
fn a_callee_over_its_limit_rejects_the_call_and_the_caller_carries_on() {
    let server = start();
    assert_eq!(
        scenario(&server, "limit"),
        json!({
            "spun": error("Error", "Error", "worker \"svc\" exceeded its CPU time limit (200 ms)"),
            "after": 2,
        })
    );
    // The caller's isolate is intact: another scenario still works.
    assert_eq!(scenario(&server, "primitives")["add"], 5);
}

#[test]
fn a_callee_can_call_back_into_its_caller_worker() {
    let server = start();
    assert_eq!(
        scenario(&server, "reentrant"),
        json!({"text": "front echo"})
    );
}

#[test]
fn an_rpc_only_entry_worker_is_refused_at_start() {
    let dir = workers_dir().join("rpc");
    let (status, output) = support::run(&[
        "dev",
        "-c",
        dir.join("wrangler.svc.toml").to_str().unwrap(),
        "-c",
        dir.join("wrangler.front.toml").to_str().unwrap(),
        "-c",
        dir.join("wrangler.plain.toml").to_str().unwrap(),
    ]);
    assert_eq!(status, Some(1), "{output}");
    assert!(
        output.contains("worker \"svc\" has no registered event handlers: it is the entry worker"),
        "{output}"
    );
}
