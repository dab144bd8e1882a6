#!/usr/bin/env bash
# Instructions per request for the hello worker and for bare hyper, counted by callgrind: one
# server thread, one kept-alive connection, requests one at a time. Unlike req/s on this shared
# machine, the count barely moves between runs, so it can tell apart changes of 1-2%; it says
# nothing about the kernel's share or the cache. Not part of the test suite.
#   bench/instructions.sh [REQUESTS]   (default 5000; ~1 minute) -> bench/instructions.md
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-5000}"

if ! command -v valgrind >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq valgrind
fi
cargo build --release --quiet
cargo build --release --quiet -p switchyard-server --example hyper_hello

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/hello.toml" <<EOF
name = "hello"
main = "$PWD/bench/workers/hello.js"
compatibility_date = "2026-11-01"
EOF

# Send `count` GET requests over one connection to `port`, each after the last response.
send() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        break
    except OSError:
        time.sleep(0.2)
request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
for _ in range(count):
    s.sendall(request)
    seen = b""
    while not seen.endswith(b"hello"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the server closed the connection")
        seen += chunk
EOF
}

# Instructions per request of the server started by the rest of the arguments (on `port`).
count() {
  local name="$1" port="$2"
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.%p" "$@" >/dev/null 2>&1 &
  local pid=$!
  # `count` runs in a subshell of its own: however it ends, the server goes with it.
  trap "kill $pid 2>/dev/null || true" EXIT
  send "$port" 200            # warm up: the worker's isolate, caches, hyper's buffers
  callgrind_control -z "$pid" >/dev/null
  send "$port" "$requests"
  callgrind_control -d "$pid" >/dev/null
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local total
  total=$(cat "$work/$name".*.1 | awk '/^summary:/ {print $2}')
  echo $((total / requests))
}

switchyard=$(count switchyard 9311 target/release/switchyard dev --threads 1 --port 9311 -c "$work/hello.toml")
hyper=$(count hyper 9312 target/release/examples/hyper_hello 9312 1)
{
  echo "# Instructions per hello request"
  echo
  echo "Measured $(date '+%Y-%m-%d %H:%M') with callgrind: one server thread, one kept-alive connection, $requests requests one at a time (user-space instructions of the whole process, per request)."
  echo
  echo "| server | instructions per request |"
  echo "| --- | ---: |"
  echo "| switchyard (bench/workers/hello.js) | $switchyard |"
  echo "| bare hyper | $hyper |"
  echo
  echo "Switchyard runs $(python3 -c "print(f'{$switchyard / $hyper:.2f}')")× bare hyper's instructions."
} | tee bench/instructions.md
