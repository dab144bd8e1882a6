#!/usr/bin/env bash
# Switchyard vs workerd on the same worker code, side by side. Not part of the test suite.
#   bench/run.sh                 full run (about 10 minutes): writes bench/results.md and .json
#   bench/run.sh --smoke         a few seconds per scenario, to check the bench still works
#   bench/run.sh --only router   selected scenarios (hello router chain5 json rpc0 rpc10 fetch10
#                                body64k body4m cold_start many_workers module_load), kept
#                                alongside the others in results.md; other flags: see
#                                bench/bench.py --help
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
if [ ! -x bench/workerd-node/node_modules/.bin/workerd ]; then
  # The npm package ships workerd's binary for this platform.
  # --prefix keeps npm from installing into a parent folder that has a package.json.
  mkdir -p bench/workerd-node
  npm install --prefix bench/workerd-node --no-audit --no-fund --silent workerd@1.20261117.1
fi
cargo build --release --quiet
cargo build --release --quiet -p switchyard-server --example hyper_hello

args=("$@")
if [ "${1:-}" = "--smoke" ]; then
  args=(--duration 1 --rounds 1 --hello-rounds 1 --workers 50 --idle-wait 0 --out bench/results-smoke "${@:2}")
fi
python3 bench/bench.py "${args[@]}"
