//! Scratch directories under `std::env::temp_dir()` and small assertion helpers.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{ConfigErrors, Warning, WorkerConfig, parse_config};

/// A unique directory under the system temp dir, removed on drop.
pub(crate) struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("switchyard-config-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `contents` to `rel` (creating parent directories) and returns the absolute path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write scratch file");
        path
    }

    /// Writes a config plus an entry script at `src/index.js` next to it.
    pub fn config(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.write(rel, contents);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        std::fs::create_dir_all(dir.join("src")).expect("create src");
        std::fs::write(dir.join("src/index.js"), "export default {}\n").expect("write main");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `abs` as a path relative to the current directory (`../../tmp/...`), to test that locations
/// keep relative paths as given.
pub(crate) fn relative_to_cwd(abs: &Path) -> PathBuf {
    let cwd = std::env::current_dir().expect("cwd");
    let mut rel = PathBuf::new();
    for c in cwd.components() {
        if matches!(c, Component::Normal(_)) {
            rel.push("..");
        }
    }
    for c in abs.components() {
        if let Component::Normal(part) = c {
            rel.push(part);
        }
    }
    rel
}

pub(crate) fn ok(path: &Path) -> (WorkerConfig, Vec<Warning>) {
    match parse_config(path) {
        Ok(result) => result,
        Err(errors) => panic!("expected {} to load, got:\n{errors}", path.display()),
    }
}

pub(crate) fn errors(path: &Path) -> Vec<String> {
    match parse_config(path) {
        Ok(_) => panic!("expected {} to fail", path.display()),
        Err(ConfigErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// The single error for `path`, rendered.
pub(crate) fn error(path: &Path) -> String {
    let errors = errors(path);
    assert_eq!(
        errors.len(),
        1,
        "expected one error, got:\n{}",
        errors.join("\n")
    );
    errors.into_iter().next().unwrap_or_default()
}

pub(crate) fn warnings(path: &Path) -> Vec<String> {
    ok(path).1.iter().map(ToString::to_string).collect()
}

/// `{path}:{line}:{col}`.
pub(crate) fn at(path: &Path, line: u32, col: u32) -> String {
    format!("{}:{line}:{col}", path.display())
}
