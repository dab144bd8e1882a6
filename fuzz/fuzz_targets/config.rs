//! Any bytes as a wrangler.toml or wrangler.jsonc: `parse_config` returns errors, never panics.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("switchyard-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).expect("scratch dir");
        std::fs::write(dir.join("src/index.js"), "export default {}\n").expect("main");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else { return };
    let name = if selector % 2 == 0 { "wrangler.toml" } else { "wrangler.jsonc" };
    let path = scratch().join(name);
    std::fs::write(&path, text).expect("write config");
    if let Ok((config, _)) = switchyard_config::parse_config(&path) {
        // Whatever loads must also assemble, alone and next to itself (duplicate names).
        let _ = switchyard_config::load_world(&[path.clone()]);
        let _ = switchyard_config::load_world(&[path.clone(), path.clone()]);
        assert!(!config.name.as_str().is_empty());
    }
});
