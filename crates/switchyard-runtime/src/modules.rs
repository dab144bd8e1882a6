//! A worker's module graph: every file reachable from `main`, resolved and compiled once at
//! start-up, then shared by the isolates of every thread.
//!
//! Resolving the whole graph before any isolate exists means a bad import is reported with the
//! importing file's line and column before the server starts, and evaluating a module in a new
//! isolate never touches the file system or the compilers.
//!
//! Imports resolve the way wrangler's bundler resolves them: Node's algorithm over
//! `node_modules`, package.json `exports`/`imports` with the conditions `workerd`, `worker`,
//! `browser`, `import` (or `require`), `module`, `default`, the `browser`/`module`/`main` fields,
//! `tsconfig.json` `paths`, and `.js` specifiers that name `.ts` files. Files that are not
//! JavaScript become modules by wrangler's module rules (`[[rules]]`, then Text for `.txt`,
//! `.html` and `.sql`, Data for `.bin`) or as JSON.
//!
//! CommonJS files run the way a bundler runs them: each becomes a *define* module that registers
//! the file's code as a function without running it, and ES modules that import it get a
//! *facade* module that runs it (once, through `switchyard:modules`) and exports
//! `module.exports` as the default export plus its properties by name. `require()` calls with a
//! string literal are resolved at load time; the define module imports what they need, so a
//! `require` runs synchronously, in order, cycles included, as in Node.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver as PathResolver, TsconfigDiscovery};
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Module, module::Declared};
use switchyard_config::{ModuleKind as RuleKind, ModuleRule};

use crate::sourcemap::LineMap;
use crate::transpile::{self, Format, FormatHint, Scan, line_col};

/// The specifier of Switchyard's built-in `cloudflare:workers` module.
pub const CLOUDFLARE_WORKERS: &str = "cloudflare:workers";
const CLOUDFLARE_WORKERS_SOURCE: &str = include_str!("js/cloudflare_workers.js");
/// Helpers the generated CommonJS and data modules import; not importable by workers.
const MODULES_RUNTIME: &str = "switchyard:modules";
const MODULES_RUNTIME_SOURCE: &str = include_str!("js/modules.js");
/// What a package's `"browser": { "x": false }` turns an import into.
const EMPTY_MODULE: &str = "switchyard:empty";
/// The name generated code gives the `switchyard:modules` namespace.
const RT: &str = "__switchyard_modules";

/// What a module in the graph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// An ES module (JavaScript or TypeScript).
    Esm,
    /// A CommonJS file's define module: its code, registered to run on first `require`.
    CommonJs,
    /// The ES module through which `import` reaches a CommonJS file (generated, no source).
    Facade,
    /// `export default` the parsed JSON.
    Json,
    /// `export default` the text, a string (module rule `Text`).
    Text,
    /// `export default` the bytes, an ArrayBuffer (module rule `Data`).
    Data,
}

/// One module, ready to evaluate.
#[derive(Debug)]
pub struct CompiledModule {
    pub path: PathBuf,
    pub kind: ModuleKind,
    pub code: String,
    pub map: Option<LineMap>,
    /// Original source size in bytes (0 for facades).
    pub source_len: usize,
    /// Specifier → the module name it resolves to, or why it does not resolve (a dynamic import
    /// that failed at load time rejects with this reason when it runs).
    resolved: HashMap<String, Result<String, String>>,
    /// QuickJS bytecode, written by the first isolate that compiles the module, so later ones
    /// (other threads, recycled isolates) skip parsing.
    bytecode: OnceLock<Vec<u8>>,
}

impl CompiledModule {
    /// Declare this module in `ctx` as `name`: from bytecode when an earlier isolate compiled it.
    pub(crate) fn declare<'js>(
        &self,
        ctx: &Ctx<'js>,
        name: &str,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        declare_cached(ctx, name, &self.code, &self.bytecode, false)
    }
}

/// Declare a module from bytecode if `cache` has it, else compile `code` and fill `cache`.
pub(crate) fn declare_cached<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    code: &str,
    cache: &OnceLock<Vec<u8>>,
    strip_source: bool,
) -> rquickjs::Result<Module<'js, Declared>> {
    if let Some(bytes) = cache.get() {
        // SAFETY: `Module::load` needs valid QuickJS bytecode. These bytes were written by
        // `Module::write` below, by this same engine build in this process, from this module's
        // code under this name, and never change.
        return unsafe { Module::load(ctx.clone(), bytes) };
    }
    let declared = Module::declare(ctx.clone(), name, code)?;
    // User code keeps its source so `Function.prototype.toString` still shows it (each isolate
    // then holds a copy); Switchyard's own modules drop it. Debug info stays for stack traces.
    let options = rquickjs::module::WriteOptions {
        strip_source,
        ..rquickjs::module::WriteOptions::default()
    };
    if let Ok(bytes) = declared.write(options) {
        let _ = cache.set(bytes);
    }
    Ok(declared)
}

/// All modules of one worker, keyed by module name (the absolute path as a string; a CommonJS
/// file's facade adds `?esm`).
#[derive(Debug)]
pub struct ModuleGraph {
    pub entry: String,
    pub modules: HashMap<String, Arc<CompiledModule>>,
    /// Problems that do not stop the worker: a `require` or dynamic `import` that cannot be
    /// resolved throws only if it runs.
    pub warnings: Vec<String>,
}

/// Why a worker's modules could not be loaded. Shown to the user before the server starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// `main` or an imported file could not be read.
    Read { path: PathBuf, message: String },
    /// A file type the loader does not handle (JSX, WebAssembly, …): `what` completes "… are
    /// not supported".
    Unsupported {
        path: PathBuf,
        what: String,
        help: String,
    },
    /// The parser rejected a file.
    Syntax {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    /// An import names something that is not there or not supported.
    Import {
        importer: PathBuf,
        line: u32,
        column: u32,
        specifier: String,
        reason: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, message } => {
                write!(
                    f,
                    "{}: error: cannot read module: {message}",
                    display_path(path)
                )
            }
            LoadError::Unsupported { path, what, help } => write!(
                f,
                "{}: error: {what} are not supported\n  help: {help}",
                display_path(path)
            ),
            LoadError::Syntax {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "{}:{line}:{column}: error: {message}",
                display_path(path)
            ),
            LoadError::Import {
                importer,
                line,
                column,
                specifier,
                reason,
            } => write!(
                f,
                "{}:{line}:{column}: error: cannot import \"{specifier}\": {reason}",
                display_path(importer)
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// A path as users like to read it: relative to the working directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(relative) = path.strip_prefix(&cwd)
    {
        return relative.display().to_string();
    }
    path.display().to_string()
}

impl ModuleGraph {
    /// Load `main` and everything it imports, statically, with wrangler's default module rules.
    pub fn load(main: &Path) -> Result<ModuleGraph, LoadError> {
        ModuleGraph::load_with_rules(main, &[])
    }

    /// Load `main` and everything it imports; `rules` are the worker's `[[rules]]`.
    pub fn load_with_rules(main: &Path, rules: &[ModuleRule]) -> Result<ModuleGraph, LoadError> {
        // The resolver returns real paths; `main` must be one too, or a file reached both ways
        // (through a symlinked directory) would be loaded twice.
        let main = std::fs::canonicalize(main).unwrap_or_else(|_| normalize(main));
        let base = main.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mut walk = Walk::new(base, rules);
        let mut pending = vec![main.clone()];
        while let Some(path) = pending.pop() {
            if walk.files.contains_key(&path) {
                continue;
            }
            let file = walk.parse(&path)?;
            for edge in file.edges() {
                if let Target::File(target) = &edge.target
                    && !walk.files.contains_key(target)
                {
                    pending.push(target.clone());
                }
            }
            walk.files.insert(path, file);
        }
        Ok(walk.emit(&main))
    }

    /// Number of files (facades are not files).
    pub fn file_count(&self) -> usize {
        self.files().count()
    }

    /// The files of the graph, each once.
    pub fn files(&self) -> impl Iterator<Item = &CompiledModule> {
        self.modules
            .values()
            .filter(|m| m.kind != ModuleKind::Facade)
            .map(|m| &**m)
    }

    /// Total size of the original sources, in bytes.
    pub fn source_size(&self) -> usize {
        self.files().map(|m| m.source_len).sum()
    }

    /// Rewrite `path:line:col` positions in a JS stack trace: transpiled positions become the
    /// original ones, and absolute paths become relative to the working directory.
    pub fn map_stack(&self, stack: &str) -> String {
        let mut out = String::with_capacity(stack.len());
        for (i, line) in stack.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.map_frame(line));
        }
        out
    }

    fn map_frame(&self, frame: &str) -> String {
        // Frames look like `    at fetch (/abs/src/index.ts:12:5)` or `    at /abs/src/index.ts:3:1`.
        let Some(at) = frame.find("at ") else {
            return frame.to_owned();
        };
        let (location, prefix, suffix) = match (frame.rfind('('), frame.ends_with(')')) {
            (Some(open), true) if open > at => {
                (&frame[open + 1..frame.len() - 1], &frame[..=open], ")")
            }
            _ => (&frame[at + 3..], &frame[..at + 3], ""),
        };
        let mut parts = location.rsplitn(3, ':');
        let (Some(column), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            return frame.to_owned();
        };
        let (Ok(line), Ok(column)) = (line.parse::<u32>(), column.parse::<u32>()) else {
            return frame.to_owned();
        };
        let Some(module) = self.modules.get(file) else {
            return frame.to_owned();
        };
        let (line, column) = match &module.map {
            Some(map) => map.original(line, column).unwrap_or((line, column)),
            None => (line, column),
        };
        format!(
            "{prefix}{}:{line}:{column}{suffix}",
            display_path(&module.path)
        )
    }

    /// The module loader QuickJS calls while evaluating this graph.
    pub fn loader(self: &Arc<Self>) -> GraphLoader {
        GraphLoader(self.clone())
    }
}

/// What an import resolved to.
#[derive(Debug, Clone)]
enum Target {
    File(PathBuf),
    CloudflareWorkers,
    /// `false` in a package's `browser` map.
    Empty,
    /// Not resolvable: why. Only for `require` and dynamic `import`, which fail when they run.
    Missing(String),
}

#[derive(Debug, Clone)]
struct Edge {
    specifier: String,
    target: Target,
    /// Names taken, for static imports (see [`transpile::Import::names`]).
    names: Vec<String>,
}

/// One file as read and compiled, before the graph's modules are generated from it.
#[derive(Debug)]
struct ParsedFile {
    kind: ModuleKind,
    code: String,
    map: Option<LineMap>,
    source_len: usize,
    imports: Vec<Edge>,
    dynamic_imports: Vec<Edge>,
    requires: Vec<Edge>,
    scan: Scan,
    /// CommonJS that must run in sloppy mode (see [`transpile::Transpiled::sloppy`]).
    sloppy: bool,
}

impl ParsedFile {
    fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.imports
            .iter()
            .chain(&self.dynamic_imports)
            .chain(&self.requires)
    }
}

/// The state of one graph load.
struct Walk {
    esm: PathResolver,
    cjs: PathResolver,
    /// The directory of `main`: module rule globs match paths relative to it.
    base: PathBuf,
    rules: Vec<(RuleKind, Vec<String>)>,
    files: HashMap<PathBuf, ParsedFile>,
    warnings: Vec<String>,
}

/// The export conditions wrangler's bundler resolves with, before `import`/`require`.
const CONDITIONS: [&str; 3] = ["workerd", "worker", "browser"];

impl Walk {
    fn new(base: PathBuf, rules: &[ModuleRule]) -> Walk {
        let options = |kind: &str| ResolveOptions {
            condition_names: CONDITIONS
                .iter()
                .copied()
                .chain([kind, "module", "default"])
                .map(String::from)
                .collect(),
            main_fields: vec!["browser".into(), "module".into(), "main".into()],
            alias_fields: vec![vec!["browser".into()]],
            extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".cts", ".json"]
                .map(String::from)
                .to_vec(),
            // `import "./x.js"` in a TypeScript project means `./x.ts`, when there is no x.js.
            extension_alias: vec![
                (".js".into(), vec![".js".into(), ".ts".into()]),
                (".mjs".into(), vec![".mjs".into(), ".mts".into()]),
                (".cjs".into(), vec![".cjs".into(), ".cts".into()]),
            ],
            tsconfig: Some(TsconfigDiscovery::Auto),
            // Off: a package named like a Node built-in (`buffer`, `events`, `util`) that is
            // installed must win, and a `browser` map may map a built-in to `false`, as with
            // esbuild. Built-in names are recognised after resolution fails.
            builtin_modules: false,
            node_path: false,
            ..ResolveOptions::default()
        };
        let esm = PathResolver::new(options("import"));
        let cjs = esm.clone_with_options(options("require"));
        Walk {
            esm,
            cjs,
            base,
            rules: effective_rules(rules),
            files: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    /// What kind of module a file is, by the module rules, then its extension.
    fn classify(&self, path: &Path) -> Result<(ModuleKind, FormatHint), LoadError> {
        let relative = relative_for_glob(&self.base, path);
        let by_rule = self.rules.iter().find_map(|(kind, globs)| {
            globs
                .iter()
                .any(|glob| fast_glob::glob_match(glob, &relative))
                .then_some(*kind)
        });
        let unsupported = |what: &str, help: &str| LoadError::Unsupported {
            path: path.to_path_buf(),
            what: what.to_owned(),
            help: help.to_owned(),
        };
        let wasm_help = "WebAssembly is not available in Switchyard yet; `WebAssembly` is \
                         undefined in workers";
        match by_rule {
            Some(RuleKind::EsModule) => return Ok((ModuleKind::Esm, FormatHint::Esm)),
            Some(RuleKind::CommonJs) => return Ok((ModuleKind::CommonJs, FormatHint::CommonJs)),
            Some(RuleKind::Text) => return Ok((ModuleKind::Text, FormatHint::Detect)),
            Some(RuleKind::Data) => return Ok((ModuleKind::Data, FormatHint::Detect)),
            Some(RuleKind::CompiledWasm) => {
                return Err(unsupported("WebAssembly modules", wasm_help));
            }
            None => {}
        }
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        Ok(match extension {
            "js" | "ts" => (ModuleKind::Esm, FormatHint::Detect),
            "mjs" | "mts" => (ModuleKind::Esm, FormatHint::Esm),
            "cjs" | "cts" => (ModuleKind::CommonJs, FormatHint::CommonJs),
            "json" => (ModuleKind::Json, FormatHint::Detect),
            "jsx" | "tsx" => {
                return Err(unsupported(
                    "JSX (.jsx, .tsx) modules",
                    "compile JSX to JavaScript first, or write the markup as strings or with a \
                     tagged-template library",
                ));
            }
            "wasm" => return Err(unsupported("WebAssembly modules", wasm_help)),
            _ => {
                let what = if extension.is_empty() {
                    "imports of files without an extension".to_owned()
                } else {
                    format!("imports of .{extension} files")
                };
                return Err(unsupported(
                    &what,
                    &format!(
                        "Switchyard loads JavaScript (.js, .mjs, .cjs), TypeScript (.ts, .mts, \
                         .cts) and JSON; to import this file as a string or as bytes, add a \
                         module rule to the worker's config: [[rules]] type = \"Text\" (or \
                         \"Data\") globs = [\"**/*.{}\"]",
                        if extension.is_empty() {
                            "ext"
                        } else {
                            extension
                        }
                    ),
                ));
            }
        })
    }

    fn parse(&mut self, path: &Path) -> Result<ParsedFile, LoadError> {
        let (kind, hint) = self.classify(path)?;
        let read_error = |e: std::io::Error| LoadError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let data_file = |kind, code: String, source_len| ParsedFile {
            kind,
            code,
            map: None,
            source_len,
            imports: Vec::new(),
            dynamic_imports: Vec::new(),
            requires: Vec::new(),
            scan: Scan::default(),
            sloppy: false,
        };
        if kind == ModuleKind::Data {
            let bytes = std::fs::read(path).map_err(read_error)?;
            let code = format!(
                "export default {RT}.bytes(\"{}\");\nimport * as {RT} from \"{MODULES_RUNTIME}\";\n",
                base64(&bytes)
            );
            return Ok(data_file(kind, code, bytes.len()));
        }
        let source = std::fs::read_to_string(path).map_err(read_error)?;
        match kind {
            ModuleKind::Text => {
                return Ok(data_file(
                    kind,
                    format!("export default {};\n", json_string(&source)),
                    source.len(),
                ));
            }
            ModuleKind::Json => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&source) {
                    return Err(LoadError::Syntax {
                        path: path.to_path_buf(),
                        line: e.line() as u32,
                        column: e.column() as u32,
                        message: format!("invalid JSON: {e}"),
                    });
                }
                // Named exports (`import { version } from "./package.json"`) are added when the
                // graph is emitted, for the names importers ask for.
                return Ok(data_file(
                    kind,
                    format!(
                        "const {RT}_json = JSON.parse({});\nexport default {RT}_json;\n",
                        json_string(&source)
                    ),
                    source.len(),
                ));
            }
            _ => {}
        }
        let transpiled =
            transpile::transpile(path, &source, hint).map_err(|e| LoadError::Syntax {
                path: path.to_path_buf(),
                line: e.line,
                column: e.column,
                message: e.message,
            })?;
        let scan = transpiled.scan;
        let mut imports = Vec::with_capacity(scan.imports.len());
        for import in &scan.imports {
            match self.resolve(path, &import.specifier, false) {
                Ok(target) => imports.push(Edge {
                    specifier: import.specifier.clone(),
                    target,
                    names: import.names.clone(),
                }),
                Err(reason) => {
                    let (line, column) = line_col(&source, import.offset);
                    return Err(LoadError::Import {
                        importer: path.to_path_buf(),
                        line,
                        column,
                        specifier: import.specifier.clone(),
                        reason,
                    });
                }
            }
        }
        // `require` and `import()` fail only when they run: libraries wrap optional ones in
        // `try`.
        let soft = |list: &[(String, usize)], require: bool, warnings: &mut Vec<String>| {
            let mut edges: Vec<Edge> = Vec::with_capacity(list.len());
            for (specifier, offset) in list {
                if edges.iter().any(|e| &e.specifier == specifier) {
                    continue;
                }
                let target = self
                    .resolve(path, specifier, require)
                    .unwrap_or_else(|reason| {
                        let (line, column) = line_col(&source, *offset);
                        let call = if require { "require" } else { "import" };
                        warnings.push(format!(
                            "{}:{line}:{column}: warning: {call}(\"{specifier}\") will throw if it \
                         runs: {reason}",
                            display_path(path)
                        ));
                        Target::Missing(reason)
                    });
                edges.push(Edge {
                    specifier: specifier.clone(),
                    target,
                    names: Vec::new(),
                });
            }
            edges
        };
        let mut warnings = Vec::new();
        let dynamic_imports = soft(&scan.dynamic_imports, false, &mut warnings);
        let requires = soft(&scan.requires, true, &mut warnings);
        self.warnings.append(&mut warnings);
        Ok(ParsedFile {
            kind: match transpiled.format {
                Format::Esm => ModuleKind::Esm,
                Format::CommonJs => ModuleKind::CommonJs,
            },
            code: transpiled.code,
            map: transpiled.map,
            source_len: source.len(),
            imports,
            dynamic_imports,
            requires,
            scan,
            sloppy: transpiled.sloppy,
        })
    }

    /// Resolve `specifier` imported (or, with `require`, required) from the file `importer`.
    fn resolve(&self, importer: &Path, specifier: &str, require: bool) -> Result<Target, String> {
        if specifier == CLOUDFLARE_WORKERS {
            return Ok(Target::CloudflareWorkers);
        }
        if let Some(rest) = specifier.strip_prefix("cloudflare:") {
            return Err(format!(
                "Switchyard provides \"{CLOUDFLARE_WORKERS}\" but not \"cloudflare:{rest}\" yet"
            ));
        }
        if specifier.starts_with("switchyard:") {
            return Err("no such built-in module".to_owned());
        }
        if specifier.starts_with("node:") {
            return Err(builtin_reason(importer, specifier));
        }
        if let Some(scheme) = ["http:", "https:", "data:", "file:"]
            .iter()
            .find(|scheme| specifier.starts_with(*scheme))
        {
            return Err(format!(
                "{scheme} imports are not supported; install the package with npm and import it \
                 by name, or copy the file into the project"
            ));
        }
        let resolver = if require { &self.cjs } else { &self.esm };
        match resolver.resolve_file(importer, specifier) {
            Ok(resolution) => Ok(Target::File(resolution.path().to_path_buf())),
            Err(ResolveError::Ignored(_)) => Ok(Target::Empty),
            Err(ResolveError::NotFound(_)) if is_builtin(specifier) => {
                Err(builtin_reason(importer, specifier))
            }
            Err(ResolveError::NotFound(_)) if specifier.starts_with('#') => Err(format!(
                "no entry of the \"imports\" field in the nearest package.json matches \
                 \"{specifier}\""
            )),
            Err(ResolveError::NotFound(_)) if is_bare(specifier) && !is_package_name(specifier) => {
                Err(format!(
                    "no file, package, tsconfig.json \"paths\" entry or package.json \"imports\" \
                 entry matches \"{specifier}\""
                ))
            }
            Err(ResolveError::NotFound(_)) if is_bare(specifier) => {
                Err(package_reason(importer, specifier, require))
            }
            Err(ResolveError::NotFound(_)) => {
                let wanted =
                    normalize(&importer.parent().unwrap_or(Path::new("/")).join(specifier));
                Err(format!("no such file: {}", display_path(&wanted)))
            }
            Err(other) => Err(other.to_string()),
        }
    }

    /// Turn the parsed files into the modules QuickJS evaluates.
    fn emit(self, main: &Path) -> ModuleGraph {
        // Names ES modules import from each CommonJS file, which its facade must export.
        let mut wanted: HashMap<&Path, HashSet<&str>> = HashMap::new();
        for file in self.files.values() {
            for edge in &file.imports {
                if let Target::File(target) = &edge.target {
                    wanted
                        .entry(target.as_path())
                        .or_default()
                        .extend(edge.names.iter().map(String::as_str));
                }
            }
        }
        let esm_name = |path: &Path| -> String {
            match self.files.get(path).map(|f| f.kind) {
                Some(ModuleKind::CommonJs) => format!("{}?esm", path.display()),
                _ => path.display().to_string(),
            }
        };
        let esm_target = |target: &Target| -> Result<String, String> {
            match target {
                Target::File(path) => Ok(esm_name(path)),
                Target::CloudflareWorkers => Ok(CLOUDFLARE_WORKERS.to_owned()),
                Target::Empty => Ok(EMPTY_MODULE.to_owned()),
                Target::Missing(reason) => Err(reason.clone()),
            }
        };
        let mut modules = HashMap::with_capacity(self.files.len() * 2);
        for (path, file) in &self.files {
            let resolved: HashMap<String, Result<String, String>> = file
                .imports
                .iter()
                .chain(&file.dynamic_imports)
                .map(|edge| (edge.specifier.clone(), esm_target(&edge.target)))
                .collect();
            let name = path.display().to_string();
            let code = match file.kind {
                ModuleKind::CommonJs => self.define_module(&name, file),
                ModuleKind::Json => json_module(&file.code, wanted.get(path.as_path())),
                _ => file.code.clone(),
            };
            modules.insert(
                name.clone(),
                Arc::new(CompiledModule {
                    path: path.clone(),
                    kind: file.kind,
                    code,
                    map: file.map.clone(),
                    source_len: file.source_len,
                    resolved,
                    bytecode: OnceLock::new(),
                }),
            );
            if file.kind == ModuleKind::CommonJs {
                let mut names = BTreeNames::default();
                self.commonjs_exports(path, &mut names, &mut HashSet::new());
                for name in wanted.get(path.as_path()).into_iter().flatten() {
                    names.insert(name);
                }
                modules.insert(
                    esm_name(path),
                    Arc::new(CompiledModule {
                        path: path.clone(),
                        kind: ModuleKind::Facade,
                        code: facade_module(&name, &names.0),
                        map: None,
                        source_len: 0,
                        resolved: HashMap::new(),
                        bytecode: OnceLock::new(),
                    }),
                );
            }
        }
        ModuleGraph {
            entry: esm_name(main),
            modules,
            warnings: self.warnings,
        }
    }

    /// A CommonJS file as an ES module that registers its code as a function. The code starts on
    /// the first line, so line numbers in stack traces stay the file's own.
    fn define_module(&self, name: &str, file: &ParsedFile) -> String {
        let mut code = String::with_capacity(file.code.len() + 256);
        // A `#!` line is a comment only at the very start of a file.
        let source = match file.code.strip_prefix("#!") {
            Some(rest) => format!("//{rest}"),
            None => file.code.clone(),
        };
        if file.sloppy {
            // Sloppy-mode code cannot sit inside an ES module: it is compiled as a script, with
            // its file name, when first required.
            code.push_str(&format!(
                "{RT}.defineScript({}, {}, {{",
                json_string(name),
                json_string(&source)
            ));
        } else {
            code.push_str(&format!(
                "{RT}.define({}, function (exports, require, module, __filename, __dirname) {{",
                json_string(name)
            ));
            code.push_str(&source);
            code.push_str("\n}, {");
        }
        let mut imports = format!("\nimport * as {RT} from \"{MODULES_RUNTIME}\";\n");
        for (i, edge) in file.requires.iter().enumerate() {
            code.push_str(&json_string(&edge.specifier));
            code.push_str(": ");
            let namespace = |imports: &mut String, module: &str| {
                imports.push_str(&format!(
                    "import * as __switchyard_dep{i} from {};\n",
                    json_string(module)
                ));
            };
            match &edge.target {
                Target::File(path) => {
                    let target = path.display().to_string();
                    match self.files.get(path).map(|f| f.kind) {
                        Some(ModuleKind::CommonJs) => {
                            // Registers the target's code, without running it.
                            imports.push_str(&format!("import {};\n", json_string(&target)));
                            code.push_str(&json_string(&target));
                        }
                        Some(ModuleKind::Esm) => {
                            namespace(&mut imports, &target);
                            code.push_str(&format!("() => {RT}.esm(__switchyard_dep{i})"));
                        }
                        _ => {
                            namespace(&mut imports, &target);
                            code.push_str(&format!("() => __switchyard_dep{i}.default"));
                        }
                    }
                }
                Target::CloudflareWorkers => {
                    namespace(&mut imports, CLOUDFLARE_WORKERS);
                    code.push_str(&format!("() => {RT}.esm(__switchyard_dep{i})"));
                }
                Target::Empty => code.push_str("() => ({})"),
                Target::Missing(reason) => {
                    code.push_str(&format!("{{ error: {} }}", json_string(reason)));
                }
            }
            code.push_str(", ");
        }
        code.push_str("});");
        code.push_str(&imports);
        code
    }

    /// The names a CommonJS file is seen to export, following whole re-exports of other
    /// CommonJS files.
    fn commonjs_exports<'a>(
        &'a self,
        path: &'a Path,
        names: &mut BTreeNames<'a>,
        seen: &mut HashSet<&'a Path>,
    ) {
        if !seen.insert(path) {
            return;
        }
        let Some(file) = self.files.get(path) else {
            return;
        };
        for name in &file.scan.exports {
            names.insert(name);
        }
        for specifier in &file.scan.reexports {
            if let Some(Edge {
                target: Target::File(target),
                ..
            }) = file.requires.iter().find(|e| &e.specifier == specifier)
            {
                self.commonjs_exports(target, names, seen);
            }
        }
    }
}

/// A sorted set of export names, so generated code is the same on every load.
#[derive(Default)]
struct BTreeNames<'a>(std::collections::BTreeSet<&'a str>);

impl<'a> BTreeNames<'a> {
    fn insert(&mut self, name: &'a str) {
        if name != "default" && name != "*" {
            self.0.insert(name);
        }
    }
}

/// A JSON module: the parsed value as the default export, and the top-level properties that
/// importers name (`import { version } from "./package.json"`), as bundlers allow.
fn json_module(code: &str, wanted: Option<&HashSet<&str>>) -> String {
    let mut names = BTreeNames::default();
    for name in wanted.into_iter().flatten() {
        names.insert(name);
    }
    let mut out = code.to_owned();
    out.push_str(&named_exports(&format!("{RT}_json"), &names.0));
    out
}

/// `export { … as "name" }` for each name, read from `object` once, when the module runs.
/// String export names accept any property name, including ones that are not identifiers.
fn named_exports(object: &str, names: &std::collections::BTreeSet<&str>) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut code = String::new();
    let mut list = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        code.push_str(&format!(
            "const __switchyard_e{i} = {object}?.[{}];\n",
            json_string(name)
        ));
        list.push(format!("__switchyard_e{i} as {}", json_string(name)));
    }
    code.push_str(&format!("export {{ {} }};\n", list.join(", ")));
    code
}

/// The ES module `import` sees for a CommonJS file: runs it once and exports `module.exports`
/// as `default` (or its `default` when it is a transpiled ES module, `__esModule`), and each
/// known name.
fn facade_module(define: &str, names: &std::collections::BTreeSet<&str>) -> String {
    let define = json_string(define);
    let mut code = format!(
        "import * as {RT} from \"{MODULES_RUNTIME}\";\nimport {define};\nconst __switchyard_m = \
         {RT}.load({define});\nexport default {RT}.interop(__switchyard_m);\n"
    );
    code.push_str(&named_exports("__switchyard_m", names));
    code
}

/// User rules in order, then wrangler's defaults; a rule without `fallthrough` ends the list for
/// its type, as in wrangler.
fn effective_rules(rules: &[ModuleRule]) -> Vec<(RuleKind, Vec<String>)> {
    let defaults = ModuleRule::defaults()
        .into_iter()
        .map(|(kind, globs)| (kind, globs.iter().map(|g| g.to_string()).collect(), false));
    let mut closed = HashSet::new();
    let mut out = Vec::new();
    for (kind, globs, fallthrough) in rules
        .iter()
        .map(|r| (r.kind, r.globs.clone(), r.fallthrough))
        .chain(defaults)
    {
        if closed.contains(&kind) {
            continue;
        }
        if !fallthrough {
            closed.insert(kind);
        }
        out.push((kind, globs));
    }
    out
}

/// `path` relative to `base` with `/` separators, for glob matching.
fn relative_for_glob(base: &Path, path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut base_parts = base.components().peekable();
    let mut path_parts = path.components().peekable();
    while let (Some(a), Some(b)) = (base_parts.peek(), path_parts.peek()) {
        if a != b {
            break;
        }
        base_parts.next();
        path_parts.next();
    }
    parts.extend(base_parts.map(|_| "..".to_owned()));
    parts.extend(path_parts.map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

fn is_bare(specifier: &str) -> bool {
    !(specifier.starts_with('.') || specifier.starts_with('/') || specifier.starts_with('#'))
}

/// `@scope/name` or `name`, from a bare specifier like `@scope/name/sub` or `name/sub`.
fn package_name(specifier: &str) -> &str {
    let mut end = specifier.find('/').unwrap_or(specifier.len());
    if specifier.starts_with('@')
        && let Some(next) = specifier[end + 1.min(specifier.len() - end)..].find('/')
    {
        end = end + 1 + next;
    }
    &specifier[..end.min(specifier.len())]
}

/// The npm package a file belongs to, when it is inside `node_modules`.
fn owning_package(path: &Path) -> Option<String> {
    let text = path.to_string_lossy();
    let at = text.rfind("/node_modules/")? + "/node_modules/".len();
    Some(package_name(&text[at..]).to_owned())
}

/// Whether `specifier` names a Node.js built-in module (`fs`, `node:fs`, `fs/promises`).
fn is_builtin(specifier: &str) -> bool {
    specifier.starts_with("node:") || nodejs_built_in_modules::BUILTINS.contains(&specifier)
}

/// Whether `specifier` starts with a valid npm package name (`name` or `@scope/name`).
fn is_package_name(specifier: &str) -> bool {
    let name = package_name(specifier);
    let valid = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~".contains(c))
    };
    match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) => valid(scope) && valid(rest),
            None => false,
        },
        None => valid(name),
    }
}

fn builtin_reason(importer: &Path, specifier: &str) -> String {
    let module = specifier.strip_prefix("node:").unwrap_or(specifier);
    let mut reason = format!(
        "\"node:{module}\" is a Node.js built-in module, which Switchyard does not provide"
    );
    if let Some(package) = owning_package(importer) {
        reason.push_str(&format!(
            "; the package \"{package}\" needs it, so it cannot run in Switchyard as it is (look \
             for a version of it made for Workers or browsers)"
        ));
    } else {
        reason.push_str("; use a Web API instead (fetch, crypto.subtle, TextEncoder, streams)");
    }
    reason
}

fn package_reason(importer: &Path, specifier: &str, require: bool) -> String {
    let package = package_name(specifier);
    let installed = importer
        .ancestors()
        .skip(1)
        .any(|dir| dir.join("node_modules").join(package).is_dir());
    if installed {
        let kind = if require { "require" } else { "import" };
        return format!(
            "the package \"{package}\" is installed but has no file for \"{specifier}\" under \
             the conditions Switchyard resolves with (workerd, worker, browser, {kind}, module, \
             default)"
        );
    }
    // Inside node_modules the project is where the outermost node_modules is, not the
    // package's own folder.
    let text = importer.to_string_lossy();
    let (project, needed_by) = match text.find("/node_modules/") {
        Some(at) => (Some(PathBuf::from(&text[..at])), owning_package(importer)),
        None => (
            importer
                .ancestors()
                .skip(1)
                .find(|dir| dir.join("package.json").is_file())
                .map(Path::to_path_buf),
            None,
        ),
    };
    let Some(project) = project else {
        return format!(
            "the package \"{package}\" is not installed and there is no package.json above \
             this file; run `npm init -y && npm install {package}` in the worker's folder"
        );
    };
    let manifest = match &needed_by {
        Some(_) => importer
            .ancestors()
            .skip(1)
            .find(|dir| dir.join("package.json").is_file())
            .map(|dir| dir.join("package.json")),
        None => Some(project.join("package.json")),
    };
    let listed = manifest
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|json| {
            [
                "dependencies",
                "devDependencies",
                "peerDependencies",
                "optionalDependencies",
            ]
            .iter()
            .any(|field| json.get(field).and_then(|d| d.get(package)).is_some())
        });
    let project = display_path(&project);
    let project = if project.is_empty() {
        ".".to_owned()
    } else {
        project
    };
    match (needed_by, listed) {
        (None, true) => {
            format!("the package \"{package}\" is not installed; run `npm install` in {project}")
        }
        (None, false) => format!(
            "the package \"{package}\" is not installed; run `npm install {package}` in \
             {project}"
        ),
        (Some(by), true) => format!(
            "the package \"{package}\", a dependency of \"{by}\", is not installed; run `npm \
             install` in {project}"
        ),
        (Some(by), false) => format!(
            "the package \"{package}\" is not installed, and \"{by}\" does not list it as a \
             dependency; run `npm install {package}` in {project} if the code that needs it runs"
        ),
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Make a path absolute and drop `.`/`..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

// === impl GraphLoader ===

/// Resolver and loader for rquickjs, serving modules from a [`ModuleGraph`].
pub struct GraphLoader(Arc<ModuleGraph>);

impl Resolver for GraphLoader {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let importer = self.0.modules.get(base);
        if let Some(target) = importer.and_then(|m| m.resolved.get(name)) {
            return target
                .clone()
                .map_err(|reason| rquickjs::Error::new_resolving_message(base, name, reason));
        }
        // Generated modules import each other and Switchyard's helpers by module name.
        let generated = importer.is_some_and(|m| {
            matches!(
                m.kind,
                ModuleKind::CommonJs | ModuleKind::Facade | ModuleKind::Data
            )
        });
        if name == CLOUDFLARE_WORKERS
            || (generated && (name == MODULES_RUNTIME || self.0.modules.contains_key(name)))
        {
            return Ok(name.to_owned());
        }
        Err(rquickjs::Error::new_resolving_message(
            base,
            name,
            "it was not found when the worker was loaded; Switchyard reads every module at \
             start-up, so import() needs a string literal naming a module that exists",
        ))
    }
}

impl Loader for GraphLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        static CLOUDFLARE_WORKERS_BYTECODE: OnceLock<Vec<u8>> = OnceLock::new();
        static MODULES_RUNTIME_BYTECODE: OnceLock<Vec<u8>> = OnceLock::new();
        static EMPTY_BYTECODE: OnceLock<Vec<u8>> = OnceLock::new();
        let (source, cache) = match name {
            CLOUDFLARE_WORKERS => (CLOUDFLARE_WORKERS_SOURCE, &CLOUDFLARE_WORKERS_BYTECODE),
            MODULES_RUNTIME => (MODULES_RUNTIME_SOURCE, &MODULES_RUNTIME_BYTECODE),
            EMPTY_MODULE => ("export default {};\n", &EMPTY_BYTECODE),
            _ => match self.0.modules.get(name) {
                Some(module) => return module.declare(ctx, name),
                None => {
                    return Err(rquickjs::Error::new_loading_message(
                        name,
                        "not part of the worker's module graph",
                    ));
                }
            },
        };
        declare_cached(ctx, name, source, cache, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "switchyard-modules-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        // Process ids come round again: a run that reused this one's left its files here.
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn walks_relative_imports_including_js_specifiers_for_ts_files() {
        let dir = project(&[
            (
                "src/index.ts",
                "import { a } from './lib/a.js';\nimport type { T } from './types';\nexport default { fetch() { return a } }",
            ),
            (
                "src/lib/a.ts",
                "export * from './b';\nexport const a: number = 1;",
            ),
            ("src/lib/b.mjs", "export const b = 2;"),
        ]);
        let graph = ModuleGraph::load(&dir.join("src/index.ts")).expect("loads");
        assert_eq!(graph.modules.len(), 3, "{:?}", graph.modules.keys());
    }

    #[test]
    fn a_missing_import_names_the_importer_line_and_specifier() {
        let dir = project(&[("index.js", "const x = 1;\nimport y from './nope.js';\n")]);
        let err = ModuleGraph::load(&dir.join("index.js")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("index.js:2:15: error: cannot import \"./nope.js\": no such file"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_package_says_to_run_npm_install() {
        let dir = project(&[
            ("package.json", r#"{ "dependencies": { "hono": "^4" } }"#),
            ("src/index.js", "import { Hono } from 'hono';\n"),
        ]);
        let err = ModuleGraph::load(&dir.join("src/index.js"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("index.js:1:22: error: cannot import \"hono\": the package \"hono\" is not installed; run `npm install` in"),
            "{err}"
        );
        let dir = project(&[
            ("package.json", "{}"),
            ("index.js", "import x from '@acme/thing/sub';\n"),
        ]);
        let err = ModuleGraph::load(&dir.join("index.js"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("run `npm install @acme/thing`"), "{err}");
    }

    #[test]
    fn node_builtins_are_named_with_the_package_that_needs_them() {
        let dir = project(&[
            ("index.js", "import 'needs-fs';\n"),
            (
                "node_modules/needs-fs/package.json",
                r#"{ "name": "needs-fs", "main": "lib.js" }"#,
            ),
            (
                "node_modules/needs-fs/lib.js",
                "import fs from 'fs';\nexport default fs;\n",
            ),
        ]);
        let err = ModuleGraph::load(&dir.join("index.js"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lib.js:1:16: error: cannot import \"fs\": \"node:fs\" is a Node.js built-in module, which Switchyard does not provide; the package \"needs-fs\" needs it"),
            "{err}"
        );
    }

    #[test]
    fn packages_resolve_through_exports_with_workers_conditions() {
        let dir = project(&[
            (
                "index.ts",
                "import a from 'pkg';\nimport { b } from 'pkg/sub';\nimport c from '@scope/c';\nexport default { a, b, c };\n",
            ),
            (
                "node_modules/pkg/package.json",
                r#"{ "name": "pkg", "exports": {
                    ".": { "node": "./node.js", "workerd": "./workerd.js", "default": "./default.js" },
                    "./sub": { "import": "./sub.mjs", "require": "./sub.cjs" } } }"#,
            ),
            ("node_modules/pkg/workerd.js", "export default 'workerd';"),
            ("node_modules/pkg/node.js", "export default 'node';"),
            ("node_modules/pkg/default.js", "export default 'default';"),
            ("node_modules/pkg/sub.mjs", "export const b = 'esm';"),
            ("node_modules/pkg/sub.cjs", "exports.b = 'cjs';"),
            (
                "node_modules/@scope/c/package.json",
                r#"{ "name": "@scope/c", "module": "esm.js", "main": "cjs.js" }"#,
            ),
            (
                "node_modules/@scope/c/esm.js",
                "export default 'module field';",
            ),
            (
                "node_modules/@scope/c/cjs.js",
                "module.exports = 'main field';",
            ),
        ]);
        let graph = ModuleGraph::load(&dir.join("index.ts")).expect("loads");
        let mut files: Vec<String> = graph
            .files()
            .map(|m| m.path.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "index.ts",
                "node_modules/@scope/c/esm.js",
                "node_modules/pkg/sub.mjs",
                "node_modules/pkg/workerd.js"
            ]
        );
    }

    #[test]
    fn commonjs_files_get_a_define_module_and_a_facade_with_their_names() {
        let dir = project(&[
            (
                "index.js",
                "import lib, { helper } from './lib.cjs';\nexport default { fetch() { return lib(helper) } }\n",
            ),
            (
                "lib.cjs",
                "#!/usr/bin/env node\nconst dep = require('./dep');\nconst maybe = (() => { try { return require('optional-thing') } catch { return null } })();\nmodule.exports = function () {};\nmodule.exports.extra = 1;\nObject.defineProperty(exports, 'defined', { value: 2 });\n",
            ),
            (
                "dep.js",
                "const data = require('./data.json');\nexports.named = data.x;\nmodule.exports = { ...require('./more'), listed: 1 };\n",
            ),
            ("more.js", "exports.fromMore = 1;\n"),
            ("data.json", r#"{ "x": 1 }"#),
        ]);
        let graph = ModuleGraph::load(&dir.join("index.js")).expect("loads");
        let lib = dir.join("lib.cjs").display().to_string();
        let facade = &graph.modules[&format!("{lib}?esm")];
        assert_eq!(facade.kind, ModuleKind::Facade);
        for name in ["extra", "defined", "helper"] {
            assert!(
                facade.code.contains(&format!(" as \"{name}\"")),
                "{name}:\n{}",
                facade.code
            );
        }
        let define = &graph.modules[&lib];
        assert!(
            define.code.starts_with(&format!("{RT}.define(")),
            "{}",
            define.code
        );
        assert!(
            define.code.contains("{///usr/bin/env node\n"),
            "{}",
            define.code
        );
        assert!(
            define.code.contains("\"optional-thing\": { error: "),
            "an unresolved require fails when it runs:\n{}",
            define.code
        );
        assert_eq!(graph.warnings.len(), 1, "{:?}", graph.warnings);
        assert!(
            graph.warnings[0].contains("lib.cjs:3:"),
            "{:?}",
            graph.warnings
        );
        let dep_facade = &graph.modules[&format!("{}?esm", dir.join("dep.js").display())];
        for name in ["named", "listed", "fromMore"] {
            assert!(
                dep_facade.code.contains(&format!(" as \"{name}\"")),
                "{name}:\n{}",
                dep_facade.code
            );
        }
        // Facades are not files.
        assert_eq!(graph.file_count(), 5);
    }

    #[test]
    fn module_rules_and_json_make_data_modules() {
        let dir = project(&[
            (
                "index.js",
                "import t from './a.txt';\nimport h from './page.html';\nimport b from './blob.bin';\nimport m from './notes.md';\nimport j from './j.json';\n",
            ),
            ("a.txt", "line \"one\"\n"),
            ("page.html", "<p>hi</p>"),
            ("blob.bin", "\u{1}\u{2}\u{3}"),
            ("notes.md", "# notes"),
            ("j.json", "{ \"__proto__\": 1 }"),
        ]);
        let err = ModuleGraph::load(&dir.join("index.js"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("notes.md: error: imports of .md files are not supported"),
            "{err}"
        );
        assert!(err.contains("type = \"Text\""), "{err}");
        let rule = ModuleRule {
            kind: RuleKind::Text,
            globs: vec!["**/*.md".into()],
            fallthrough: true,
            location: switchyard_config::Location {
                file: dir.join("wrangler.toml"),
                line: 1,
                column: 1,
            },
        };
        let graph =
            ModuleGraph::load_with_rules(&dir.join("index.js"), std::slice::from_ref(&rule))
                .expect("loads");
        let module = |name: &str| graph.modules[&dir.join(name).display().to_string()].clone();
        assert_eq!(
            module("a.txt").code,
            "export default \"line \\\"one\\\"\\n\";\n"
        );
        assert_eq!(module("notes.md").kind, ModuleKind::Text);
        assert_eq!(module("page.html").kind, ModuleKind::Text);
        // Without fallthrough, a rule replaces the default rule of its type, as in wrangler.
        let closed = effective_rules(&[ModuleRule {
            fallthrough: false,
            ..rule
        }]);
        let text: Vec<_> = closed
            .iter()
            .filter(|(k, _)| *k == RuleKind::Text)
            .collect();
        assert_eq!(text.len(), 1);
        assert_eq!(text[0].1, ["**/*.md"]);
        assert_eq!(module("blob.bin").kind, ModuleKind::Data);
        assert!(
            module("blob.bin").code.contains("bytes(\"AQID\")"),
            "{}",
            module("blob.bin").code
        );
        assert!(
            module("j.json").code.contains("JSON.parse("),
            "{}",
            module("j.json").code
        );
    }

    #[test]
    fn unresolvable_specifiers_say_which_mechanism_failed() {
        let dir = project(&[("package.json", "{}")]);
        let cases = [
            (
                "#internal/x",
                "no entry of the \"imports\" field in the nearest package.json matches",
            ),
            (
                "@/lib/x",
                "no file, package, tsconfig.json \"paths\" entry or package.json \"imports\" entry matches \"@/lib/x\"",
            ),
            ("https://esm.sh/hono", "https: imports are not supported"),
            ("node:fs", "\"node:fs\" is a Node.js built-in module"),
            (
                "fs/promises",
                "\"node:fs/promises\" is a Node.js built-in module",
            ),
            ("cloudflare:sockets", "not \"cloudflare:sockets\" yet"),
        ];
        for (specifier, expected) in cases {
            std::fs::write(
                dir.join("index.js"),
                format!("import x from '{specifier}';\n"),
            )
            .unwrap();
            let err = ModuleGraph::load(&dir.join("index.js"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{specifier}: {err}");
        }
    }

    #[test]
    fn a_main_reached_through_a_symlink_is_loaded_once() {
        let dir = project(&[
            (
                "real/index.js",
                "import { app } from './app.js';\nimport './routes.js';\nexport default app;\n",
            ),
            ("real/app.js", "export const app = { routes: [] };\n"),
            (
                "real/routes.js",
                "import { app } from './app.js';\napp.routes.push(1);\n",
            ),
        ]);
        std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
        let graph = ModuleGraph::load(&dir.join("link/index.js")).expect("loads");
        assert_eq!(graph.file_count(), 3, "{:?}", graph.modules.keys());
    }

    #[test]
    fn tsconfig_paths_resolve() {
        let dir = project(&[
            (
                "tsconfig.json",
                r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"] } } }"#,
            ),
            (
                "src/index.ts",
                "import { x } from '@lib/x';\nexport default { x };\n",
            ),
            ("src/lib/x.ts", "export const x: number = 1;\n"),
        ]);
        let graph = ModuleGraph::load(&dir.join("src/index.ts")).expect("loads");
        assert_eq!(graph.file_count(), 2);
    }

    #[test]
    fn invalid_json_has_a_position() {
        let dir = project(&[
            ("index.js", "import j from './j.json';\n"),
            ("j.json", "{\n  \"a\": 1,\n}"),
        ]);
        let err = ModuleGraph::load(&dir.join("index.js"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("j.json:3:1: error: invalid JSON"), "{err}");
    }

    #[test]
    fn stack_frames_map_to_original_lines() {
        let dir = project(&[(
            "w.ts",
            "type A = { x: number };\n\n\nexport function f(a: A) {\n  throw new Error('x' + a.x);\n}\n",
        )]);
        let graph = ModuleGraph::load(&dir.join("w.ts")).expect("loads");
        let name = graph.entry.clone();
        let generated = graph.modules[&name]
            .code
            .lines()
            .position(|l| l.contains("throw"))
            .unwrap()
            + 1;
        let stack =
            format!("Error: x\n    at f ({name}:{generated}:9)\n    at <anonymous> (native)");
        let mapped = graph.map_stack(&stack);
        assert!(mapped.contains("w.ts:5:"), "{mapped}");
        assert!(mapped.ends_with("at <anonymous> (native)"), "{mapped}");
    }
}
