#!/usr/bin/env python3
"""Switchyard vs workerd, side by side, on the same worker code. Run through bench/run.sh.

Each scenario is a set of workers (plain JS under bench/workers/) with service bindings between
them. For each, this writes wrangler configs for Switchyard and a workerd capnp config, then loads
both with wrk in alternating rounds (so drift on this shared machine hits both), and records
requests/s, latency percentiles, RSS and CPU time per request. Figures go to bench/results.json
and bench/results.md; ratios against workerd are the numbers to read, not absolute times.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKERS = BENCH / "workers"
SWITCHYARD = ROOT / "target" / "release" / "switchyard"
WORKERD = BENCH / "workerd-node" / "node_modules" / ".bin" / "workerd"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50": %d, "p99": %d, "p999": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
"""


def worker(name, file, **bindings):
    return {"name": name, "file": file, "bindings": bindings}


def chain(hops):
    workers = [worker(f"hop{i}", "forward.js", NEXT=f"hop{i + 1}" if i + 1 < hops else "svc") for i in range(hops)]
    return workers + [worker("svc", "service.js")]


JSON_BODY = json.dumps(
    {"items": [{"id": i, "name": f"item number {i}", "price": i * 1.5, "qty": i % 7} for i in range(24)]}
)

SCENARIOS = {
    "hello": {"workers": [worker("hello", "hello.js")], "path": "/", "about": "(a) hello worker"},
    "router": {
        "workers": chain(1),
        "path": "/api/x",
        "about": "(b) router → service binding → service",
    },
    "chain5": {"workers": chain(5), "path": "/api/x", "about": "(c) chain of 5 bindings"},
    "json": {
        "workers": [worker("api", "json_api.js")],
        "path": "/",
        "method": "POST",
        "body": JSON_BODY,
        "about": f"(d) JSON API: parse {len(JSON_BODY)} B, transform, respond",
    },
    "rpc0": {
        "workers": [worker("caller", "rpc_caller.js", SVC="svc"), worker("svc", "rpc_service.js")],
        "path": "/?n=0",
        "about": "RPC baseline: the caller making no call",
    },
    "rpc10": {
        "workers": [worker("caller", "rpc_caller.js", SVC="svc"), worker("svc", "rpc_service.js")],
        "path": "/?n=10",
        "about": "10 sequential RPC calls (env.SVC.add) per request",
    },
    "fetch10": {
        "workers": [worker("caller", "rpc_caller.js", SVC="svc"), worker("svc", "rpc_service.js")],
        "path": "/?n=10&mode=fetch",
        "about": "the same 10 calls as env.SVC.fetch()",
    },
    "body64k": {"workers": chain(1), "path": "/?size=65536", "about": "(e) 64 KB response through a binding"},
    "body4m": {
        "workers": chain(1),
        "path": "/?size=4194304",
        "connections": 8,
        "about": "(e) 4 MB response through a binding",
    },
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/", timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                r.read()
                return True
        except urllib.error.HTTPError:
            return True  # an error status is still a running server
        except Exception:
            time.sleep(0.002)
    return False


def proc_stat(pid):
    """(cpu seconds, rss KiB, peak rss KiB) of a process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    status = Path(f"/proc/{pid}/status").read_text()
    kib = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return cpu, kib.get("VmRSS", 0), kib.get("VmHWM", 0)


# === the two runtimes ===


class Switchyard:
    name = "switchyard"

    def __init__(self, threads):
        self.threads = threads

    def start(self, workers, port, workdir):
        configs = []
        for w in workers:
            path = workdir / f"wrangler.{w['name']}.toml"
            lines = [f'name = "{w["name"]}"', f'main = "{WORKERS / w["file"]}"', 'compatibility_date = "2026-11-01"']
            for binding, target in w["bindings"].items():
                lines += ["", "[[services]]", f'binding = "{binding}"', f'service = "{target}"']
            path.write_text("\n".join(lines) + "\n")
            configs += ["-c", str(path)]
        args = [str(SWITCHYARD), "dev", "--port", str(port), "--threads", str(self.threads), *configs]
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class HyperHello:
    """Bare hyper with Switchyard's threading and no JavaScript: the ceiling for (a)."""

    name = "bare hyper"

    def __init__(self, threads):
        self.threads = threads

    def start(self, workers, port, workdir):
        binary = ROOT / "target" / "release" / "examples" / "hyper_hello"
        return subprocess.Popen([str(binary), str(port), str(self.threads)], stdout=subprocess.DEVNULL)


class Workerd:
    name = "workerd"

    def start(self, workers, port, workdir):
        services, defs = [], []
        for w in workers:
            shutil.copy(WORKERS / w["file"], workdir / f"{w['name']}.js")
            # Cap'n Proto names must be camelCase: `hop0` → `workerHop0`.
            ident = "worker" + "".join(part.capitalize() for part in w["name"].replace("_", "-").split("-"))
            services.append(f'(name = "{w["name"]}", worker = .{ident})')
            bindings = ", ".join(f'(name = "{b}", service = "{t}")' for b, t in w["bindings"].items())
            defs.append(
                f"const {ident} :Workerd.Worker = (\n"
                f'  modules = [(name = "{w["name"]}.js", esModule = embed "{w["name"]}.js")],\n'
                f'  compatibilityDate = "2024-09-23",\n'
                f"  bindings = [{bindings}],\n);\n"
            )
        config = (
            'using Workerd = import "/workerd/workerd.capnp";\n'
            "const config :Workerd.Config = (\n"
            f"  services = [{', '.join(services)}],\n"
            f'  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), service = "{workers[0]["name"]}")],\n'
            ");\n" + "".join(defs)
        )
        (workdir / "config.capnp").write_text(config)
        return subprocess.Popen(
            [str(WORKERD), "serve", str(workdir / "config.capnp")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# === measurements ===


def load(runtime, scenario, duration, connections):
    with tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        process = runtime.start(scenario["workers"], port, workdir)
        try:
            if not wait_http(port, scenario["path"]):
                raise RuntimeError(f"{runtime.name} did not start for {scenario['about']}")
            script = workdir / "report.lua"
            setup = ""
            if scenario.get("method") == "POST":
                setup = (
                    'wrk.method = "POST"\n'
                    f"wrk.body = {json.dumps(scenario['body'])}\n"
                    'wrk.headers["content-type"] = "application/json"\n'
                )
            script.write_text(setup + REPORT_LUA)
            url = f"http://127.0.0.1:{port}{scenario['path']}"
            # Warm up every thread's isolates and the JIT-less caches alike.
            subprocess.run(["wrk", "-t2", f"-c{connections}", "-d1s", "-s", str(script), url], capture_output=True)
            cpu0, _, _ = proc_stat(process.pid)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
                capture_output=True,
                text=True,
            ).stdout
            cpu1, rss, hwm = proc_stat(process.pid)
        finally:
            stop(process)
    line = next((l for l in out.splitlines() if l.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    r = json.loads(line[len("WRKJSON ") :])
    seconds = r["duration_us"] / 1e6
    return {
        "rps": r["requests"] / seconds,
        "p50_ms": r["p50"] / 1000,
        "p99_ms": r["p99"] / 1000,
        "p999_ms": r["p999"] / 1000,
        "errors": r["errors"] + r["non2xx"],
        "rss_mb": rss / 1024,
        "peak_rss_mb": hwm / 1024,
        "cpu_us_per_req": (cpu1 - cpu0) / max(r["requests"], 1) * 1e6,
    }


def cold_start(runtime, rounds):
    """Process start to first response of a hello worker, in ms (median of `rounds`)."""
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="switchyard-cold-") as tmp:
            port = free_port()
            started = time.monotonic()
            process = runtime.start(SCENARIOS["hello"]["workers"], port, Path(tmp))
            ok = wait_http(port)
            elapsed = (time.monotonic() - started) * 1000
            stop(process)
            if ok:
                times.append(elapsed)
    return statistics.median(times) if times else None


def many_workers(runtime, count, idle_wait):
    """Idle memory per loaded worker: a router bound to `count` workers, each touched once; then,
    if `idle_wait` > 0, the memory once nothing has asked anything for that many seconds (long
    enough for Switchyard's default --isolate-idle-timeout, 30 s, to free the idle isolates)."""
    router = WORKERS / "_router_many.js"
    router.write_text(
        "export default { fetch(request, env) {\n"
        "  const n = new URL(request.url).pathname.split('/')[2];\n"
        "  return env['W' + n].fetch(request);\n} };\n"
    )
    workers = [worker("router", "_router_many.js", **{f"W{i}": f"w{i}" for i in range(count)})]
    workers += [worker(f"w{i}", "hello.js") for i in range(count)]
    try:
        with tempfile.TemporaryDirectory(prefix="switchyard-many-") as tmp:
            port = free_port()
            process = runtime.start(workers, port, Path(tmp))
            try:
                if not wait_http(port, "/w/0", timeout=120):
                    raise RuntimeError(f"{runtime.name} did not start with {count} workers")
                _, rss_before, _ = proc_stat(process.pid)
                # Odd workers are touched right after the previous request; even ones after 20 ms
                # of quiet (a thread uses idle time to prepare the next isolate's runtime).
                first, first_idle, second = [], [], []
                touch_start = time.monotonic()
                for i in range(count):
                    if i % 2 == 0:
                        time.sleep(0.02)
                    for bucket in (first_idle if i % 2 == 0 else first, second):
                        t = time.monotonic()
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/w/{i}", timeout=10) as r:
                            r.read()
                        bucket.append((time.monotonic() - t) * 1000)
                _, rss_after, _ = proc_stat(process.pid)
                touch_s = time.monotonic() - touch_start
                # The same quiet before a request to a worker already loaded: what the quiet
                # itself costs on this machine (waking idle CPUs), to subtract from the above.
                loaded_idle = []
                for i in range(0, min(count, 100)):
                    time.sleep(0.02)
                    t = time.monotonic()
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/w/{i}", timeout=10) as r:
                        r.read()
                    loaded_idle.append((time.monotonic() - t) * 1000)
                rss_idle = None
                if idle_wait > 0:
                    time.sleep(idle_wait)
                    _, rss_idle, _ = proc_stat(process.pid)
            finally:
                stop(process)
    finally:
        router.unlink(missing_ok=True)
    return {
        "workers": count,
        "rss_mb": rss_after / 1024,
        "kib_per_worker": rss_after / count,
        "first_request_ms": statistics.median(first),
        "first_request_after_idle_ms": statistics.median(first_idle),
        "second_request_ms": statistics.median(second),
        "loaded_after_idle_ms": statistics.median(loaded_idle),
        "rss_before_touching_mb": rss_before / 1024,
        "touch_s": touch_s,
        "idle_wait_s": idle_wait,
        "rss_idle_mb": rss_idle / 1024 if rss_idle is not None else None,
        "kib_per_idle_worker": rss_idle / count if rss_idle is not None else None,
    }


def module_load():
    """`switchyard check` on examples/hono-app: time to load a Hono app into a new isolate."""
    example = ROOT / "examples" / "hono-app"
    if not (example / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=example, check=True)
    out = subprocess.run(
        [str(SWITCHYARD), "check", "-c", "wrangler.toml", "-c", "users/wrangler.toml"],
        cwd=example, capture_output=True, text=True, check=True,
    ).stdout
    workers = {}
    name = None
    for line in out.splitlines():
        if not line.startswith(" ") and not line.startswith("switchyard"):
            name = line.split(" ")[0]
            workers[name] = {}
        elif line.strip().startswith("modules:"):
            workers[name]["modules"] = int(line.split()[1])
        elif line.strip().startswith("size:"):
            parts = line.split()
            workers[name]["size"] = f"{parts[1]} {parts[2]}"
        elif line.strip().startswith("load:"):
            parts = line.split()
            workers[name]["load_ms"] = float(parts[1])
            workers[name]["first_load_ms"] = float(parts[7].lstrip("("))
    return workers


# === report ===


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per scenario")
    parser.add_argument("--hello-rounds", type=int, default=5,
                        help="alternating rounds for (a) hello, whose ratio to bare hyper moves with the machine's load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="switchyard --threads")
    parser.add_argument("--workers", type=int, default=1000, help="workers loaded for the memory scenario")
    parser.add_argument("--idle-wait", type=int, default=40,
                        help="seconds with no requests before the memory scenario's idle figure (0: skip)")
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--out", default=str(BENCH / "results"), help="output path without extension")
    args = parser.parse_args()
    # With --only, the other scenarios' figures in the output file are kept (each scenario records
    # when it was measured).
    previous = {}
    if args.only and Path(args.out + ".json").exists():
        old = json.loads(Path(args.out + ".json").read_text())
        previous = old.get("scenarios", {})
        for scenario in previous.values():
            scenario.setdefault("measured", old.get("machine", {}).get("date"))

    runtimes = [Switchyard(args.threads), Workerd()]
    results = {"machine": {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M")}, "args": vars(args), "scenarios": {}}
    names = args.only or list(SCENARIOS) + ["cold_start", "many_workers", "module_load"]
    for name in names:
        per_runtime = {r.name: [] for r in runtimes}
        if name in SCENARIOS:
            scenario = SCENARIOS[name]
            contenders = runtimes + ([HyperHello(args.threads)] if name == "hello" else [])
            per_runtime = {r.name: [] for r in contenders}
            rounds = args.hello_rounds if name == "hello" else args.rounds
            for round_ in range(rounds):
                order = contenders if round_ % 2 == 0 else contenders[::-1]
                for runtime in order:
                    conns = scenario.get("connections", args.connections)
                    print(f"[{name}] round {round_ + 1}: {runtime.name}", file=sys.stderr, flush=True)
                    per_runtime[runtime.name].append(load(runtime, scenario, args.duration, conns))
            summary = {}
            for runtime, runs in per_runtime.items():
                summary[runtime] = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            results["scenarios"][name] = {"about": scenario["about"], "runs": per_runtime, "median": summary}
        elif name == "cold_start":
            print("[cold_start]", file=sys.stderr, flush=True)
            results["scenarios"][name] = {
                "about": "(f) process start → first response (ms)",
                "median": {r.name: {"ms": cold_start(r, 5)} for r in runtimes},
            }
        elif name == "many_workers":
            print(f"[many_workers] {args.workers}", file=sys.stderr, flush=True)
            results["scenarios"][name] = {
                "about": f"(g) {args.workers} workers loaded, each touched once",
                "median": {r.name: many_workers(r if r.name == "workerd" else Switchyard(1), args.workers, args.idle_wait) for r in runtimes},
            }
        elif name == "module_load":
            print("[module_load]", file=sys.stderr, flush=True)
            results["scenarios"][name] = {
                "about": "module graph of examples/hono-app loaded into a new isolate (switchyard check)",
                "median": {"switchyard": module_load()},
            }
    for name, scenario in results["scenarios"].items():
        scenario["measured"] = results["machine"]["date"]
    results["scenarios"] = {**previous, **results["scenarios"]}
    Path(args.out + ".json").write_text(json.dumps(results, indent=2))
    Path(args.out + ".md").write_text(render(results))
    print(render(results))


def render(results):
    out = [
        "# Switchyard vs workerd",
        "",
        f"Measured {results['machine']['date']} (scenarios run separately say when) on {results['machine']['cpus']} cores, both runtimes in the same run, "
        f"alternating, {results['args']['rounds']} rounds of {results['args']['duration']} s per scenario "
        f"({results['args'].get('hello_rounds', results['args']['rounds'])} for hello; medians); "
        f"wrk runs on the same cores. Switchyard with --threads {results['args']['threads']}; workerd as `workerd serve`. "
        "Read the ratios: absolute numbers move with the machine's load.",
        "",
        "workerd runs JavaScript on one thread; Switchyard uses every core. req/s ratios therefore include the "
        "thread count; CPU µs per request is the like-for-like cost. Failed requests (errors column) are counted "
        "in req/s by wrk, so a row with errors is not a result.",
        "",
        "| scenario | runtime | req/s | p50 ms | p99 ms | p99.9 ms | RSS MB | CPU µs/req | errors | req/s vs workerd |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in results["scenarios"].items():
        if "runs" not in s:
            continue
        wd = s["median"].get("workerd", {}).get("rps")
        for runtime, m in s["median"].items():
            ratio = f"{m['rps'] / wd:.2f}×" if wd else "–"
            when = f" ({s['measured']})" if s.get("measured") and s["measured"] != results["machine"]["date"] else ""
            out.append(
                f"| {s['about']}{when} | {runtime} | {m['rps']:.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
                f"{m['p999_ms']:.2f} | {m['rss_mb']:.0f} | {m['cpu_us_per_req']:.0f} | {m['errors']:.0f} | {ratio} |"
            )
    hello = results["scenarios"].get("hello", {}).get("runs", {})
    if "bare hyper" in hello:
        # Each round runs both back to back, so a round's ratio is one drift has hit least.
        shares = sorted(sw["rps"] / hy["rps"] for sw, hy in zip(hello["switchyard"], hello["bare hyper"]))
        how = (
            f"the median of {len(shares)} alternating rounds' ratios ({', '.join(f'{x:.0%}' for x in shares)})"
            if len(shares) > 1
            else "in one round"
        )
        out += [
            "",
            f"(a) hello: Switchyard serves {statistics.median(shares):.0%} of bare hyper's requests/s, {how} "
            "(target: within 15%, i.e. ≥ 85%).",
        ]
    if "router" in results["scenarios"] and "chain5" in results["scenarios"]:
        out += ["", "Cost per extra binding hop, from CPU time per request: (chain of 5 − router) / 4", ""]
        for runtime in ("switchyard", "workerd"):
            r = results["scenarios"]["router"]["median"][runtime]["cpu_us_per_req"]
            c = results["scenarios"]["chain5"]["median"][runtime]["cpu_us_per_req"]
            out.append(f"- {runtime}: {(c - r) / 4:.1f} µs per hop")
    if all(k in results["scenarios"] for k in ("rpc0", "rpc10", "fetch10")):
        out += ["", "Cost of one call over a binding, from CPU time per request: (10 calls − none) / 10", ""]
        for runtime in ("switchyard", "workerd"):
            base = results["scenarios"]["rpc0"]["median"][runtime]["cpu_us_per_req"]
            rpc = results["scenarios"]["rpc10"]["median"][runtime]
            fetch = results["scenarios"]["fetch10"]["median"][runtime]
            out.append(
                f"- {runtime}: RPC {(rpc['cpu_us_per_req'] - base) / 10:.1f} µs per call "
                f"({rpc['rps'] * 10:.0f} calls/s); over fetch {(fetch['cpu_us_per_req'] - base) / 10:.1f} µs per call "
                f"({fetch['rps'] * 10:.0f} calls/s)"
            )
    if "cold_start" in results["scenarios"]:
        s = results["scenarios"]["cold_start"]["median"]
        out += ["", "(f) Cold start, process start → first response of a hello worker (median of 5):", ""]
        out += [f"- {rt}: {v['ms']:.1f} ms" if v["ms"] is not None else f"- {rt}: failed" for rt, v in s.items()]
    if "many_workers" in results["scenarios"]:
        s = results["scenarios"]["many_workers"]
        out += ["", f"{s['about']} (Switchyard with --threads 1, so one isolate per worker):", ""]
        for rt, v in s["median"].items():
            out.append(
                f"- {rt}: {v['rss_mb']:.0f} MB RSS, {v['kib_per_worker']:.0f} KiB per worker; first request to a "
                f"worker {v['first_request_ms']:.2f} ms right after another request, "
                f"{v.get('first_request_after_idle_ms', float('nan')):.2f} ms after 20 ms of quiet; "
                f"second {v['second_request_ms']:.2f} ms, to a loaded worker after 20 ms of quiet "
                f"{v.get('loaded_after_idle_ms', float('nan')):.2f} ms"
            )
            if v.get("touch_s", 0) > 25:
                out[-1] += (
                    f" (touching them took {v['touch_s']:.0f} s: with Switchyard's 30 s idle timeout, "
                    "the first ones may have been freed before the RSS was read)"
                )
            if v.get("rss_idle_mb") is not None:
                out[-1] += (
                    f"; after {v['idle_wait_s']} s with no requests {v['rss_idle_mb']:.0f} MB RSS, "
                    f"{v['kib_per_idle_worker']:.0f} KiB per worker"
                )
    if "module_load" in results["scenarios"]:
        s = results["scenarios"]["module_load"]
        out += ["", f"{s['about']}, median of 5 (Switchyard only: workerd loads a bundle, not a folder):", ""]
        for worker, v in s["median"]["switchyard"].items():
            out.append(
                f"- {worker}: {v['modules']} modules, {v['size']}: {v['load_ms']:.2f} ms into a new isolate "
                f"({v['first_load_ms']:.2f} ms the first time in the process)"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
