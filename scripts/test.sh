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

# The framework examples install their packages from npm, as a Workers project does.
if ! command -v npm >/dev/null 2>&1; then
  echo "==> installing Node.js and npm (for the examples' npm packages)"
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "scripts/test.sh: npm is not installed; install Node.js (https://nodejs.org)" >&2
    exit 1
  fi
fi
for example in examples/*/package-lock.json; do
  dir=$(dirname "$example")
  if [ ! -d "$dir/node_modules" ] || [ "$example" -nt "$dir/node_modules" ]; then
    echo "==> npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> cargo test"
cargo test --workspace
