#!/usr/bin/env bash
# Fuzz the parsers that take outside input. Not part of CI (it runs for as long as you ask).
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
# Targets: config (wrangler.toml / .jsonc bytes) and request (any request through a worker and a
# service binding). Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# cargo-fuzz needs nightly-only compiler flags (sanitizers); this lets the stable toolchain
# accept them for the fuzz build only.
export RUSTC_BOOTSTRAP=1
for target in config request; do
  echo "==> fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" --release -- -max_total_time="$seconds" -rss_limit_mb=4096
done
