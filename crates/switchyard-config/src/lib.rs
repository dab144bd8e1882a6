//! Wrangler config loading and validation for Switchyard.
//!
//! `switchyard dev -c wrangler.router.toml -c wrangler.auth.jsonc` loads several wrangler configs:
//! the first describes the entry Worker, the others Workers reachable through service bindings.
//! This crate reads each file (`.toml`, or `.json`/`.jsonc` with comments and trailing commas),
//! checks every key Switchyard understands, and assembles the [`World`]: all Workers, with their
//! cross-file references (service bindings, unique names) verified before any server starts.
//! Every problem comes back at once as a [`ConfigError`] naming the file, line, column and key,
//! with a `help:` line saying how to fix it; things that do not stop the server (ignored keys,
//! the default compatibility date) come back as [`Warning`]s.
//!
//! It is not a full wrangler implementation: it does not bundle, deploy, or resolve
//! environments (`env.*`), and keys for features Switchyard does not run yet (KV, D1, Durable
//! Objects, routes, ...) are reported as ignored rather than interpreted. It never panics on any
//! input.
//!
//! # Keys
//!
//! * Read: `name`, `main`, `compatibility_date`, `compatibility_flags`, `vars`, `services`
//!   (`binding`, `service`, `entrypoint` in each entry).
//! * Accepted silently, because they only matter when deploying: `$schema`, `account_id`,
//!   `zone_id`, `workers_dev`, `preview_urls`, `previews`, `compliance_region`,
//!   `first_party_worker`, `send_metrics`, `keep_vars`, `legacy_env`.
//! * Known to wrangler but not supported yet (one warning per key per file, then ignored): every
//!   other binding type, triggers, routes, `env`, build and bundling options, and so on; inside a
//!   service entry, `environment`, `props` and `remote`. The full list, taken from wrangler's
//!   configuration schema, is in `src/keys.rs`.
//! * Anything else: "unknown key" warning, with a did-you-mean suggestion when one is close.
//!
//! Both formats go through one position-aware tree and one validator, so a TOML file and its
//! JSONC twin produce the same messages.
//!
//! ```no_run
//! use std::path::PathBuf;
//!
//! let paths = [
//!     PathBuf::from("wrangler.router.toml"),
//!     PathBuf::from("wrangler.auth.jsonc"),
//! ];
//! match switchyard_config::load_world(&paths) {
//!     Ok((world, warnings)) => {
//!         for warning in &warnings {
//!             eprintln!("{warning}");
//!         }
//!         println!("entry Worker: {}", world.entry().name);
//!     }
//!     Err(errors) => {
//!         // e.g. "wrangler.router.toml:12:11: error: [[services]] binding \"AUTH\" points at ..."
//!         eprintln!("{errors}");
//!         std::process::exit(1);
//!     }
//! }
//! ```

mod error;
mod keys;
mod names;
mod tree;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors, Location, Warning};
pub use names::{BindingName, InvalidName, MAX_WORKER_NAME_LEN, WorkerName};

/// The compatibility date used when a config has none (with a warning).
pub const DEFAULT_COMPATIBILITY_DATE: &str = "2026-11-01";

/// One Worker, as described by one config file.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerConfig {
    pub name: WorkerName,
    /// The config file's path as given, made absolute against the current directory, with `.` and
    /// `..` removed lexically (symlinks are not resolved).
    pub config_path: PathBuf,
    /// The entry script: absolute (cleaned like `config_path`), resolved relative to the config
    /// file's directory, and known to exist as a file when the config was loaded.
    pub main: PathBuf,
    /// `YYYY-MM-DD`; [`DEFAULT_COMPATIBILITY_DATE`] when the config has none.
    pub compatibility_date: String,
    pub compatibility_flags: Vec<String>,
    /// In file order. Strings are `Value::String`; numbers, booleans, arrays and tables/objects
    /// become the matching JSON values; TOML date/times become strings.
    pub vars: Vec<(BindingName, serde_json::Value)>,
    pub services: Vec<ServiceBinding>,
    /// `[limits]`; each unset field means the runtime's default.
    pub limits: Limits,
    /// `[[rules]]`: how imported files that are not plain JavaScript become modules, in file
    /// order. Wrangler's defaults (Text for `.txt`/`.html`/`.sql`, Data for `.bin`) apply after
    /// these; see [`ModuleRule::defaults`].
    pub rules: Vec<ModuleRule>,
}

/// One `[[rules]]` entry: files matching any of `globs` are imported as `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRule {
    pub kind: ModuleKind,
    /// Globs such as `**/*.md`, matched against the file's path relative to the directory of
    /// `main`.
    pub globs: Vec<String>,
    /// Whether later rules of the same kind (including the defaults) still apply.
    pub fallthrough: bool,
    /// Where the entry is, for errors about it.
    pub location: Location,
}

/// What a module rule turns a file into: wrangler's `type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// `ESModule`: JavaScript with `import`/`export`.
    EsModule,
    /// `CommonJS`: JavaScript with `require`/`module.exports`.
    CommonJs,
    /// `Text`: the default export is the file's text, a string.
    Text,
    /// `Data`: the default export is the file's bytes, an ArrayBuffer.
    Data,
    /// `CompiledWasm`: a `WebAssembly.Module`. Accepted in configs; importing one is an error
    /// while WebAssembly is unsupported.
    CompiledWasm,
}

impl ModuleKind {
    /// Wrangler's spelling, as written in a config.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::EsModule => "ESModule",
            ModuleKind::CommonJs => "CommonJS",
            ModuleKind::Text => "Text",
            ModuleKind::Data => "Data",
            ModuleKind::CompiledWasm => "CompiledWasm",
        }
    }
}

impl ModuleRule {
    /// Wrangler's default rules, which apply after a config's own.
    pub fn defaults() -> Vec<(ModuleKind, &'static [&'static str])> {
        vec![
            (ModuleKind::Text, &["**/*.txt", "**/*.html", "**/*.sql"]),
            (ModuleKind::Data, &["**/*.bin"]),
            (ModuleKind::CompiledWasm, &["**/*.wasm", "**/*.wasm?module"]),
        ]
    }
}

/// Resource limits of one worker: `[limits]` in the config.
///
/// `cpu_ms` and `subrequests` are wrangler's keys. `memory_mb` is Switchyard's own (Cloudflare fixes memory at
/// 128 MB per isolate); wrangler warns about it as an unexpected field and otherwise ignores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// CPU time one request may use, in milliseconds.
    pub cpu_ms: Option<u64>,
    /// Memory one isolate of this worker may use, in megabytes.
    pub memory_mb: Option<u64>,
    /// `fetch()` calls one request may make (wrangler's `subrequests`).
    pub subrequests: Option<u64>,
}

/// The largest `cpu_ms` accepted: Cloudflare's maximum, five minutes.
pub const MAX_CPU_MS: u64 = 300_000;

/// A `[[services]]` entry: `env.<binding>` calls the Worker named `service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBinding {
    pub binding: BindingName,
    pub service: WorkerName,
    /// A named export of the target Worker (a JavaScript identifier); `None` means the default
    /// export.
    pub entrypoint: Option<String>,
    /// Where the entry starts: its `[[services]]` header, or its `{` in an inline table or JSON.
    pub location: Location,
}

/// Every loaded Worker. `workers[0]` is the entry Worker (the first `-c`), the rest follow in
/// command-line order.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub workers: Vec<WorkerConfig>,
}

impl World {
    /// The entry Worker (the first config given).
    ///
    /// A `World` returned by [`load_world`] always has at least one Worker; calling this on a
    /// hand-built, empty `World` panics.
    pub fn entry(&self) -> &WorkerConfig {
        &self.workers[0]
    }

    /// The Worker with this name, if one was loaded.
    pub fn get(&self, name: &WorkerName) -> Option<&WorkerConfig> {
        self.workers.iter().find(|w| &w.name == name)
    }
}

/// Reads and validates one config file.
///
/// `path` is kept as given in every [`Location`]. Checks everything that can be checked from the
/// file alone (types, names, `main` exists, no binding name used twice) and returns all the
/// errors found, not just the first. Service bindings are not resolved here; see [`load_world`].
pub fn parse_config(path: &Path) -> Result<(WorkerConfig, Vec<Warning>), ConfigErrors> {
    validate::load_file(path)
        .into_result()
        .map_err(ConfigErrors)
}

/// Reads every config (the first is the entry Worker) and checks them together.
///
/// On top of [`parse_config`]'s checks for each file: no two configs share a `name`, the same file
/// is not given twice, and every service binding points at a loaded Worker. Errors from all files
/// are collected and returned together, in file order. Warnings come back in file order too.
pub fn load_world(paths: &[PathBuf]) -> Result<(World, Vec<Warning>), ConfigErrors> {
    if paths.is_empty() {
        return Err(ConfigError::NoConfigFiles.into());
    }

    let mut drafts = Vec::with_capacity(paths.len());
    let mut seen_files = HashSet::new();
    // Drafts of repeated files only carry the "given twice" error; skip them in cross-checks.
    let mut repeated = Vec::with_capacity(paths.len());
    for path in paths {
        let absolute = validate::absolute_clean(path).unwrap_or_else(|_| path.clone());
        if seen_files.insert(absolute) {
            drafts.push(validate::load_file(path));
            repeated.push(false);
        } else {
            drafts.push(validate::Draft::failed(
                path,
                ConfigError::DuplicateConfigFile { path: path.clone() },
            ));
            repeated.push(true);
        }
    }

    // Unique names.
    let mut first_by_name: HashMap<WorkerName, Location> = HashMap::new();
    for draft in &mut drafts {
        if let Some((name, location)) = &draft.name {
            match first_by_name.get(name) {
                Some(first) => draft.errors.push(ConfigError::DuplicateWorkerName {
                    location: location.clone(),
                    name: name.clone(),
                    first: first.clone(),
                }),
                None => {
                    first_by_name.insert(name.clone(), location.clone());
                }
            }
        }
    }

    // Service bindings resolve. Only meaningful when every file's name is known: a config with a
    // broken `name` already has an error, and might be the Worker the binding meant.
    let all_named = drafts
        .iter()
        .zip(&repeated)
        .all(|(draft, &repeated)| repeated || draft.name.is_some());
    if all_named {
        let mut loaded: Vec<String> = Vec::new();
        for (name, _) in drafts.iter().filter_map(|d| d.name.as_ref()) {
            if !loaded.iter().any(|n| n == name.as_str()) {
                loaded.push(name.to_string());
            }
        }
        for draft in &mut drafts {
            let mut errors = Vec::new();
            let own = draft.name.as_ref().map(|(name, _)| name.as_str());
            for service in &draft.services {
                let target = service.binding.service.as_str();
                if !loaded.iter().any(|n| n == target) {
                    // A worker binding to itself is never the fix for a missing service.
                    let others = loaded
                        .iter()
                        .map(String::as_str)
                        .filter(|n| Some(*n) != own);
                    let suggestion = keys::suggest(target, others).map(String::from);
                    errors.push(ConfigError::UnknownService {
                        location: service.service_location.clone(),
                        binding: service.binding.binding.to_string(),
                        service: target.to_string(),
                        loaded: loaded.clone(),
                        suggestion,
                    });
                }
            }
            draft.errors.extend(errors);
        }
    }

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut workers = Vec::with_capacity(drafts.len());
    for draft in drafts {
        match draft.into_result() {
            Ok((worker, file_warnings)) => {
                workers.push(worker);
                warnings.extend(file_warnings);
            }
            Err(file_errors) => errors.extend(file_errors),
        }
    }
    if errors.is_empty() {
        Ok((World { workers }, warnings))
    } else {
        Err(ConfigErrors(errors))
    }
}
