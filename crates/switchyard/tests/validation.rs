//! Load-time validation: every bad input stops `switchyard dev` before it serves, with a message
//! that names the file, the line and the fix.

mod support;

use support::{TestServer, run};

/// Run `switchyard dev` on configs under tests/workers/bad and expect it to refuse to start.
fn refuses(configs: &[&str]) -> String {
    let mut args = vec!["dev", "--port", "0"];
    for config in configs {
        args.extend(["-c", config]);
    }
    let (code, output) = run(&args);
    assert_eq!(code, Some(1), "expected exit 1, got {code:?}:\n{output}");
    assert!(!output.contains("ready on"), "{output}");
    assert!(!output.contains("panicked"), "{output}");
    output
}

#[test]
fn a_binding_to_an_unknown_service_lists_what_is_loaded_and_suggests_the_closest() {
    let output = refuses(&["bad/unknown-service.toml", "bad/auth-worker.toml"]);
    assert!(output.contains("bad/unknown-service.toml:7:"), "{output}");
    assert!(output.contains("\"auth-workr\""), "{output}");
    assert!(
        output.contains("router") && output.contains("auth-worker"),
        "{output}"
    );
    assert!(output.contains("Did you mean \"auth-worker\"?"), "{output}");
}

#[test]
fn a_missing_main_is_named() {
    let output = refuses(&["bad/missing-main.toml"]);
    assert!(output.contains("missing-main.toml"), "{output}");
    assert!(output.contains("src/nope.ts"), "{output}");
}

#[test]
fn an_unparsable_main_gives_file_line_and_column() {
    let output = refuses(&["bad/syntax.toml"]);
    assert!(output.contains("syntax.ts:3:15"), "{output}");
}

#[test]
fn a_bad_import_names_the_importer_and_specifier() {
    let output = refuses(&["bad/bad-import.toml"]);
    assert!(
        output.contains("bad-import.ts:1:24: error: cannot import \"./helpers/missing\""),
        "{output}"
    );
}

#[test]
fn a_module_without_a_fetch_handler_has_no_registered_event_handlers() {
    let output = refuses(&["bad/no-fetch.toml"]);
    assert!(output.contains("no registered event handlers"), "{output}");
    assert!(output.contains("no-fetch"), "{output}");
}

#[test]
fn a_module_that_throws_at_start_up_is_reported_by_name() {
    let output = refuses(&["bad/throws.toml"]);
    assert!(
        output.contains("worker \"throws-at-start\" threw while its modules were evaluated"),
        "{output}"
    );
    assert!(output.contains("SyntaxError"), "{output}");
    assert!(output.contains("throws.js:1:"), "{output}");
}

#[test]
fn two_configs_with_the_same_name_are_refused() {
    let output = refuses(&["bad/dup-name-1.toml", "bad/dup-name-2.jsonc"]);
    assert!(output.contains("\"twin\""), "{output}");
    assert!(
        output.contains("dup-name-1.toml") && output.contains("dup-name-2.jsonc"),
        "{output}"
    );
}

#[test]
fn one_binding_name_used_twice_is_refused() {
    let output = refuses(&["bad/dup-binding.toml", "bad/auth-worker.toml"]);
    assert!(output.contains("\"AUTH\""), "{output}");
    assert!(
        output.contains("dup-binding.toml:6:") && output.contains("dup-binding.toml:9:"),
        "{output}"
    );
}

#[test]
fn a_missing_named_entrypoint_is_refused() {
    let output = refuses(&["bad/missing-entrypoint.toml", "bad/auth-worker.toml"]);
    assert!(output.contains("entrypoint \"Admin\""), "{output}");
    assert!(output.contains("missing-entrypoint.toml:"), "{output}");
}

#[test]
fn wrong_types_and_missing_keys_name_the_file_line_and_key() {
    let output = refuses(&["bad/wrong-type.toml"]);
    assert!(output.contains("wrong-type.toml:2:"), "{output}");
    assert!(output.contains("`main`"), "{output}");

    let output = refuses(&["bad/no-name.jsonc"]);
    assert!(output.contains("no-name.jsonc:1:1"), "{output}");
    assert!(output.contains("`name`"), "{output}");
}

#[test]
fn unknown_and_unsupported_keys_warn_but_the_worker_still_starts() {
    let server = TestServer::start(&["bad/warnings.toml"], &[]);
    assert_eq!(server.get("/").text(), "ok");
    // Warnings go to stderr and "ready" to stdout, on two pipes: wait for the last warning.
    let output = server.wait_for_output("is not supported by Switchyard");
    assert!(output.contains("compatibility_date"), "{output}");
    assert!(
        output.contains("`servces`") && output.contains("services"),
        "{output}"
    );
    // Once per key, not once per [[kv_namespaces]] entry.
    assert_eq!(output.matches("`kv_namespaces`").count(), 1, "{output}");
    assert!(
        !output.contains("workers_dev"),
        "deploy-only keys are accepted silently:\n{output}"
    );
}

#[test]
fn a_broken_shared_module_is_reported_once_for_every_worker_that_needs_it() {
    let output = refuses(&["bad/shared-a.toml", "bad/shared-b.toml"]);
    assert_eq!(output.matches("shared-broken.ts:2:").count(), 1, "{output}");
    assert!(
        output.contains("needed by worker(s) \"shared-a\", \"shared-b\""),
        "{output}"
    );
}

#[test]
fn unsupported_module_types_are_named() {
    let output = refuses(&["bad/tsx.toml"]);
    assert!(
        output.contains("view.tsx: error: JSX (.jsx, .tsx) modules are not supported"),
        "{output}"
    );
}

#[test]
fn zero_threads_is_refused_by_the_cli() {
    let (code, output) = run(&["dev", "--threads", "0", "-c", "bad/ok.js"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("--threads"), "{output}");
}

#[test]
fn help_explains_the_dev_command() {
    let (code, output) = run(&["dev", "--help"]);
    assert_eq!(code, Some(0));
    for needle in [
        "--config",
        "--port",
        "--threads",
        "--max-body-size",
        "--request-timeout",
        "entry worker",
    ] {
        assert!(output.contains(needle), "{needle} missing from:\n{output}");
    }
}

#[test]
fn io_and_timers_at_module_scope_are_refused_like_cloudflare() {
    for config in ["bad/global-io.toml", "bad/global-timer.toml"] {
        let output = refuses(&[config, "bad/auth-worker.toml"]);
        assert!(
            output.contains("Disallowed operation called within global scope"),
            "{config}:\n{output}"
        );
        assert!(
            output.contains("perform this operation within a handler"),
            "{config}:\n{output}"
        );
    }
}

#[test]
fn check_reports_each_workers_module_graph_and_warnings() {
    let (code, output) = run(&[
        "check",
        "-c",
        "packages/wrangler.toml",
        "-c",
        "basic/wrangler.toml",
    ]);
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("packages (entry)\n  modules: 23\n"),
        "{output}"
    );
    assert!(output.contains(" gzip)\n  load:    "), "{output}");
    assert!(output.contains(" into a new isolate ("), "{output}");
    assert!(
        output.contains(" KiB of JavaScript heap per isolate between requests"),
        "{output}"
    );
    assert!(
        output.contains(
            "has-optional/index.js:3:22: warning: require(\"encoding-that-is-not-installed\")"
        ),
        "{output}"
    );
    assert!(
        output.contains("switchyard check: 2 worker(s) OK, 1 warning(s)"),
        "{output}"
    );
    assert!(
        !output.contains("ready on"),
        "check never serves:\n{output}"
    );
}

#[test]
fn check_fails_on_what_would_stop_dev() {
    let (code, output) = run(&["check", "-c", "bad/bad-import.toml"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("bad-import.ts:1:24: error: cannot import \"./helpers/missing\""),
        "{output}"
    );
    assert!(output.contains("switchyard check: failed"), "{output}");
}
