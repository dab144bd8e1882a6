//! Never panic: truncated, mutated and pathological inputs only ever produce errors.

use super::support::Scratch;
use crate::{load_world, parse_config};

const TOML: &str = r#""$schema" = "x"
name = "router"
main = "src/index.js"
compatibility_date = "2024-09-23"
compatibility_flags = ["nodejs_compat"]
services = [{ binding = "INLINE", service = "inline" }]
kv_namespaces = [{ binding = "KV", id = "x" }]

[vars]
A = "é"
B = { c = [1, 2.5, true, 1979-05-27] }

[[services.x]]
"#;

const JSONC: &str = r#"// comment
{
  "name": "router", /* block */
  "main": "src/index.js",
  "compatibility_date": "2024-09-23",
  "vars": { "A": "é", "B": { "c": [1, 2.5, true, null] } },
  "services": [{ "binding": "AUTH", "service": "auth", "entrypoint": "Api" },],
  "servces": 1,
}
"#;

/// Deterministic xorshift, no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

const INTERESTING: &[u8] = b"{}[]=,:\"'\\#/*\n\r\t 0-._aZ$\xff\xc3\xa9";

#[test]
fn every_prefix_loads_or_errors() {
    for (name, text) in [("wrangler.toml", TOML), ("wrangler.jsonc", JSONC)] {
        let s = Scratch::new();
        let path = s.config(name, text);
        let bytes = text.as_bytes();
        for end in 0..=bytes.len() {
            std::fs::write(&path, &bytes[..end]).expect("write");
            let _ = parse_config(&path);
        }
    }
}

#[test]
fn mutated_configs_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for (name, text) in [("wrangler.toml", TOML), ("wrangler.jsonc", JSONC)] {
        let s = Scratch::new();
        let path = s.config(name, text);
        let other = s.config(
            "other/wrangler.toml",
            "name = \"auth\"\nmain = \"src/index.js\"\n",
        );
        for _ in 0..400 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len());
                let byte = INTERESTING[rng.below(INTERESTING.len())];
                match rng.below(3) {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            std::fs::write(&path, &bytes).expect("write");
            let _ = parse_config(&path);
            let _ = load_world(&[path.clone(), other.clone()]);
        }
    }
}

#[test]
fn pathological_inputs_are_errors_not_panics() {
    let s = Scratch::new();
    let deep = 100_000;
    let cases = [
        (
            "deep.jsonc",
            format!(
                "{{ \"vars\": {{ \"A\": {}{} }} }}",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
        ),
        (
            "deep.toml",
            format!("[vars]\nA = {}{}\n", "[".repeat(deep), "]".repeat(deep)),
        ),
        (
            "deep_tables.toml",
            format!(
                "[vars]\nA = {}{}\n",
                "{ a = ".repeat(deep),
                "}".repeat(deep)
            ),
        ),
        (
            "huge_int.toml",
            "[vars]\nA = 99999999999999999999999\n".to_string(),
        ),
        (
            "huge_int.jsonc",
            "{ \"vars\": { \"A\": 99999999999999999999999 } }".to_string(),
        ),
        ("nul.toml", "name = \"a\0b\"\n".to_string()),
        ("keys.toml", "\"\" = 1\n\"a.b\" = 2\n".to_string()),
    ];
    for (name, text) in cases {
        let path = s.config(name, &text);
        let _ = parse_config(&path);
    }
}
