//! `load_world`: several configs together and the cross-file checks.

use std::path::PathBuf;

use super::support::{Scratch, at, relative_to_cwd};
use crate::{ConfigError, ConfigErrors, WorkerName, World, load_world};

fn load_ok(paths: &[PathBuf]) -> (World, Vec<String>) {
    match load_world(paths) {
        Ok((world, warnings)) => (world, warnings.iter().map(ToString::to_string).collect()),
        Err(errors) => panic!("expected the world to load, got:\n{errors}"),
    }
}

fn load_err(paths: &[PathBuf]) -> Vec<String> {
    match load_world(paths) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn world_loads_entry_first_and_resolves_bindings() {
    let s = Scratch::new();
    let router = s.config(
        "router/wrangler.toml",
        "name = \"pitchey-router\"\nmain = \"src/index.js\"\ncompatibility_date = \
         \"2024-09-23\"\n\n[[services]]\nbinding = \"AUTH\"\nservice = \"auth-worker\"\n\
         entrypoint = \"AuthApi\"\n",
    );
    let auth = s.config(
        "auth/wrangler.jsonc",
        "{ \"name\": \"auth-worker\", \"main\": \"src/index.js\" }\n",
    );
    let (world, warnings) = load_ok(&[router.clone(), auth.clone()]);
    assert_eq!(world.workers.len(), 2);
    assert_eq!(world.entry().name.as_str(), "pitchey-router");
    assert_eq!(world.entry().config_path, router);
    let auth_name = WorkerName::new("auth-worker").unwrap();
    let auth_worker = world
        .get(&auth_name)
        .unwrap_or_else(|| panic!("auth-worker loaded"));
    assert_eq!(auth_worker.config_path, auth);
    assert_eq!(world.entry().services[0].service, auth_name);
    assert!(world.get(&WorkerName::new("creator").unwrap()).is_none());
    assert_eq!(
        warnings,
        [format!(
            "{}: warning: no compatibility_date; using 2026-11-01 (set `compatibility_date` to \
             pin the runtime behaviour)",
            at(&auth, 1, 1)
        )]
    );
}

#[test]
fn no_paths_is_an_error() {
    let errors = match load_world(&[]) {
        Err(errors) => errors,
        Ok(_) => panic!("expected an error"),
    };
    assert_eq!(errors, ConfigErrors(vec![ConfigError::NoConfigFiles]));
    assert_eq!(
        errors.to_string(),
        "error: no config files given\n  help: pass at least one Worker config, e.g. \
         `switchyard dev -c wrangler.toml`; the first one is the entry Worker"
    );
}

#[test]
fn duplicate_worker_names_name_both_files() {
    let s = Scratch::new();
    let a = s.config(
        "a/wrangler.toml",
        "name = \"auth-worker\"\nmain = \"src/index.js\"\n",
    );
    let b = s.config(
        "b/wrangler.jsonc",
        "{ \"name\": \"auth-worker\", \"main\": \"src/index.js\" }\n",
    );
    assert_eq!(
        load_err(&[a.clone(), b.clone()]),
        [format!(
            "{}: error: Worker name \"auth-worker\" is defined by two configs: {} and {}\n  help: \
             every config loaded with `-c` needs its own `name`; rename one of them (first \
             defined at {})",
            at(&b, 1, 11),
            a.display(),
            b.display(),
            at(&a, 1, 8)
        )]
    );
}

fn portals(s: &Scratch, auth_service: &str) -> [PathBuf; 3] {
    let router = s.config(
        "examples/portals/wrangler.router.toml",
        &format!(
            "name = \"pitchey-router\"\nmain = \"src/index.js\"\ncompatibility_date = \
             \"2024-09-23\"\n\n[[services]]\nbinding = \"CREATOR\"\nservice = \"creator\"\n\n# \
             Auth lives in its own Worker.\n[[services]]\nbinding = \"AUTH\"\nservice = \
             \"{auth_service}\"\n"
        ),
    );
    let auth = s.config(
        "examples/portals/wrangler.auth.jsonc",
        "{\n  \"name\": \"auth-worker\",\n  \"main\": \"src/index.js\",\n  \
         \"compatibility_date\": \"2024-09-23\",\n}\n",
    );
    let creator = s.config(
        "examples/portals/wrangler.creator.toml",
        "name = \"creator\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-09-23\"\n",
    );
    [router, auth, creator].map(|p| relative_to_cwd(&p))
}

#[test]
fn unknown_service_lists_loaded_workers_and_suggests() {
    let s = Scratch::new();
    let paths = portals(&s, "auth-workr");
    assert_eq!(
        load_err(&paths),
        [format!(
            "{}:12:11: error: [[services]] binding \"AUTH\" points at service \"auth-workr\", which \
             no loaded config defines (loaded: pitchey-router, auth-worker, creator). Did you \
             mean \"auth-worker\"?\n  help: if you meant \"auth-worker\", fix the `service` \
             value; otherwise load the config that defines \"auth-workr\" by adding `-c \
             path/to/that/wrangler.toml` to the command",
            paths[0].display()
        )]
    );

    let s = Scratch::new();
    let paths = portals(&s, "billing");
    assert_eq!(
        load_err(&paths),
        [format!(
            "{}:12:11: error: [[services]] binding \"AUTH\" points at service \"billing\", which \
             no loaded config defines (loaded: pitchey-router, auth-worker, creator).\n  help: \
             load the config that defines \"billing\" by adding `-c path/to/that/wrangler.toml` \
             to the command",
            paths[0].display()
        )]
    );

    // The same configs load once every target is there.
    let s = Scratch::new();
    let paths = portals(&s, "auth-worker");
    let (world, warnings) = load_ok(&paths);
    assert!(warnings.is_empty(), "{warnings:?}");
    let names: Vec<&str> = world.workers.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["pitchey-router", "auth-worker", "creator"]);
    assert_eq!(
        world.workers[0].config_path.file_name(),
        paths[0].file_name()
    );
    assert!(world.workers[0].config_path.is_absolute());
}

#[test]
fn errors_from_all_files_are_collected_in_order() {
    let s = Scratch::new();
    let router = s.config(
        "router/wrangler.toml",
        "name = \"router\"\nmain = \"src/missing.js\"\n\n[[services]]\nbinding = \"AUTH\"\n\
         service = \"auth-worker\"\n",
    );
    let auth = s.config(
        "auth/wrangler.jsonc",
        "{ \"name\": \"Auth-Worker\", \"main\": \"src/index.js\" }\n",
    );
    let yaml = s.write("other/wrangler.yaml", "name: other\n");
    let errors = load_err(&[router.clone(), auth.clone(), yaml.clone()]);
    let firsts: Vec<&str> = errors.iter().filter_map(|e| e.lines().next()).collect();
    assert_eq!(
        firsts,
        [
            format!(
                "{}: error: `main` is \"src/missing.js\", but {} does not exist",
                at(&router, 2, 8),
                s.dir().join("router/src/missing.js").display()
            ),
            format!(
                "{}: error: `name` is \"Auth-Worker\", which is not a valid Worker name: it \
                 contains the uppercase letter `A`; Worker names are lowercase",
                at(&auth, 1, 11)
            ),
            format!(
                "{}: error: unsupported config file type `.yaml`",
                yaml.display()
            ),
        ]
    );
    // A config whose name is broken might be the binding's target: no unknown-service error.
    assert!(
        !errors
            .iter()
            .any(|e| e.contains("no loaded config defines"))
    );
}

#[test]
fn same_file_twice_is_an_error() {
    let s = Scratch::new();
    let a = s.config(
        "a/wrangler.toml",
        "name = \"router\"\nmain = \"src/index.js\"\n",
    );
    let again = s.dir().join("a/./../a/wrangler.toml");
    assert_eq!(
        load_err(&[a.clone(), again.clone()]),
        [format!(
            "{}: error: this config file is given more than once\n  help: remove the repeated \
             `-c {}`",
            again.display(),
            again.display()
        )]
    );
}

#[test]
fn config_errors_display_one_error_per_line_group() {
    let s = Scratch::new();
    let path = s.config("wrangler.toml", "compatibility_date = \"2024-09-23\"\n");
    let errors = match load_world(&[path]) {
        Err(errors) => errors,
        Ok(_) => panic!("expected errors"),
    };
    assert_eq!(errors.len(), 2);
    let joined: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.to_string(), joined.join("\n"));
    assert_eq!(errors.to_string().lines().count(), 4);
    let boxed: Box<dyn std::error::Error> = Box::new(errors);
    assert!(boxed.to_string().contains("missing required key `name`"));
}
