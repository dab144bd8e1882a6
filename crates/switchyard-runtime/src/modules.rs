//! A worker's module graph: every file reachable from `main`, resolved and transpiled once at
//! start-up, then shared by the isolates of every thread.
//!
//! Resolving the whole graph before any isolate exists means a bad import is reported with the
//! importing file's line and column before the server starts, and evaluating a module in a new
//! isolate never touches the file system or the TypeScript compiler.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Module, module::Declared};

use crate::sourcemap::LineMap;
use crate::transpile::{self, line_col};

/// The specifier of Switchyard's built-in `cloudflare:workers` module.
pub const CLOUDFLARE_WORKERS: &str = "cloudflare:workers";
const CLOUDFLARE_WORKERS_SOURCE: &str = include_str!("js/cloudflare_workers.js");

/// One module, ready to evaluate.
#[derive(Debug)]
pub struct CompiledModule {
    pub path: PathBuf,
    pub code: String,
    pub map: Option<LineMap>,
    /// Original source size in bytes.
    pub source_len: usize,
    /// Specifier → the module name it resolves to.
    resolved: HashMap<String, String>,
}

/// All modules of one worker, keyed by module name (the absolute path as a string).
#[derive(Debug)]
pub struct ModuleGraph {
    pub entry: String,
    pub modules: HashMap<String, Arc<CompiledModule>>,
}

/// Why a worker's modules could not be loaded. Shown to the user before the server starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// `main` or an imported file could not be read.
    Read { path: PathBuf, message: String },
    /// A file type the loader does not handle (JSX, CommonJS, …).
    Unsupported { path: PathBuf, kind: &'static str },
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
            LoadError::Unsupported { path, kind } => write!(
                f,
                "{}: error: {kind} modules are not supported yet\n  help: Switchyard loads ES \
                 modules written in JavaScript (.js, .mjs) or TypeScript (.ts, .mts)",
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
    /// Load `main` and everything it imports, statically.
    pub fn load(main: &Path) -> Result<ModuleGraph, LoadError> {
        let entry = normalize(main);
        let mut graph = ModuleGraph {
            entry: entry.display().to_string(),
            modules: HashMap::new(),
        };
        let mut pending = vec![entry];
        while let Some(path) = pending.pop() {
            let name = path.display().to_string();
            if graph.modules.contains_key(&name) {
                continue;
            }
            let module = compile(&path)?;
            for target in module.resolved.values() {
                if target != CLOUDFLARE_WORKERS && !graph.modules.contains_key(target) {
                    pending.push(PathBuf::from(target));
                }
            }
            graph.modules.insert(name, Arc::new(module));
        }
        Ok(graph)
    }

    /// Total size of the original sources, in bytes.
    pub fn source_size(&self) -> usize {
        self.modules.values().map(|m| m.source_len).sum()
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

fn compile(path: &Path) -> Result<CompiledModule, LoadError> {
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("js" | "mjs" | "ts" | "mts") => None,
        Some("jsx" | "tsx") => Some("JSX (.jsx, .tsx)"),
        Some("cjs" | "cts") => Some("CommonJS (.cjs, .cts)"),
        Some("json") => Some("JSON"),
        Some("wasm") => Some("WebAssembly"),
        _ => Some("files without a .js, .mjs, .ts or .mts extension"),
    };
    if let Some(kind) = kind {
        return Err(LoadError::Unsupported {
            path: path.to_path_buf(),
            kind,
        });
    }
    let source = std::fs::read_to_string(path).map_err(|e| LoadError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let transpiled = transpile::transpile(path, &source).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let mut resolved = HashMap::new();
    for (specifier, offset) in &transpiled.imports {
        match resolve(path, specifier) {
            Ok(target) => {
                resolved.insert(specifier.clone(), target);
            }
            Err(reason) => {
                let (line, column) = line_col(&source, *offset);
                return Err(LoadError::Import {
                    importer: path.to_path_buf(),
                    line,
                    column,
                    specifier: specifier.clone(),
                    reason,
                });
            }
        }
    }
    Ok(CompiledModule {
        path: path.to_path_buf(),
        code: transpiled.code,
        map: transpiled.map,
        source_len: source.len(),
        resolved,
    })
}

/// Resolve `specifier` imported from the file `importer` to a module name.
fn resolve(importer: &Path, specifier: &str) -> Result<String, String> {
    if specifier == CLOUDFLARE_WORKERS {
        return Ok(CLOUDFLARE_WORKERS.to_owned());
    }
    if let Some(rest) = specifier.strip_prefix("node:") {
        return Err(format!(
            "Node.js built-in modules are not provided yet (\"node:{rest}\"); remove the import or \
             use a Web API instead"
        ));
    }
    if specifier.contains(':') && !specifier.starts_with('.') && !specifier.starts_with('/') {
        return Err(format!(
            "Switchyard provides only \"{CLOUDFLARE_WORKERS}\" among built-in modules"
        ));
    }
    if !(specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/'))
    {
        return Err(
            "packages from node_modules are not supported yet; import files with a relative path \
             (\"./lib/x.ts\")"
                .to_owned(),
        );
    }
    let base = importer.parent().unwrap_or(Path::new("/"));
    let wanted = normalize(&base.join(specifier));
    for candidate in candidates(&wanted) {
        if candidate.is_file() {
            return Ok(candidate.display().to_string());
        }
    }
    Err(format!("no such file: {}", display_path(&wanted)))
}

/// The files an import may mean, in the order TypeScript-aware tooling tries them.
fn candidates(wanted: &Path) -> Vec<PathBuf> {
    let mut out = vec![wanted.to_path_buf()];
    let with_ext = |ext: &str| {
        let mut s = wanted.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    match wanted.extension().and_then(|e| e.to_str()) {
        // `import "./x.js"` in a TypeScript project means `./x.ts`.
        Some("js") => out.push(wanted.with_extension("ts")),
        Some("mjs") => out.push(wanted.with_extension("mts")),
        Some("cjs") => out.push(wanted.with_extension("cts")),
        _ => {}
    }
    for ext in [".ts", ".mts", ".js", ".mjs"] {
        out.push(with_ext(ext));
    }
    for index in ["index.ts", "index.mts", "index.js", "index.mjs"] {
        out.push(wanted.join(index));
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
        if name == CLOUDFLARE_WORKERS {
            return Ok(name.to_owned());
        }
        if let Some(target) = self.0.modules.get(base).and_then(|m| m.resolved.get(name)) {
            return Ok(target.clone());
        }
        // Dynamic `import()` of something the static walk did not see.
        resolve(Path::new(base), name)
            .map_err(|reason| rquickjs::Error::new_resolving_message(base, name, reason))
    }
}

impl Loader for GraphLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if name == CLOUDFLARE_WORKERS {
            return Module::declare(ctx.clone(), name, CLOUDFLARE_WORKERS_SOURCE);
        }
        if let Some(module) = self.0.modules.get(name) {
            return Module::declare(ctx.clone(), name, module.code.as_str());
        }
        // Only dynamic imports reach this point; compile them without caching.
        let module = compile(Path::new(name))
            .map_err(|e| rquickjs::Error::new_loading_message(name, e.to_string()))?;
        Module::declare(ctx.clone(), name, module.code)
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
    fn bare_specifiers_say_packages_are_not_supported_yet() {
        let dir = project(&[("index.js", "import { Hono } from 'hono';\n")]);
        let err = ModuleGraph::load(&dir.join("index.js"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"hono\"") && err.contains("node_modules"),
            "{err}"
        );
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
