#!/usr/bin/env bash
# Runs every check and test Switchyard has, on a fresh machine or a developer's.
#   ./scripts/test.sh
# Formatting and lints first (cheap, and they catch most review nits), then every crate's unit
# tests and the integration tests, which start the real `switchyard` binary on 127.0.0.1:0 and
# talk HTTP to it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is not installed; install Rust from https://rustup.rs" >&2
  exit 1
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> cargo test"
cargo test --workspace
