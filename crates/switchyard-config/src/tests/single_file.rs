//! `parse_config`: one file at a time, every error and warning in both formats.

use serde_json::json;

use super::support::{Scratch, at, error, errors, ok, relative_to_cwd, warnings};
use crate::{ConfigError, DEFAULT_COMPATIBILITY_DATE, parse_config};

/// Three valid lines; anything appended starts on line 4.
const TOML_HEAD: &str =
    "name = \"router\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-09-23\"\n";

/// `{` and three valid lines ending in a comma; anything appended starts on line 5 and must be
/// followed by `}`.
const JSON_HEAD: &str = "{\n  \"name\": \"router\",\n  \"main\": \"src/index.js\",\n  \
                         \"compatibility_date\": \"2024-09-23\",\n";

/// The part of a rendered message after `file:line:col: `, to compare TOML and JSON output.
fn body(message: &str) -> &str {
    message
        .find(": error: ")
        .or_else(|| message.find(": warning: "))
        .map_or(message, |i| &message[i + 2..])
}

fn bodies(messages: &[String]) -> Vec<&str> {
    messages.iter().map(|m| body(m)).collect()
}

const NO_DATE_WARNING: &str = "warning: no compatibility_date; using 2026-11-01 (set \
                               `compatibility_date` to pin the runtime behaviour)";

#[test]
fn minimal_configs_load_with_default_date_warning() {
    let s = Scratch::new();
    let toml = s.config(
        "t/wrangler.toml",
        "name = \"router\"\nmain = \"src/index.js\"\n",
    );
    let jsonc = s.config(
        "j/wrangler.jsonc",
        "{\n  \"name\": \"router\",\n  \"main\": \"src/index.js\"\n}\n",
    );
    let json = s.config(
        "p/wrangler.json",
        "{ \"name\": \"router\", \"main\": \"src/index.js\" }",
    );
    for (path, dir) in [(&toml, "t"), (&jsonc, "j"), (&json, "p")] {
        let (config, warnings) = ok(path);
        assert_eq!(config.name.as_str(), "router");
        assert_eq!(&config.config_path, path);
        assert_eq!(config.main, s.dir().join(dir).join("src/index.js"));
        assert_eq!(config.compatibility_date, DEFAULT_COMPATIBILITY_DATE);
        assert!(config.compatibility_flags.is_empty());
        assert!(config.vars.is_empty());
        assert!(config.services.is_empty());
        let rendered: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(rendered, [format!("{}: {NO_DATE_WARNING}", at(path, 1, 1))]);
    }
}

#[test]
fn full_configs_agree_across_formats() {
    let s = Scratch::new();
    let toml = s.config(
        "t/wrangler.toml",
        r#"name = "router"
main = "./src/../src/index.js"
compatibility_date = "2024-09-23"
compatibility_flags = ["nodejs_compat", "global_fetch_strictly_public"]

[vars]
ZED = "first in file"
API_URL = "https://example.com"
RETRIES = 3
RATIO = 0.5
DEBUG = true
FEATURES = ["a", 2]
LIMITS = { cpu = 50, nested = { deep = true } }

[[services]]
binding = "AUTH"
service = "auth-worker"
entrypoint = "AuthApi"

[[services]]
binding = "CREATOR"
service = "creator"
"#,
    );
    let jsonc = s.config(
        "j/wrangler.jsonc",
        r#"// Router Worker
{
  "$schema": "./node_modules/wrangler/config-schema.json",
  "name": "router",
  "main": "./src/../src/index.js",
  "compatibility_date": "2024-09-23",
  "compatibility_flags": ["nodejs_compat", "global_fetch_strictly_public",],
  /* plain-text and JSON vars */
  "vars": {
    "ZED": "first in file",
    "API_URL": "https://example.com",
    "RETRIES": 3,
    "RATIO": 0.5,
    "DEBUG": true,
    "FEATURES": ["a", 2],
    "LIMITS": { "cpu": 50, "nested": { "deep": true } },
  },
  "services": [
    { "binding": "AUTH", "service": "auth-worker", "entrypoint": "AuthApi" },
    { "binding": "CREATOR", "service": "creator" }, // trailing comma
  ],
}
"#,
    );
    let expected_vars = vec![
        ("ZED", json!("first in file")),
        ("API_URL", json!("https://example.com")),
        ("RETRIES", json!(3)),
        ("RATIO", json!(0.5)),
        ("DEBUG", json!(true)),
        ("FEATURES", json!(["a", 2])),
        ("LIMITS", json!({ "cpu": 50, "nested": { "deep": true } })),
    ];
    let (t, t_warnings) = ok(&toml);
    let (j, j_warnings) = ok(&jsonc);
    assert!(t_warnings.is_empty(), "{t_warnings:?}");
    assert!(j_warnings.is_empty(), "{j_warnings:?}");
    for (config, dir) in [(&t, "t"), (&j, "j")] {
        assert_eq!(config.main, s.dir().join(dir).join("src/index.js"));
        assert_eq!(config.compatibility_date, "2024-09-23");
        assert_eq!(
            config.compatibility_flags,
            ["nodejs_compat", "global_fetch_strictly_public"]
        );
        let vars: Vec<(&str, serde_json::Value)> = config
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(vars, expected_vars);
        assert!(config.vars[6].1.is_object());
        let services: Vec<(&str, &str, Option<&str>)> = config
            .services
            .iter()
            .map(|s| {
                (
                    s.binding.as_str(),
                    s.service.as_str(),
                    s.entrypoint.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            services,
            [
                ("AUTH", "auth-worker", Some("AuthApi")),
                ("CREATOR", "creator", None)
            ]
        );
    }
    // Service binding locations: the `[[services]]` header, or the entry's `{`.
    assert_eq!(t.services[0].location.to_string(), at(&toml, 15, 1));
    assert_eq!(t.services[1].location.to_string(), at(&toml, 20, 1));
    assert_eq!(j.services[0].location.to_string(), at(&jsonc, 19, 5));
    assert_eq!(j.services[1].location.to_string(), at(&jsonc, 20, 5));
}

#[test]
fn toml_inline_services_parse() {
    let s = Scratch::new();
    let path = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}services = [{{ binding = \"AUTH\", service = \"auth-worker\" }}, \
             {{ binding = \"CREATOR\", service = \"creator\", entrypoint = \"Api\" }}]\n"
        ),
    );
    let (config, warnings) = ok(&path);
    assert!(warnings.is_empty());
    assert_eq!(config.services.len(), 2);
    assert_eq!(config.services[0].binding.as_str(), "AUTH");
    assert_eq!(config.services[0].service.as_str(), "auth-worker");
    assert_eq!(config.services[0].location.to_string(), at(&path, 4, 13));
    assert_eq!(config.services[1].entrypoint.as_deref(), Some("Api"));
}

#[test]
fn vars_object_values_become_json_objects() {
    let s = Scratch::new();
    let toml = s.config(
        "t/wrangler.toml",
        &format!("{TOML_HEAD}vars = {{ CONFIG = {{ a = 1, b = [true, \"x\"] }}, NAME = \"n\" }}\n"),
    );
    let jsonc = s.config(
        "j/wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"vars\": {{ \"CONFIG\": {{ \"a\": 1, \"b\": [true, \"x\"] }}, \"NAME\": \
             \"n\", \"NOTHING\": null }}\n}}\n"
        ),
    );
    for path in [&toml, &jsonc] {
        let (config, _) = ok(path);
        assert_eq!(config.vars[0].0.as_str(), "CONFIG");
        assert_eq!(config.vars[0].1, json!({ "a": 1, "b": [true, "x"] }));
        assert!(config.vars[0].1.is_object());
        assert_eq!(config.vars[1].1, serde_json::Value::String("n".to_string()));
    }
    assert_eq!(ok(&jsonc).0.vars[2].1, serde_json::Value::Null);
}

#[test]
fn toml_datetimes_in_vars_become_strings() {
    let s = Scratch::new();
    let path = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}[vars]\nRELEASED = 1979-05-27T07:32:00Z\nDAY = 1979-05-27\nAT = 07:32:00\n"
        ),
    );
    let (config, _) = ok(&path);
    let vars: Vec<_> = config.vars.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(
        vars,
        [
            json!("1979-05-27T07:32:00Z"),
            json!("1979-05-27"),
            json!("07:32:00")
        ]
    );
}

#[test]
fn byte_order_mark_is_ignored() {
    let s = Scratch::new();
    let toml = s.config("t/wrangler.toml", &format!("\u{feff}{TOML_HEAD}"));
    let jsonc = s.config("j/wrangler.jsonc", &format!("\u{feff}{JSON_HEAD}}}\n"));
    assert_eq!(ok(&toml).0.name.as_str(), "router");
    assert_eq!(ok(&jsonc).0.name.as_str(), "router");
}

#[test]
fn syntax_errors_point_at_the_parser_position() {
    let s = Scratch::new();
    let toml = s.config("wrangler.toml", "name = \"router\"\nmain = \n");
    let message = error(&toml);
    assert!(
        message.starts_with(&format!("{}: error: invalid TOML: ", at(&toml, 2, 8))),
        "{message}"
    );
    assert!(message.ends_with(
        "\n  help: fix the TOML syntax at this position (the file is read as TOML because its \
         name ends in `.toml`)"
    ));

    // jsonc-parser reports a missing comma right after the value that needs one.
    let jsonc = s.config(
        "wrangler.jsonc",
        "{\n  \"name\": \"router\"\n  \"main\": \"src/index.js\"\n}\n",
    );
    assert_eq!(
        error(&jsonc),
        format!(
            "{}: error: invalid JSON: Expected comma\n  help: fix the JSON syntax at this position \
             (comments and trailing commas are allowed)",
            at(&jsonc, 2, 19)
        )
    );

    // JSON extensions beyond comments and trailing commas are rejected.
    let single = s.config("single.jsonc", "{ 'name': 'router' }");
    assert!(error(&single).starts_with(&format!("{}: error: invalid JSON: ", at(&single, 1, 3))));
}

#[test]
fn unsupported_extension_names_the_supported_ones() {
    let s = Scratch::new();
    let yaml = s.write("wrangler.yaml", "name: router\n");
    assert_eq!(
        error(&yaml),
        format!(
            "{}: error: unsupported config file type `.yaml`\n  help: Switchyard reads wrangler \
             configs ending in `.toml`, `.json` or `.jsonc` (wrangler.toml, wrangler.json, \
             wrangler.jsonc)",
            yaml.display()
        )
    );
    let bare = s.write("wrangler", "name = \"router\"\n");
    assert!(error(&bare).starts_with(&format!(
        "{}: error: unsupported config file type (no file extension)",
        bare.display()
    )));
    // Extensions are matched case-insensitively.
    let upper = s.config("WRANGLER.TOML", TOML_HEAD);
    assert_eq!(ok(&upper).0.name.as_str(), "router");
}

#[test]
fn unreadable_file_is_an_error() {
    let s = Scratch::new();
    let missing = s.dir().join("nope.toml");
    let message = error(&missing);
    assert!(
        message.starts_with(&format!(
            "{}: error: cannot read config file: ",
            missing.display()
        )),
        "{message}"
    );
    assert!(message.ends_with("help: check the path given with `-c`"));
    let dir = s.dir().join("dir.toml");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(error(&dir).contains("error: cannot read config file"));
}

#[test]
fn missing_required_keys_are_reported_at_the_top() {
    let s = Scratch::new();
    let toml = s.config("wrangler.toml", "compatibility_date = \"2024-09-23\"\n");
    let jsonc = s.config(
        "wrangler.jsonc",
        "{ \"compatibility_date\": \"2024-09-23\" }\n",
    );
    for path in [&toml, &jsonc] {
        let errors = errors(path);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!(
                "{}: error: missing required key `name`\n  help: set `name` to this Worker's name",
                at(path, 1, 1)
            )),
            "{}",
            errors[0]
        );
        assert_eq!(
            errors[1],
            format!(
                "{}: error: missing entry-point: required key `main` is not set\n  help: set \
                 `main` to the Worker's entry script, relative to this config file (for example \
                 \"src/index.js\")",
                at(path, 1, 1)
            )
        );
    }
}

#[test]
fn wrong_type_for_main_names_key_expected_and_actual() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.router.toml",
        "name = \"router\"\ncompatibility_date = \"2024-09-23\"\nmain = [\"src/index.js\"]\n",
    );
    let jsonc = s.config(
        "wrangler.router.jsonc",
        "{\n  \"name\": \"router\",\n  \"main\": [\"src/index.js\"],\n  \"compatibility_date\": \
         \"2024-09-23\"\n}\n",
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `main` must be a string, found an array\n  help: write it as a string, \
             e.g. \"src/index.js\"",
            at(&toml, 3, 8)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 3, 11)));
}

#[test]
fn wrong_types_everywhere_give_identical_messages() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        "name = 42\nmain = \"src/index.js\"\ncompatibility_date = \"2024-09-23\"\n\
         compatibility_flags = \"nodejs_compat\"\nvars = \"x\"\nservices = \"auth\"\n",
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        "{\n  \"name\": 42,\n  \"main\": \"src/index.js\",\n  \"compatibility_date\": \
         \"2024-09-23\",\n  \"compatibility_flags\": \"nodejs_compat\",\n  \"vars\": \"x\",\n  \
         \"services\": \"auth\"\n}\n",
    );
    let t = errors(&toml);
    let j = errors(&jsonc);
    let firsts: Vec<&str> = t.iter().filter_map(|e| e.lines().next()).collect();
    assert_eq!(
        firsts,
        [
            format!(
                "{}: error: `name` must be a string, found a number",
                at(&toml, 1, 8)
            ),
            format!(
                "{}: error: `compatibility_flags` must be an array of strings, found a string",
                at(&toml, 4, 23)
            ),
            format!(
                "{}: error: `vars` must be an object, found a string",
                at(&toml, 5, 8)
            ),
            format!(
                "{}: error: `services` must be an array of objects, found a string",
                at(&toml, 6, 12)
            ),
        ]
    );
    assert_eq!(bodies(&t), bodies(&j));
    let j_locations: Vec<String> = j
        .iter()
        .map(|e| e.split(": error: ").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        j_locations,
        [
            at(&jsonc, 2, 11),
            at(&jsonc, 5, 26),
            at(&jsonc, 6, 11),
            at(&jsonc, 7, 15)
        ]
    );
}

#[test]
fn compatibility_flags_must_all_be_strings() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!("{TOML_HEAD}compatibility_flags = [\"nodejs_compat\", 1]\n"),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!("{JSON_HEAD}  \"compatibility_flags\": [\"nodejs_compat\", 1]\n}}\n"),
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `compatibility_flags[1]` must be a string, found a number\n  help: write \
             it as a string, e.g. \"nodejs_compat\"",
            at(&toml, 4, 41)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 5, 44)));
}

#[test]
fn invalid_worker_name_states_the_rule() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        "name = \"Auth.Worker\"\nmain = \"src/index.js\"\n",
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        "{ \"name\": \"Auth.Worker\", \"main\": \"src/index.js\" }",
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `name` is \"Auth.Worker\", which is not a valid Worker name: it contains \
             the uppercase letter `A`; Worker names are lowercase\n  help: Worker names use only \
             lowercase letters (a-z), digits (0-9), `-` and `_`, must not start with `-`, and are \
             at most 63 characters long (for example \"auth-worker\")",
            at(&toml, 1, 8)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 1, 11)));

    let long = s.config(
        "long.toml",
        &format!("name = \"{}\"\nmain = \"src/index.js\"\n", "a".repeat(64)),
    );
    assert!(error(&long).contains("it is 64 characters long; the limit is 63"));
}

#[test]
fn main_must_exist_as_a_file() {
    let s = Scratch::new();
    let toml = s.config(
        "w/wrangler.toml",
        "name = \"router\"\nmain = \"src/missing.js\"\ncompatibility_date = \"2024-09-23\"\n",
    );
    let jsonc = s.config(
        "w/wrangler.jsonc",
        "{\n  \"name\": \"router\",\n  \"main\": \"src/missing.js\",\n  \"compatibility_date\": \
         \"2024-09-23\"\n}\n",
    );
    let dir = s.dir().join("w");
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `main` is \"src/missing.js\", but {} does not exist\n  help: `main` is \
             resolved relative to the directory of this config file ({}); fix the path",
            at(&toml, 2, 8),
            dir.join("src/missing.js").display(),
            dir.display()
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 3, 11)));

    let is_dir = s.config("d/wrangler.toml", "name = \"router\"\nmain = \"src\"\n");
    assert_eq!(
        error(&is_dir),
        format!(
            "{}: error: `main` is \"src\", but {} is not a file\n  help: point `main` at the \
             Worker's entry script, e.g. \"src/index.js\"",
            at(&is_dir, 2, 8),
            s.dir().join("d/src").display()
        )
    );
}

#[test]
fn malformed_compatibility_date_is_an_error() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        "name = \"router\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-13-01\"\n",
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        "{\n  \"name\": \"router\",\n  \"main\": \"src/index.js\",\n  \"compatibility_date\": \
         \"2024-13-01\"\n}\n",
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `compatibility_date` is \"2024-13-01\", which is not a valid date: there \
             is no month 13\n  help: write it as YYYY-MM-DD, e.g. \"2026-11-01\"",
            at(&toml, 3, 22)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 4, 25)));

    let sloppy = s.config(
        "sloppy.toml",
        "name = \"router\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-9-23\"\n",
    );
    assert!(error(&sloppy).contains("not a valid date: expected the form YYYY-MM-DD"));

    // An unquoted TOML date is a date/time value, not a string: say how to fix it.
    let unquoted = s.config(
        "unquoted.toml",
        "name = \"router\"\nmain = \"src/index.js\"\ncompatibility_date = 2024-09-23\n",
    );
    assert_eq!(
        error(&unquoted),
        format!(
            "{}: error: `compatibility_date` must be a string, found a date/time\n  help: quote \
             the value: \"2024-09-23\"",
            at(&unquoted, 3, 22)
        )
    );
}

#[test]
fn vars_keys_must_be_binding_names() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!("{TOML_HEAD}[vars]\n\"MY-VAR\" = \"x\"\nOK = \"y\"\n"),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"vars\": {{\n    \"MY-VAR\": \"x\",\n    \"OK\": \"y\"\n  }}\n}}\n"
        ),
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `vars.MY-VAR` is \"MY-VAR\", which is not a valid binding name: it \
             contains `-`, which is not allowed in a JavaScript identifier\n  help: binding names \
             must be JavaScript identifiers: ASCII letters, digits, `_` and `$`, not starting \
             with a digit (for example \"AUTH\" or \"API_TOKEN\"), so the Worker can read them as \
             `env.NAME`",
            at(&toml, 5, 1)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 6, 5)));
}

#[test]
fn vars_numbers_without_json_form_are_errors() {
    let s = Scratch::new();
    let path = s.config(
        "wrangler.toml",
        &format!("{TOML_HEAD}[vars]\nX = nan\nY = [1, -inf]\n"),
    );
    let errors = errors(&path);
    assert_eq!(
        errors[0],
        format!(
            "{}: error: `vars.X` is nan, which has no JSON representation\n  help: vars reach the \
             Worker as JSON; use a finite number that fits in 64 bits, or a string such as \"nan\"",
            at(&path, 5, 5)
        )
    );
    assert!(errors[1].starts_with(&format!(
        "{}: error: `vars.Y[1]` is -inf, which has no JSON representation",
        at(&path, 6, 9)
    )));
}

#[test]
fn services_must_be_an_array_of_objects() {
    let s = Scratch::new();
    // `[services]` (single brackets) is a common slip for `[[services]]`.
    let toml = s.config(
        "wrangler.toml",
        &format!("{TOML_HEAD}[services]\nbinding = \"AUTH\"\nservice = \"auth-worker\"\n"),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!("{JSON_HEAD}  \"services\": {{ \"binding\": \"AUTH\", \"service\": \"auth-worker\" }}\n}}\n"),
    );
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: `services` must be an array of objects, found an object\n  help: write \
             each service binding as an object with `binding` and `service` in an array: one \
             `[[services]]` section per binding in TOML, \"services\": [{{ \"binding\": \"AUTH\", \
             \"service\": \"auth-worker\" }}] in JSON",
            at(&toml, 4, 1)
        )
    );
    assert_eq!(body(&error(&jsonc)), body(&error(&toml)));
    assert!(error(&jsonc).starts_with(&at(&jsonc, 5, 15)));

    let strings = s.config(
        "strings.toml",
        &format!("{TOML_HEAD}services = [\"auth-worker\"]\n"),
    );
    assert!(error(&strings).starts_with(&format!(
        "{}: error: `services[0]` must be an object, found a string",
        at(&strings, 4, 13)
    )));
}

#[test]
fn service_entries_need_binding_and_service() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}[[services]]\nservice = \"auth-worker\"\n\n[[services]]\nbinding = \"AUTH\"\n"
        ),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"services\": [\n    {{ \"service\": \"auth-worker\" }},\n    {{ \
             \"binding\": \"AUTH\" }}\n  ]\n}}\n"
        ),
    );
    let t = errors(&toml);
    let firsts: Vec<&str> = t.iter().filter_map(|e| e.lines().next()).collect();
    assert_eq!(
        firsts,
        [
            format!(
                "{}: error: missing required key `services[0].binding`",
                at(&toml, 4, 1)
            ),
            format!(
                "{}: error: missing required key `services[1].service`",
                at(&toml, 7, 1)
            ),
        ]
    );
    let j = errors(&jsonc);
    assert_eq!(bodies(&t), bodies(&j));
    assert!(j[0].starts_with(&at(&jsonc, 6, 5)));
    assert!(j[1].starts_with(&at(&jsonc, 7, 5)));
}

#[test]
fn service_entry_values_are_validated() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}[[services]]\nbinding = \"MY-AUTH\"\nservice = \"Auth_Worker\"\n\
             entrypoint = \"my-entry\"\n\n[[services]]\nbinding = 1\nservice = \"auth-worker\"\n"
        ),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"services\": [\n    {{\n      \"binding\": \"MY-AUTH\",\n      \
             \"service\": \"Auth_Worker\",\n      \"entrypoint\": \"my-entry\"\n    }},\n    {{ \
             \"binding\": 1, \"service\": \"auth-worker\" }}\n  ]\n}}\n"
        ),
    );
    let t = errors(&toml);
    let firsts: Vec<&str> = t.iter().filter_map(|e| e.lines().next()).collect();
    assert_eq!(
        firsts,
        [
            format!(
                "{}: error: `services[0].binding` is \"MY-AUTH\", which is not a valid binding \
                 name: it contains `-`, which is not allowed in a JavaScript identifier",
                at(&toml, 5, 11)
            ),
            format!(
                "{}: error: `services[0].service` is \"Auth_Worker\", which is not a valid Worker \
                 name: it contains the uppercase letter `A`; Worker names are lowercase",
                at(&toml, 6, 11)
            ),
            format!(
                "{}: error: `services[0].entrypoint` is \"my-entry\", which is not a valid \
                 entrypoint: it contains `-`, which is not allowed in a JavaScript identifier",
                at(&toml, 7, 14)
            ),
            format!(
                "{}: error: `services[1].binding` must be a string, found a number",
                at(&toml, 10, 11)
            ),
        ]
    );
    let j = errors(&jsonc);
    assert_eq!(bodies(&t), bodies(&j));
    let j_locations: Vec<&str> = j
        .iter()
        .map(|e| e.split(": error: ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        j_locations,
        [
            at(&jsonc, 7, 18),
            at(&jsonc, 8, 18),
            at(&jsonc, 9, 21),
            at(&jsonc, 11, 18)
        ]
    );
}

#[test]
fn service_entry_extra_keys_warn() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}[[services]]\nbinding = \"AUTH\"\nservice = \"auth-worker\"\n\
             environment = \"production\"\nbnding = \"X\"\n\n[[services]]\nbinding = \"CREATOR\"\n\
             service = \"creator\"\nenvironment = \"production\"\nprops = {{ a = 1 }}\n"
        ),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"services\": [\n    {{ \"binding\": \"AUTH\", \"service\": \
             \"auth-worker\", \"environment\": \"production\", \"bnding\": \"X\" }},\n    {{ \
             \"binding\": \"CREATOR\", \"service\": \"creator\", \"environment\": \"production\", \
             \"props\": {{ \"a\": 1 }} }}\n  ]\n}}\n"
        ),
    );
    let t = warnings(&toml);
    assert_eq!(
        t,
        [
            format!(
                "{}: warning: `services[0].environment` is not supported by Switchyard yet and is \
                 ignored (service environments are deprecated; bind to the Worker by name)",
                at(&toml, 7, 1)
            ),
            format!(
                "{}: warning: unknown key `services[0].bnding`; did you mean `binding`?",
                at(&toml, 8, 1)
            ),
            format!(
                "{}: warning: `services[1].props` is not supported by Switchyard yet and is ignored",
                at(&toml, 14, 1)
            ),
        ]
    );
    let j = warnings(&jsonc);
    assert_eq!(bodies(&t), bodies(&j));
    assert!(j[0].starts_with(&at(&jsonc, 6, 52)));
}

#[test]
fn unsupported_keys_warn_once_per_key() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}routes = [\"example.com/*\"]\n\n[[kv_namespaces]]\nbinding = \"KV\"\nid = \
             \"abc\"\n\n[[kv_namespaces]]\nbinding = \"KV2\"\nid = \"def\"\n\n[env.staging]\nname = \
             \"router-staging\"\n\n[env.production]\nname = \"router-prod\"\n"
        ),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"routes\": [\"example.com/*\"],\n  \"kv_namespaces\": [\n    {{ \
             \"binding\": \"KV\", \"id\": \"abc\" }},\n    {{ \"binding\": \"KV2\", \"id\": \"def\" \
             }}\n  ],\n  \"env\": {{ \"staging\": {{ \"name\": \"router-staging\" }}, \
             \"production\": {{ \"name\": \"router-prod\" }} }}\n}}\n"
        ),
    );
    let t = warnings(&toml);
    assert_eq!(
        t,
        [
            format!(
                "{}: warning: `routes` is not supported by Switchyard yet and is ignored",
                at(&toml, 4, 1)
            ),
            format!(
                "{}: warning: `kv_namespaces` is not supported by Switchyard yet and is ignored",
                at(&toml, 6, 3)
            ),
            format!(
                "{}: warning: `env` is not supported by Switchyard yet and is ignored (only the \
                 top-level configuration is used)",
                at(&toml, 14, 2)
            ),
        ]
    );
    let j = warnings(&jsonc);
    assert_eq!(bodies(&t), bodies(&j));
    let j_locations: Vec<&str> = j
        .iter()
        .map(|w| w.split(": warning: ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        j_locations,
        [at(&jsonc, 5, 3), at(&jsonc, 6, 3), at(&jsonc, 10, 3)]
    );
}

#[test]
fn local_no_op_keys_are_accepted_silently() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "\"$schema\" = \"./node_modules/wrangler/config-schema.json\"\n{TOML_HEAD}account_id = \
             \"abc\"\nworkers_dev = true\npreview_urls = false\nsend_metrics = false\nkeep_vars = \
             true\ncompliance_region = \"public\"\n"
        ),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"$schema\": \"./node_modules/wrangler/config-schema.json\",\n  \
             \"account_id\": \"abc\",\n  \"workers_dev\": true,\n  \"preview_urls\": false,\n  \
             \"send_metrics\": false,\n  \"keep_vars\": true,\n  \"compliance_region\": \
             \"public\",\n}}\n"
        ),
    );
    assert!(warnings(&toml).is_empty());
    assert!(warnings(&jsonc).is_empty());
}

#[test]
fn unknown_keys_warn_with_suggestions() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!("{TOML_HEAD}servces = []\nbanana = 1\n"),
    );
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!("{JSON_HEAD}  \"servces\": [],\n  \"banana\": 1\n}}\n"),
    );
    let t = warnings(&toml);
    assert_eq!(
        t,
        [
            format!(
                "{}: warning: unknown key `servces`; did you mean `services`?",
                at(&toml, 4, 1)
            ),
            format!("{}: warning: unknown key `banana`", at(&toml, 5, 1)),
        ]
    );
    let j = warnings(&jsonc);
    assert_eq!(bodies(&t), bodies(&j));
    assert!(j[0].starts_with(&at(&jsonc, 5, 3)));
    assert!(j[1].starts_with(&at(&jsonc, 6, 3)));
}

#[test]
fn binding_names_are_unique_across_vars_and_services() {
    let s = Scratch::new();
    let toml = s.config(
        "wrangler.toml",
        &format!(
            "{TOML_HEAD}\n[vars]\nAUTH = \"x\"\n\n[[services]]\nbinding = \"AUTH\"\nservice = \
             \"auth-worker\"\n\n[[services]]\nbinding = \"AUTH\"\nservice = \"other\"\n"
        ),
    );
    let t = errors(&toml);
    assert_eq!(
        t,
        [
            format!(
                "{}: error: binding name \"AUTH\" is used twice in Worker \"router\": here and at \
                 {}\n  help: `vars` and `services` share the Worker's `env`, so every binding \
                 needs a unique name; rename one of them",
                at(&toml, 9, 11),
                at(&toml, 6, 1)
            ),
            format!(
                "{}: error: binding name \"AUTH\" is used twice in Worker \"router\": here and at \
                 {}\n  help: `vars` and `services` share the Worker's `env`, so every binding \
                 needs a unique name; rename one of them",
                at(&toml, 13, 11),
                at(&toml, 6, 1)
            ),
        ]
    );

    // Services first in the file: the later `vars` key is the duplicate.
    let jsonc = s.config(
        "wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"services\": [{{ \"binding\": \"AUTH\", \"service\": \"auth-worker\" \
             }}],\n  \"vars\": {{ \"AUTH\": \"x\" }}\n}}\n"
        ),
    );
    assert!(error(&jsonc).starts_with(&format!(
        "{}: error: binding name \"AUTH\" is used twice in Worker \"router\": here and at {}\n",
        at(&jsonc, 6, 13),
        at(&jsonc, 5, 29)
    )));
}

#[test]
fn duplicate_keys_are_errors_in_both_formats() {
    let s = Scratch::new();
    let jsonc = s.config(
        "wrangler.jsonc",
        "{\n  \"name\": \"router\",\n  \"main\": \"src/index.js\",\n  \"name\": \"other\",\n  \
         \"vars\": { \"A\": 1, \"A\": 2 },\n  \"compatibility_date\": \"2024-09-23\"\n}\n",
    );
    assert_eq!(
        errors(&jsonc),
        [
            format!(
                "{}: error: duplicate key `name` (first defined at {})\n  help: remove one of the \
                 two definitions",
                at(&jsonc, 4, 3),
                at(&jsonc, 2, 3)
            ),
            format!(
                "{}: error: duplicate key `vars.A` (first defined at {})\n  help: remove one of \
                 the two definitions",
                at(&jsonc, 5, 21),
                at(&jsonc, 5, 13)
            ),
        ]
    );
    let toml = s.config("wrangler.toml", "name = \"router\"\nname = \"other\"\n");
    assert_eq!(
        error(&toml),
        format!(
            "{}: error: duplicate key `name`\n  help: remove one of the two definitions",
            at(&toml, 2, 1)
        )
    );
}

#[test]
fn invalid_utf8_is_located() {
    let s = Scratch::new();
    let path = s.write(
        "wrangler.toml",
        b"name = \"r\xffouter\"\nmain = \"src/index.js\"\n",
    );
    assert_eq!(
        error(&path),
        format!(
            "{}: error: invalid UTF-8: the file is not valid UTF-8 text\n  help: save the file as \
             UTF-8 text",
            at(&path, 1, 10)
        )
    );
}

#[test]
fn json_top_level_must_be_an_object() {
    let s = Scratch::new();
    let array = s.write("array.jsonc", "[1, 2]\n");
    assert!(error(&array).starts_with(&format!(
        "{}: error: a wrangler config must be an object at the top level, found an array\n",
        at(&array, 1, 1)
    )));
    for (name, text) in [("empty.json", ""), ("comment.jsonc", "// nothing here\n")] {
        let path = s.write(name, text);
        assert!(error(&path).starts_with(&format!(
            "{}: error: a wrangler config must be an object at the top level, found an empty \
             document",
            at(&path, 1, 1)
        )));
    }
}

#[test]
fn locations_keep_relative_paths_as_given() {
    let s = Scratch::new();
    let abs = s.config(
        "examples/portals/wrangler.router.toml",
        "name = \"router\"\ncompatibility_date = \"2024-09-23\"\nmain = [\"src/index.js\"]\n",
    );
    let rel = relative_to_cwd(&abs);
    assert!(rel.is_relative());
    let errors = match parse_config(&rel) {
        Err(errors) => errors,
        Ok(_) => panic!("expected an error"),
    };
    assert_eq!(errors.len(), 1);
    let location = errors.0[0]
        .location()
        .cloned()
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(location.file, rel);
    assert_eq!(location.line, 3);
    assert_eq!(location.column, 8);
    assert!(
        errors
            .to_string()
            .starts_with(&format!("{}:3:8: error:", rel.display()))
    );
    assert_eq!(errors.0[0].file(), Some(rel.as_path()));
    assert!(matches!(errors.0[0], ConfigError::WrongType { ref key, .. } if key == "main"));

    // A relative path loads, and `config_path` is made absolute (with `..` removed).
    let good = s.config("examples/ok/wrangler.toml", TOML_HEAD);
    let (config, _) = ok(&relative_to_cwd(&good));
    assert_eq!(config.config_path, good);
    assert_eq!(config.main, s.dir().join("examples/ok/src/index.js"));
}

#[test]
fn limits_parse_in_both_formats() {
    let s = Scratch::new();
    let toml = s.config(
        "t/wrangler.toml",
        &format!("{TOML_HEAD}\n[limits]\ncpu_ms = 50\nmemory_mb = 64\n"),
    );
    let jsonc = s.config(
        "j/wrangler.jsonc",
        &format!("{JSON_HEAD}  \"limits\": {{ \"cpu_ms\": 50, \"memory_mb\": 64 }},\n}}\n"),
    );
    for path in [toml, jsonc] {
        let (config, warnings) = ok(&path);
        assert_eq!(config.limits.cpu_ms, Some(50));
        assert_eq!(config.limits.memory_mb, Some(64));
        assert!(warnings.is_empty(), "{warnings:?}");
    }
    let (config, _) = ok(&s.config("d/wrangler.toml", TOML_HEAD));
    assert_eq!(config.limits, crate::Limits::default());
}

#[test]
fn bad_limits_are_errors_and_unknown_ones_warn() {
    let s = Scratch::new();
    let path = s.config(
        "t/wrangler.toml",
        &format!("{TOML_HEAD}[limits]\ncpu_ms = 0\nmemory_mb = \"128\"\ncpu_msec = 5\n"),
    );
    let errors = errors(&path);
    assert!(
        errors.iter().any(|e| e.starts_with(&at(&path, 5, 10))
            && e.contains("`limits.cpu_ms`")
            && e.contains("1 to 300000")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&at(&path, 6, 13)) && e.contains("`limits.memory_mb`")),
        "{errors:?}"
    );

    let path = s.config(
        "w/wrangler.toml",
        &format!("{TOML_HEAD}[limits]\ncpu_msec = 5\n"),
    );
    let warnings = warnings(&path);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("unknown key `limits.cpu_msec`; did you mean `cpu_ms`?")),
        "{warnings:?}"
    );
}

#[test]
fn module_rules_parse_in_both_formats() {
    let s = Scratch::new();
    let toml = s.config(
        "t/wrangler.toml",
        &format!(
            "{TOML_HEAD}\n[[rules]]\ntype = \"Text\"\nglobs = [\"**/*.md\"]\nfallthrough = \
             true\n\n[[rules]]\ntype = \"Data\"\nglobs = [\"**/*.png\", \"**/*.ico\"]\n"
        ),
    );
    let jsonc = s.config(
        "j/wrangler.jsonc",
        &format!(
            "{JSON_HEAD}  \"rules\": [{{ \"type\": \"Text\", \"globs\": [\"**/*.md\"], \
             \"fallthrough\": true }}, {{ \"type\": \"Data\", \"globs\": [\"**/*.png\", \
             \"**/*.ico\"] }}],\n}}\n"
        ),
    );
    for path in [toml, jsonc] {
        let (config, warnings) = ok(&path);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.rules.len(), 2);
        assert_eq!(config.rules[0].kind, crate::ModuleKind::Text);
        assert_eq!(config.rules[0].globs, ["**/*.md"]);
        assert!(config.rules[0].fallthrough);
        assert_eq!(config.rules[1].kind, crate::ModuleKind::Data);
        assert_eq!(config.rules[1].globs, ["**/*.png", "**/*.ico"]);
        assert!(!config.rules[1].fallthrough);
    }
}

#[test]
fn bad_module_rules_name_the_entry_and_the_fix() {
    let s = Scratch::new();
    let path = s.config(
        "t/wrangler.toml",
        &format!(
            "{TOML_HEAD}[[rules]]\ntype = \"Txt\"\nglobs = [\"**/*.md\"]\n\n[[rules]]\ntype = \
             \"Data\"\n\n[[rules]]\ntype = \"PythonModule\"\nglobs = \"*.py\"\nfallthru = true\n"
        ),
    );
    let errors = errors(&path);
    assert!(
        errors.iter().any(|e| e.starts_with(&at(&path, 5, 8))
            && e.contains("`rules[0].type` is \"Txt\"")
            && e.contains("did you mean \"Text\"?")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("`rules[1].globs`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("PythonModule") && e.contains("Python modules are not supported")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`rules[2].globs` must be an array of strings")),
        "{errors:?}"
    );
    let path = s.config(
        "w/wrangler.toml",
        &format!("{TOML_HEAD}[[rules]]\ntype = \"Text\"\nglobs = [\"*.md\"]\nfallthrogh = true\n"),
    );
    let warnings = warnings(&path);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`rules[0].fallthrogh`") && w.contains("`fallthrough`")),
        "{warnings:?}"
    );
}
