//! Reading one config file: pick the front-end by extension, build the generic tree, then walk it
//! once to produce a [`WorkerConfig`], warnings and errors.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::error::{ConfigError, Location, Warning};
use crate::keys::{self, TopLevel};
use crate::names::{BindingName, WORKER_NAME_RULE, WorkerName, js_identifier_problem};
use crate::tree::{Entry, Kind, Node, SourceText, SyntaxError, jsonc_front, toml_front};
use crate::{
    DEFAULT_COMPATIBILITY_DATE, Limits, MAX_CPU_MS, ModuleKind, ModuleRule, ServiceBinding,
    WorkerConfig,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "toml" => Some(Format::Toml),
        "json" | "jsonc" => Some(Format::Json),
        _ => None,
    }
}

/// A service binding plus where its `service` value is, for the cross-file check.
#[derive(Debug, Clone)]
pub(crate) struct DraftService {
    pub binding: ServiceBinding,
    pub service_location: Location,
}

/// Everything learned from one file, even when it has errors, so that `load_world` can still run
/// its cross-file checks and report every problem at once.
#[derive(Debug)]
pub(crate) struct Draft {
    /// The path as given.
    pub file: PathBuf,
    pub config_path: Option<PathBuf>,
    pub name: Option<(WorkerName, Location)>,
    pub main: Option<PathBuf>,
    pub compatibility_date: String,
    pub compatibility_flags: Vec<String>,
    pub vars: Vec<(BindingName, Value)>,
    pub services: Vec<DraftService>,
    pub limits: Limits,
    pub rules: Vec<ModuleRule>,
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<Warning>,
}

impl Draft {
    pub fn new(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            config_path: None,
            name: None,
            main: None,
            compatibility_date: DEFAULT_COMPATIBILITY_DATE.to_string(),
            compatibility_flags: Vec::new(),
            vars: Vec::new(),
            services: Vec::new(),
            limits: Limits::default(),
            rules: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn failed(file: &Path, error: ConfigError) -> Self {
        let mut draft = Self::new(file);
        draft.errors.push(error);
        draft
    }

    /// The finished config, or every error found in this file.
    pub fn into_result(mut self) -> Result<(WorkerConfig, Vec<Warning>), Vec<ConfigError>> {
        if self.errors.is_empty() {
            if let (Some((name, _)), Some(main), Some(config_path)) =
                (self.name, self.main, self.config_path)
            {
                let config = WorkerConfig {
                    name,
                    config_path,
                    main,
                    compatibility_date: self.compatibility_date,
                    compatibility_flags: self.compatibility_flags,
                    vars: self.vars,
                    services: self.services.into_iter().map(|s| s.binding).collect(),
                    limits: self.limits,
                    rules: self.rules,
                };
                return Ok((config, self.warnings));
            }
            // Unreachable by construction (a missing piece always records an error); stay total.
            self.errors.push(ConfigError::MissingKey {
                location: Location::top_of(&self.file),
                key: "name".to_string(),
                help: "internal: the config could not be assembled".to_string(),
            });
        }
        Err(self.errors)
    }
}

/// Reads, parses and validates one config file. Never panics; every problem is in the draft.
pub(crate) fn load_file(path: &Path) -> Draft {
    let mut draft = Draft::new(path);
    let Some(format) = format_of(path) else {
        draft.errors.push(ConfigError::UnsupportedFormat {
            path: path.to_path_buf(),
        });
        return draft;
    };
    let config_path = match absolute_clean(path) {
        Ok(p) => p,
        Err(e) => {
            draft.errors.push(ConfigError::Read {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
            return draft;
        }
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            draft.errors.push(ConfigError::Read {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
            return draft;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
            let (line, column) = SourceText::new(prefix.into_owned()).line_col(valid);
            draft.errors.push(ConfigError::Syntax {
                location: Location {
                    file: path.to_path_buf(),
                    line,
                    column,
                },
                format: "UTF-8",
                message: "the file is not valid UTF-8 text".to_string(),
            });
            return draft;
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    let source = SourceText::new(text);
    let config_dir = config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    draft.config_path = Some(config_path);

    let parsed = match format {
        Format::Toml => toml_front::parse(source.text()).map(Some),
        Format::Json => jsonc_front::parse(source.text()),
    };
    let mut walk = Walk {
        source: &source,
        config_dir,
        draft,
        bindings: Vec::new(),
        warned_service_keys: HashSet::new(),
    };
    match parsed {
        Ok(Some(root)) => walk.root(root),
        Ok(None) => {
            let location = Location::top_of(path);
            walk.draft.errors.push(ConfigError::NotAnObject {
                location,
                found: "an empty document".to_string(),
            });
        }
        Err(err) => walk.syntax_error(format, err),
    }
    let mut draft = walk.draft;
    draft
        .errors
        .sort_by_key(|e| e.location().map(|l| (l.line, l.column)));
    draft
        .warnings
        .sort_by_key(|w| (w.location.line, w.location.column));
    draft
}

/// The single validator both formats go through.
struct Walk<'a> {
    source: &'a SourceText,
    config_dir: PathBuf,
    draft: Draft,
    /// Every name bound on `env` (vars keys and service bindings): offset, name, location.
    bindings: Vec<(usize, String, Location)>,
    /// Unsupported keys inside `services` entries already warned about (one warning per file).
    warned_service_keys: HashSet<String>,
}

impl Walk<'_> {
    fn loc(&self, offset: usize) -> Location {
        let (line, column) = self.source.line_col(offset);
        Location {
            file: self.draft.file.clone(),
            line,
            column,
        }
    }

    fn top(&self) -> Location {
        Location::top_of(&self.draft.file)
    }

    fn error(&mut self, error: ConfigError) {
        self.draft.errors.push(error);
    }

    fn warn(&mut self, offset: usize, message: String) {
        let location = self.loc(offset);
        self.draft.warnings.push(Warning { location, message });
    }

    fn syntax_error(&mut self, format: Format, err: SyntaxError) {
        let location = self.loc(err.span.start);
        if format == Format::Toml && err.message == "duplicate key" {
            let key = self
                .source
                .text()
                .get(err.span.clone())
                .unwrap_or_default()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string();
            self.error(ConfigError::DuplicateKey {
                location,
                key,
                first: None,
            });
            return;
        }
        let format = match format {
            Format::Toml => "TOML",
            Format::Json => "JSON",
        };
        self.error(ConfigError::Syntax {
            location,
            format,
            message: err.message,
        });
    }

    fn root(&mut self, mut root: Node) {
        self.dedupe(&mut root, "");
        let entries = match root.kind {
            Kind::Table(entries) => entries,
            other => {
                let location = self.loc(root.span.start);
                self.error(ConfigError::NotAnObject {
                    location,
                    found: other.type_name().to_string(),
                });
                return;
            }
        };
        let mut has_compatibility_date = false;
        let mut has_main = false;
        let mut has_name = false;
        for entry in &entries {
            match keys::classify(&entry.key) {
                TopLevel::Supported => match entry.key.as_str() {
                    "name" => {
                        has_name = true;
                        self.name(entry);
                    }
                    "main" => {
                        has_main = true;
                        self.main(entry);
                    }
                    "compatibility_date" => {
                        has_compatibility_date = true;
                        self.compatibility_date(entry);
                    }
                    "compatibility_flags" => self.compatibility_flags(entry),
                    "vars" => self.vars(entry),
                    "limits" => self.limits(entry),
                    "rules" => self.rules(entry),
                    _ => self.services(entry),
                },
                TopLevel::LocalNoOp => {}
                TopLevel::Unsupported => {
                    let message = unsupported_message(&entry.key, &entry.key);
                    self.warn(entry.key_span.start, message);
                }
                TopLevel::Unknown => {
                    let suggestion = keys::suggest(&entry.key, keys::all_top_level());
                    let message = unknown_message(&entry.key, suggestion);
                    self.warn(entry.key_span.start, message);
                }
            }
        }
        if !has_name {
            self.error(ConfigError::MissingKey {
                location: self.top(),
                key: "name".to_string(),
                help: format!(
                    "set `name` to this Worker's name, e.g. \"my-worker\"; other configs bind to \
                     it by this name. {WORKER_NAME_RULE}"
                ),
            });
        }
        if !has_main {
            self.error(ConfigError::MissingKey {
                location: self.top(),
                key: "main".to_string(),
                help: "set `main` to the Worker's entry script, relative to this config file \
                       (for example \"src/index.js\")"
                    .to_string(),
            });
        }
        if !has_compatibility_date {
            self.warn(
                0,
                format!(
                    "no compatibility_date; using {DEFAULT_COMPATIBILITY_DATE} (set \
                     `compatibility_date` to pin the runtime behaviour)"
                ),
            );
        }
        self.check_duplicate_bindings();
    }

    /// Reports keys defined twice in one object (possible in JSON; TOML's parser already rejects
    /// them) and keeps the first definition.
    fn dedupe(&mut self, node: &mut Node, path: &str) {
        match &mut node.kind {
            Kind::Table(entries) => {
                let mut first: HashMap<String, usize> = HashMap::new();
                let mut keep = Vec::with_capacity(entries.len());
                for entry in entries.iter() {
                    let key_path = join_key(path, &entry.key);
                    match first.get(&entry.key) {
                        Some(&first_offset) => {
                            let error = ConfigError::DuplicateKey {
                                location: self.loc(entry.key_span.start),
                                key: key_path,
                                first: Some(self.loc(first_offset)),
                            };
                            self.error(error);
                            keep.push(false);
                        }
                        None => {
                            first.insert(entry.key.clone(), entry.key_span.start);
                            keep.push(true);
                        }
                    }
                }
                let mut keep = keep.into_iter();
                entries.retain(|_| keep.next().unwrap_or(true));
                for entry in entries.iter_mut() {
                    let key_path = join_key(path, &entry.key);
                    self.dedupe(&mut entry.value, &key_path);
                }
            }
            Kind::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.dedupe(item, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// The string value of `node`, or a wrong-type error for `key`.
    fn expect_string<'n>(&mut self, key: &str, node: &'n Node, example: &str) -> Option<&'n str> {
        match &node.kind {
            Kind::String(s) => Some(s),
            other => {
                let help = match other {
                    Kind::Datetime(text) => format!("quote the value: \"{text}\""),
                    _ => format!("write it as a string, e.g. \"{example}\""),
                };
                self.error(ConfigError::WrongType {
                    location: self.loc(node.span.start),
                    key: key.to_string(),
                    expected: "a string".to_string(),
                    found: other.type_name().to_string(),
                    help,
                });
                None
            }
        }
    }

    fn wrong_type(&mut self, key: &str, node: &Node, expected: &str, help: &str) {
        self.error(ConfigError::WrongType {
            location: self.loc(node.span.start),
            key: key.to_string(),
            expected: expected.to_string(),
            found: node.kind.type_name().to_string(),
            help: help.to_string(),
        });
    }

    fn name(&mut self, entry: &Entry) {
        let Some(value) = self.expect_string("name", &entry.value, "my-worker") else {
            return;
        };
        let location = self.loc(entry.value.span.start);
        match WorkerName::new(value) {
            Ok(name) => self.draft.name = Some((name, location)),
            Err(e) => self.error(ConfigError::InvalidWorkerName {
                location,
                key: "name".to_string(),
                value: e.value,
                reason: e.reason,
            }),
        }
    }

    fn main(&mut self, entry: &Entry) {
        let Some(main) = self.expect_string("main", &entry.value, "src/index.js") else {
            return;
        };
        let joined = self.config_dir.join(main);
        let resolved = absolute_clean(&joined).unwrap_or(joined);
        let location = self.loc(entry.value.span.start);
        match std::fs::metadata(&resolved) {
            Ok(meta) if meta.is_file() => self.draft.main = Some(resolved),
            Ok(_) => self.error(ConfigError::MainNotAFile {
                location,
                main: main.to_string(),
                resolved,
            }),
            Err(_) => {
                let config_dir = self.config_dir.clone();
                self.error(ConfigError::MainNotFound {
                    location,
                    main: main.to_string(),
                    resolved,
                    config_dir,
                });
            }
        }
    }

    fn compatibility_date(&mut self, entry: &Entry) {
        let Some(value) = self.expect_string(
            "compatibility_date",
            &entry.value,
            DEFAULT_COMPATIBILITY_DATE,
        ) else {
            return;
        };
        match date_problem(value) {
            None => self.draft.compatibility_date = value.to_string(),
            Some(reason) => self.error(ConfigError::InvalidCompatibilityDate {
                location: self.loc(entry.value.span.start),
                value: value.to_string(),
                reason,
            }),
        }
    }

    fn compatibility_flags(&mut self, entry: &Entry) {
        let Kind::Array(items) = &entry.value.kind else {
            self.wrong_type(
                "compatibility_flags",
                &entry.value,
                "an array of strings",
                "list the flags in an array, e.g. [\"nodejs_compat\"]",
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let key = format!("compatibility_flags[{i}]");
            if let Some(flag) = self.expect_string(&key, item, "nodejs_compat") {
                self.draft.compatibility_flags.push(flag.to_string());
            }
        }
    }

    fn limits(&mut self, entry: &Entry) {
        let Kind::Table(fields) = &entry.value.kind else {
            self.wrong_type(
                "limits",
                &entry.value,
                "an object",
                "write `[limits]` with `cpu_ms = 50` in TOML, \"limits\": { \"cpu_ms\": 50 } in JSON",
            );
            return;
        };
        for field in fields {
            let key_path = join_key("limits", &field.key);
            let (max, unit) = match field.key.as_str() {
                "cpu_ms" => (MAX_CPU_MS, "milliseconds of CPU time per request"),
                "memory_mb" => (65_536, "megabytes per isolate"),
                "subrequests" => (10_000_000, "fetch() calls per request"),
                other => {
                    let suggestion = keys::suggest(other, ["cpu_ms", "memory_mb", "subrequests"]);
                    let message = unknown_message(&key_path, suggestion);
                    self.warn(field.key_span.start, message);
                    continue;
                }
            };
            let number = match &field.value.kind {
                Kind::Number { value: Some(n), .. } => n.as_u64().filter(|n| (1..=max).contains(n)),
                _ => None,
            };
            match number {
                Some(n) if field.key == "cpu_ms" => self.draft.limits.cpu_ms = Some(n),
                Some(n) if field.key == "subrequests" => self.draft.limits.subrequests = Some(n),
                Some(n) => self.draft.limits.memory_mb = Some(n),
                None => self.wrong_type(
                    &key_path,
                    &field.value,
                    &format!("a whole number from 1 to {max}"),
                    &format!(
                        "set `{key_path}` to {unit}, e.g. {key} = 50",
                        key = field.key
                    ),
                ),
            }
        }
    }

    fn rules(&mut self, entry: &Entry) {
        let Kind::Array(items) = &entry.value.kind else {
            self.wrong_type(
                "rules",
                &entry.value,
                "an array of objects",
                RULES_SHAPE_HELP,
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("rules[{i}]");
            let Kind::Table(fields) = &item.kind else {
                self.wrong_type(&path, item, "an object", RULES_SHAPE_HELP);
                continue;
            };
            let mut kind = None;
            let mut globs = None;
            let mut fallthrough = false;
            let mut saw_type = false;
            for field in fields {
                let key = format!("{path}.{}", field.key);
                match field.key.as_str() {
                    "type" => {
                        saw_type = true;
                        let Some(value) = self.expect_string(&key, &field.value, "Text") else {
                            continue;
                        };
                        kind = match value {
                            "ESModule" => Some(ModuleKind::EsModule),
                            "CommonJS" => Some(ModuleKind::CommonJs),
                            "Text" => Some(ModuleKind::Text),
                            "Data" => Some(ModuleKind::Data),
                            "CompiledWasm" => Some(ModuleKind::CompiledWasm),
                            other => {
                                let known =
                                    ["ESModule", "CommonJS", "Text", "Data", "CompiledWasm"];
                                let help = match keys::suggest(other, known) {
                                    Some(s) => format!("did you mean \"{s}\"?"),
                                    None if other.starts_with("Python") => {
                                        "Python modules are not supported; Switchyard runs \
                                         JavaScript and TypeScript workers"
                                            .to_string()
                                    }
                                    None => format!("use one of {}", known.join(", ")),
                                };
                                self.error(ConfigError::InvalidValue {
                                    location: self.loc(field.value.span.start),
                                    key,
                                    message: format!(
                                        "`{path}.type` is \"{other}\", which is not a module type"
                                    ),
                                    help,
                                });
                                None
                            }
                        };
                    }
                    "globs" => {
                        let Kind::Array(values) = &field.value.kind else {
                            self.wrong_type(
                                &key,
                                &field.value,
                                "an array of strings",
                                "list the files to match, e.g. globs = [\"**/*.md\"]",
                            );
                            continue;
                        };
                        let mut list = Vec::new();
                        for (j, value) in values.iter().enumerate() {
                            if let Some(glob) =
                                self.expect_string(&format!("{key}[{j}]"), value, "**/*.md")
                            {
                                list.push(glob.to_string());
                            }
                        }
                        globs = Some(list);
                    }
                    "fallthrough" => match field.value.kind {
                        Kind::Bool(b) => fallthrough = b,
                        _ => self.wrong_type(
                            &key,
                            &field.value,
                            "true or false",
                            "set `fallthrough = true` to let later rules of this type apply too",
                        ),
                    },
                    other => {
                        let suggestion = keys::suggest(other, ["type", "globs", "fallthrough"]);
                        let message = unknown_message(&key, suggestion);
                        self.warn(field.key_span.start, message);
                    }
                }
            }
            if !saw_type {
                self.error(ConfigError::MissingKey {
                    location: self.loc(item.span.start),
                    key: format!("{path}.type"),
                    help: RULES_SHAPE_HELP.to_string(),
                });
            }
            let Some(globs) = globs else {
                self.error(ConfigError::MissingKey {
                    location: self.loc(item.span.start),
                    key: format!("{path}.globs"),
                    help: RULES_SHAPE_HELP.to_string(),
                });
                continue;
            };
            if let Some(kind) = kind {
                self.draft.rules.push(ModuleRule {
                    kind,
                    globs,
                    fallthrough,
                    location: self.loc(item.span.start),
                });
            }
        }
    }

    fn vars(&mut self, entry: &Entry) {
        let Kind::Table(fields) = &entry.value.kind else {
            self.wrong_type(
                "vars",
                &entry.value,
                "an object",
                "put the variables in an object: a `[vars]` table in TOML, \"vars\": { ... } in \
                 JSON",
            );
            return;
        };
        for field in fields {
            let key_path = join_key("vars", &field.key);
            let location = self.loc(field.key_span.start);
            let name = match BindingName::new(field.key.as_str()) {
                Ok(name) => Some(name),
                Err(e) => {
                    self.error(ConfigError::InvalidBindingName {
                        location: location.clone(),
                        key: key_path.clone(),
                        value: e.value,
                        reason: e.reason,
                    });
                    None
                }
            };
            let value = self.var_value(&key_path, &field.value);
            if let (Some(name), Some(value)) = (name, value) {
                self.bindings
                    .push((field.key_span.start, name.to_string(), location));
                self.draft.vars.push((name, value));
            }
        }
    }

    /// Converts a `vars` value to JSON: strings stay strings, TOML date/times become strings.
    fn var_value(&mut self, key: &str, node: &Node) -> Option<Value> {
        Some(match &node.kind {
            Kind::String(s) => Value::String(s.clone()),
            Kind::Datetime(s) => Value::String(s.clone()),
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Null => Value::Null,
            Kind::Number { value: Some(n), .. } => Value::Number(n.clone()),
            Kind::Number { text, value: None } => {
                self.error(ConfigError::InvalidValue {
                    location: self.loc(node.span.start),
                    key: key.to_string(),
                    message: format!("`{key}` is {text}, which has no JSON representation"),
                    help: format!(
                        "vars reach the Worker as JSON; use a finite number that fits in 64 bits, \
                         or a string such as \"{text}\""
                    ),
                });
                return None;
            }
            Kind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match self.var_value(&format!("{key}[{i}]"), item) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::Array(out)
            }
            Kind::Table(entries) => {
                let mut out = serde_json::Map::new();
                let mut ok = true;
                for entry in entries {
                    match self.var_value(&join_key(key, &entry.key), &entry.value) {
                        Some(v) => {
                            out.insert(entry.key.clone(), v);
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::Object(out)
            }
        })
    }

    fn services(&mut self, entry: &Entry) {
        let Kind::Array(items) = &entry.value.kind else {
            self.wrong_type(
                "services",
                &entry.value,
                "an array of objects",
                SERVICES_SHAPE_HELP,
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("services[{i}]");
            self.service(&path, item);
        }
    }

    fn service(&mut self, path: &str, item: &Node) {
        let Kind::Table(fields) = &item.kind else {
            self.wrong_type(path, item, "an object", SERVICES_SHAPE_HELP);
            return;
        };
        let mut binding: Option<(BindingName, usize)> = None;
        let mut service: Option<(WorkerName, usize)> = None;
        let mut entrypoint: Option<String> = None;
        let mut saw_binding = false;
        let mut saw_service = false;
        for field in fields {
            let key = format!("{path}.{}", field.key);
            let offset = field.value.span.start;
            match field.key.as_str() {
                "binding" => {
                    saw_binding = true;
                    let Some(value) = self.expect_string(&key, &field.value, "AUTH") else {
                        continue;
                    };
                    match BindingName::new(value) {
                        Ok(name) => binding = Some((name, offset)),
                        Err(e) => self.error(ConfigError::InvalidBindingName {
                            location: self.loc(offset),
                            key,
                            value: e.value,
                            reason: e.reason,
                        }),
                    }
                }
                "service" => {
                    saw_service = true;
                    let Some(value) = self.expect_string(&key, &field.value, "auth-worker") else {
                        continue;
                    };
                    match WorkerName::new(value) {
                        Ok(name) => service = Some((name, offset)),
                        Err(e) => self.error(ConfigError::InvalidWorkerName {
                            location: self.loc(offset),
                            key,
                            value: e.value,
                            reason: e.reason,
                        }),
                    }
                }
                "entrypoint" => {
                    let Some(value) = self.expect_string(&key, &field.value, "AdminEntrypoint")
                    else {
                        continue;
                    };
                    match js_identifier_problem(value) {
                        None => entrypoint = Some(value.to_string()),
                        Some(reason) => self.error(ConfigError::InvalidEntrypoint {
                            location: self.loc(offset),
                            key,
                            value: value.to_string(),
                            reason,
                        }),
                    }
                }
                other if keys::SERVICE_UNSUPPORTED.contains(&other) => {
                    if self.warned_service_keys.insert(other.to_string()) {
                        let message = unsupported_message(&key, other);
                        self.warn(field.key_span.start, message);
                    }
                }
                other => {
                    let known = keys::SERVICE_SUPPORTED
                        .iter()
                        .chain(keys::SERVICE_UNSUPPORTED)
                        .copied();
                    let suggestion = keys::suggest(other, known);
                    let message = unknown_message(&key, suggestion);
                    self.warn(field.key_span.start, message);
                }
            }
        }
        if !saw_binding {
            self.error(ConfigError::MissingKey {
                location: self.loc(item.span.start),
                key: format!("{path}.binding"),
                help: "add `binding`, the name the Worker uses to call the service (`env.AUTH`), \
                       e.g. \"AUTH\""
                    .to_string(),
            });
        }
        if !saw_service {
            self.error(ConfigError::MissingKey {
                location: self.loc(item.span.start),
                key: format!("{path}.service"),
                help: "add `service`, the `name` of the Worker to call, e.g. \"auth-worker\""
                    .to_string(),
            });
        }
        if let (Some((binding, binding_offset)), Some((service, service_offset))) =
            (binding, service)
        {
            let binding_location = self.loc(binding_offset);
            self.bindings
                .push((binding_offset, binding.to_string(), binding_location));
            let service_location = self.loc(service_offset);
            self.draft.services.push(DraftService {
                binding: ServiceBinding {
                    binding,
                    service,
                    entrypoint,
                    location: self.loc(item.span.start),
                },
                service_location,
            });
        }
    }

    /// `vars` and `services` share `env`: every name may be bound once.
    fn check_duplicate_bindings(&mut self) {
        let mut bindings = std::mem::take(&mut self.bindings);
        bindings.sort_by_key(|(offset, _, _)| *offset);
        let mut first: HashMap<&str, &Location> = HashMap::new();
        let worker = self.draft.name.as_ref().map(|(name, _)| name.clone());
        for (_, name, location) in &bindings {
            match first.get(name.as_str()) {
                Some(first_location) => self.draft.errors.push(ConfigError::DuplicateBinding {
                    location: location.clone(),
                    worker: worker.clone(),
                    binding: name.clone(),
                    first: (*first_location).clone(),
                }),
                None => {
                    first.insert(name, location);
                }
            }
        }
    }
}

const SERVICES_SHAPE_HELP: &str = "write each service binding as an object with `binding` and \
     `service` in an array: one `[[services]]` section per binding in TOML, \"services\": [{ \
     \"binding\": \"AUTH\", \"service\": \"auth-worker\" }] in JSON";

const RULES_SHAPE_HELP: &str = "write each rule as an object with `type` and `globs`: one \
     `[[rules]]` section per rule in TOML with type = \"Text\" and globs = [\"**/*.md\"], \
     \"rules\": [{ \"type\": \"Text\", \"globs\": [\"**/*.md\"] }] in JSON";

fn unsupported_message(key_path: &str, key: &str) -> String {
    let mut message = format!("`{key_path}` is not supported by Switchyard yet and is ignored");
    if let Some(note) = keys::unsupported_note(key) {
        message.push_str(" (");
        message.push_str(note);
        message.push(')');
    }
    message
}

fn unknown_message(key_path: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("unknown key `{key_path}`; did you mean `{s}`?"),
        None => format!("unknown key `{key_path}`"),
    }
}

/// `path` made absolute (against the current directory) with `.` and `..` removed lexically.
///
/// Lexical `..` removal matches what users see in their editor and keeps messages readable;
/// symlinks are not resolved.
pub(crate) fn absolute_clean(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut clean = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // The path is absolute, so this never empties it: `/..` stays `/`, as for the OS.
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    Ok(clean)
}

/// `parent.key`, quoting keys that are not plain words.
fn join_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    let key = if plain {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `None` when `value` is a real calendar date written `YYYY-MM-DD`.
fn date_problem(value: &str) -> Option<String> {
    let b = value.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Some("expected the form YYYY-MM-DD".to_string());
    }
    let num = |range: std::ops::Range<usize>| {
        value
            .get(range)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&month) {
        return Some(format!("there is no month {month:02}"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return Some(format!("{year:04}-{month:02} has no day {day:02}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_problem("2024-02-29"), None);
        assert_eq!(date_problem("2000-02-29"), None);
        assert_eq!(date_problem("2026-11-01"), None);
        assert_eq!(
            date_problem("2023-02-29").as_deref(),
            Some("2023-02 has no day 29")
        );
        assert_eq!(
            date_problem("1900-02-29").as_deref(),
            Some("1900-02 has no day 29")
        );
        assert_eq!(
            date_problem("2024-13-01").as_deref(),
            Some("there is no month 13")
        );
        assert_eq!(
            date_problem("2024-00-01").as_deref(),
            Some("there is no month 00")
        );
        assert_eq!(
            date_problem("2024-04-31").as_deref(),
            Some("2024-04 has no day 31")
        );
        for bad in [
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "2024-01-01T00:00",
            "",
            "２０２４-01-01",
        ] {
            assert_eq!(
                date_problem(bad).as_deref(),
                Some("expected the form YYYY-MM-DD"),
                "{bad}"
            );
        }
    }

    #[test]
    fn key_paths() {
        assert_eq!(join_key("", "name"), "name");
        assert_eq!(join_key("vars", "API_URL"), "vars.API_URL");
        assert_eq!(join_key("vars", "my key"), "vars.\"my key\"");
        assert_eq!(join_key("vars", ""), "vars.\"\"");
    }
}
