//! A small project written to a temporary folder and loaded as a fleet, for tests that drive
//! `LocalWorkers` directly.

use std::sync::Arc;

use switchyard_runtime::{Fleet, RuntimeOptions};

/// Write `files` (name, text) to a folder of their own (`name` and the process id), then load the
/// configs among them, in order, with `options`.
pub fn load(
    name: &str,
    files: &[(&str, &str)],
    configs: &[&str],
    options: RuntimeOptions,
) -> Arc<Fleet> {
    let dir = std::env::temp_dir().join(format!("switchyard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let paths: Vec<_> = configs.iter().map(|config| dir.join(config)).collect();
    let (world, _) = switchyard_config::load_world(&paths).expect("configs load");
    let (fleet, _) = Fleet::load(&world, options).expect("workers start");
    fleet
}
