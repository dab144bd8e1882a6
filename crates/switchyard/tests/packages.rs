//! Real project layouts: packages from node_modules (ES modules and CommonJS), package.json
//! `exports` and `imports`, tsconfig `paths`, JSON, text and data modules. The fixture's
//! node_modules is committed (tests/workers/packages), so these run without npm.

mod support;

use serde_json::json;
use support::TestServer;

#[test]
fn every_kind_of_import_evaluates_with_the_values_node_and_bundlers_give() {
    let server = TestServer::start(&["packages/wrangler.toml"], &[]);
    let response = server.get("/");
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let expect = json!({
        // CommonJS: module.exports as the default, its properties by name, require of a
        // relative file and of package.json.
        "add": 5,
        "version": "1.2.3",
        "sameObject": true,
        // `__esModule`: the default import is exports.default, as bundlers do.
        "babel": "babel default",
        "babelNamed": "babel named",
        // exports map: the `workerd` condition wins over `node` and `default`; `import` over
        // `require` for a subpath.
        "shout": "HI! (workerd build)",
        "pad": "007",
        // package.json `imports` and tsconfig `paths`.
        "greet": "hello you",
        "x": 42,
        // A require cycle sees the partial exports, as in Node.
        "cyc": { "early": "a-early", "late": "a-late", "fromB": "a-early/undefined" },
        // An optional dependency that is not installed throws MODULE_NOT_FOUND when required.
        "optional": "MODULE_NOT_FOUND: Cannot find module 'encoding-that-is-not-installed'",
        // `"browser": { "./node-only.js": false }` makes that file an empty module.
        "browserFalse": "node-only is {}",
        "page": "<h1>Hi</h1>\n",
        "notes": "# Notes\n",
        "data": { "list": [1, 2, 3], "__proto__": "own" },
        "dataOwnProto": true,
        "blob": [0, 1, 254, 255],
        "blobIsArrayBuffer": true,
        // A string export name (not an identifier).
        "weird": "string export",
        // A named import from JSON, as bundlers allow.
        "packageVersion": "0.0.7",
        // An installed package named like a Node built-in wins over the built-in.
        "events": ["emitted"],
        // Sloppy-mode CommonJS runs as a script: octal, `with`, reserved words, top-level return.
        "sloppy": {"mode": 493, "got": "from with", "word": "a reserved word in strict mode", "self": true},
        // require() of an ES module has __esModule, so TypeScript's __importDefault works.
        "greeting": "hello from cjs / 7 / esm named",
        // process.env.NODE_ENV reads "production", in TypeScript too.
        "mode": "production",
    });
    assert_eq!(body, expect);
}

#[test]
fn a_dynamic_import_with_a_literal_is_loaded_at_start_up_and_works() {
    let server = TestServer::start(&["packages/wrangler.toml"], &[]);
    let response = server.get("/dynamic");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), "loaded lazily");
}

#[test]
fn a_require_that_cannot_resolve_throws_when_it_runs_and_names_the_reason() {
    let server = TestServer::start(&["packages/wrangler.toml"], &[]);
    // Warnings go to stderr and "ready" to stdout: they reach the test on two pipes, in either order.
    let output = server.wait_for_output("will throw if it runs");
    assert!(
        output.contains("has-optional/index.js:3:22: warning: require(\"encoding-that-is-not-installed\") will throw if it runs"),
        "{output}"
    );
    let response = server.get("/throw");
    assert_eq!(response.status, 500, "{}", response.text());
    let output = server.wait_for_output("Cannot find module");
    assert!(
        output.contains("Switchyard resolves require() when the worker loads"),
        "{output}"
    );
}
