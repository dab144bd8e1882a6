//! Errors, warnings and source locations.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::names::{BINDING_NAME_RULE, WORKER_NAME_RULE, WorkerName};

/// A position in a config file: 1-based line and column (columns count characters).
///
/// `file` is the path as the user gave it (relative paths stay relative). Displays as
/// `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl Location {
    /// Line 1, column 1 of `file`: where whole-file problems such as a missing key are reported.
    pub fn top_of(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Something worth telling the user that does not stop the server (an ignored key, a default).
///
/// Displays as `file:line:col: warning: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}

/// One problem that stops the configs from loading.
///
/// Displays as `file:line:col: error: message` followed by `\n  help: how to fix it`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `load_world` was given no paths.
    #[error(
        "error: no config files given\n  help: pass at least one Worker config, e.g. \
         `switchyard dev -c wrangler.toml`; the first one is the entry Worker"
    )]
    NoConfigFiles,

    /// The same config file was given twice.
    #[error(
        "{}: error: this config file is given more than once\n  help: remove the repeated `-c {}`",
        .path.display(), .path.display()
    )]
    DuplicateConfigFile { path: PathBuf },

    /// The file extension is not `.toml`, `.json` or `.jsonc`.
    #[error(
        "{}: error: unsupported config file type{}\n  help: Switchyard reads wrangler configs \
         ending in `.toml`, `.json` or `.jsonc` (wrangler.toml, wrangler.json, wrangler.jsonc)",
        .path.display(), extension_note(.path)
    )]
    UnsupportedFormat { path: PathBuf },

    /// The file could not be read.
    #[error(
        "{}: error: cannot read config file: {reason}\n  help: check the path given with `-c`",
        .path.display()
    )]
    Read { path: PathBuf, reason: String },

    /// The TOML or JSON parser rejected the file.
    #[error("{location}: error: invalid {format}: {message}\n  help: {}", syntax_help(.format))]
    Syntax {
        location: Location,
        /// `"TOML"`, `"JSON"` or `"UTF-8"`.
        format: &'static str,
        message: String,
    },

    /// The top level of the file is not an object (JSON only; a TOML document always is).
    #[error(
        "{location}: error: a wrangler config must be an object at the top level, found {found}\n  \
         help: wrap the settings in {{ ... }}, e.g. {{ \"name\": \"my-worker\", \"main\": \
         \"src/index.js\" }}"
    )]
    NotAnObject { location: Location, found: String },

    /// A key appears twice in the same object.
    #[error(
        "{location}: error: duplicate key `{key}`{}\n  help: remove one of the two definitions",
        first_note(.first)
    )]
    DuplicateKey {
        location: Location,
        key: String,
        /// Where the key was first defined (the TOML parser does not report it).
        first: Option<Location>,
    },

    /// A required key is absent. For `main` the message uses wrangler's "missing entry-point".
    #[error("{location}: error: {}\n  help: {help}", missing_message(.key))]
    MissingKey {
        location: Location,
        key: String,
        help: String,
    },

    /// A value has the wrong type.
    #[error("{location}: error: `{key}` must be {expected}, found {found}\n  help: {help}")]
    WrongType {
        location: Location,
        key: String,
        expected: String,
        found: String,
        help: String,
    },

    /// `name` or a service binding's `service` is not a valid Worker name.
    #[error(
        "{location}: error: `{key}` is \"{value}\", which is not a valid Worker name: {reason}\n  \
         help: {WORKER_NAME_RULE}"
    )]
    InvalidWorkerName {
        location: Location,
        key: String,
        value: String,
        reason: String,
    },

    /// A `vars` key or a service binding's `binding` is not a JavaScript identifier.
    #[error(
        "{location}: error: `{key}` is \"{value}\", which is not a valid binding name: {reason}\n  \
         help: {BINDING_NAME_RULE}"
    )]
    InvalidBindingName {
        location: Location,
        key: String,
        value: String,
        reason: String,
    },

    /// A service binding's `entrypoint` is not a JavaScript identifier.
    #[error(
        "{location}: error: `{key}` is \"{value}\", which is not a valid entrypoint: {reason}\n  \
         help: `entrypoint` names a class the target Worker exports, so it must be a JavaScript \
         identifier (for example \"AdminEntrypoint\"); leave it out to use the default export"
    )]
    InvalidEntrypoint {
        location: Location,
        key: String,
        value: String,
        reason: String,
    },

    /// `compatibility_date` is not a real `YYYY-MM-DD` date.
    #[error(
        "{location}: error: `compatibility_date` is \"{value}\", which is not a valid date: \
         {reason}\n  help: write it as YYYY-MM-DD, e.g. \"{}\"",
        crate::DEFAULT_COMPATIBILITY_DATE
    )]
    InvalidCompatibilityDate {
        location: Location,
        value: String,
        reason: String,
    },

    /// `main` does not exist.
    #[error(
        "{location}: error: `main` is \"{main}\", but {} does not exist\n  help: `main` is \
         resolved relative to the directory of this config file ({}); fix the path",
        .resolved.display(), .config_dir.display()
    )]
    MainNotFound {
        location: Location,
        main: String,
        resolved: PathBuf,
        /// The directory `main` is resolved against.
        config_dir: PathBuf,
    },

    /// `main` exists but is not a file.
    #[error(
        "{location}: error: `main` is \"{main}\", but {} is not a file\n  help: point `main` at \
         the Worker's entry script, e.g. \"src/index.js\"",
        .resolved.display()
    )]
    MainNotAFile {
        location: Location,
        main: String,
        resolved: PathBuf,
    },

    /// A value that is well-typed but cannot be used (e.g. a `vars` number with no JSON form).
    #[error("{location}: error: {message}\n  help: {help}")]
    InvalidValue {
        location: Location,
        key: String,
        message: String,
        help: String,
    },

    /// Two loaded configs have the same `name`.
    #[error(
        "{location}: error: Worker name \"{name}\" is defined by two configs: {} and {}\n  help: \
         every config loaded with `-c` needs its own `name`; rename one of them (first defined at \
         {first})",
        .first.file.display(), .location.file.display()
    )]
    DuplicateWorkerName {
        location: Location,
        name: WorkerName,
        first: Location,
    },

    /// The same name is bound twice on one Worker's `env` (vars and services share it).
    #[error(
        "{location}: error: binding name \"{binding}\" is used twice in Worker {}: here and at \
         {first}\n  help: `vars` and `services` share the Worker's `env`, so every binding needs a \
         unique name; rename one of them",
        worker_label(.worker)
    )]
    DuplicateBinding {
        location: Location,
        /// The Worker's name, when it is valid.
        worker: Option<WorkerName>,
        binding: String,
        first: Location,
    },

    /// A service binding names a Worker that no loaded config defines.
    #[error(
        "{location}: error: [[services]] binding \"{binding}\" points at service \"{service}\", \
         which no loaded config defines (loaded: {}).{}\n  help: {}",
        .loaded.join(", "), did_you_mean(.suggestion), unknown_service_help(.service, .suggestion)
    )]
    UnknownService {
        location: Location,
        binding: String,
        service: String,
        /// Names of all loaded Workers, in command-line order.
        loaded: Vec<String>,
        suggestion: Option<String>,
    },
}

impl ConfigError {
    /// Where the problem is, when it has a line and column.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::NoConfigFiles
            | ConfigError::DuplicateConfigFile { .. }
            | ConfigError::UnsupportedFormat { .. }
            | ConfigError::Read { .. } => None,
            ConfigError::Syntax { location, .. }
            | ConfigError::NotAnObject { location, .. }
            | ConfigError::DuplicateKey { location, .. }
            | ConfigError::MissingKey { location, .. }
            | ConfigError::WrongType { location, .. }
            | ConfigError::InvalidWorkerName { location, .. }
            | ConfigError::InvalidBindingName { location, .. }
            | ConfigError::InvalidEntrypoint { location, .. }
            | ConfigError::InvalidCompatibilityDate { location, .. }
            | ConfigError::MainNotFound { location, .. }
            | ConfigError::MainNotAFile { location, .. }
            | ConfigError::InvalidValue { location, .. }
            | ConfigError::DuplicateWorkerName { location, .. }
            | ConfigError::DuplicateBinding { location, .. }
            | ConfigError::UnknownService { location, .. } => Some(location),
        }
    }

    /// The config file the problem is in, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::NoConfigFiles => None,
            ConfigError::DuplicateConfigFile { path }
            | ConfigError::UnsupportedFormat { path }
            | ConfigError::Read { path, .. } => Some(path),
            other => other.location().map(|l| l.file.as_path()),
        }
    }
}

/// All the problems found while loading, in file order. Displays one error after another, each
/// on its own line(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

fn extension_note(path: &Path) -> String {
    match path.extension() {
        Some(ext) => format!(" `.{}`", ext.to_string_lossy()),
        None => " (no file extension)".to_string(),
    }
}

fn syntax_help(format: &str) -> &'static str {
    match format {
        "TOML" => {
            "fix the TOML syntax at this position (the file is read as TOML because its name ends in `.toml`)"
        }
        "JSON" => "fix the JSON syntax at this position (comments and trailing commas are allowed)",
        _ => "save the file as UTF-8 text",
    }
}

fn first_note(first: &Option<Location>) -> String {
    match first {
        Some(first) => format!(" (first defined at {first})"),
        None => String::new(),
    }
}

fn missing_message(key: &str) -> String {
    if key == "main" {
        "missing entry-point: required key `main` is not set".to_string()
    } else {
        format!("missing required key `{key}`")
    }
}

fn worker_label(worker: &Option<WorkerName>) -> String {
    match worker {
        Some(name) => format!("\"{name}\""),
        None => "of this config".to_string(),
    }
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" Did you mean \"{s}\"?"),
        None => String::new(),
    }
}

fn unknown_service_help(service: &str, suggestion: &Option<String>) -> String {
    let load = format!(
        "load the config that defines \"{service}\" by adding `-c path/to/that/wrangler.toml` to \
         the command"
    );
    match suggestion {
        Some(s) => format!("if you meant \"{s}\", fix the `service` value; otherwise {load}"),
        None => load,
    }
}
