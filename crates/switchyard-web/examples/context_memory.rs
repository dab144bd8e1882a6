//! QuickJS heap per context, phase by phase: a bare context, the Web API core, then each
//! extra as a worker would load it. `cargo run --release -p switchyard-web --example
//! context_memory`. Each phase is measured in a fresh runtime after a second context warmed
//! the process-wide bytecode caches, so only per-context cost shows.
use std::rc::Rc;

use rquickjs::{Context, Runtime};
use switchyard_web::{WebOptions, install};

fn heap(rt: &Runtime) -> i64 {
    rt.run_gc();
    rt.memory_usage().malloc_size
}

/// The Web API core, with console output dropped.
fn install_core(ctx: &Context) {
    ctx.with(|ctx| {
        let options = WebOptions {
            console: Rc::new(|_, _| {}),
            map_stack: None,
        };
        install(&ctx, options).unwrap()
    });
}

fn measure(touch: &str) -> (i64, i64, i64) {
    let rt = Runtime::new().unwrap();
    let base = heap(&rt);
    let ctx = Context::full(&rt).unwrap();
    let context = heap(&rt);
    install_core(&ctx);
    let core = heap(&rt);
    ctx.with(|ctx| {
        let _: rquickjs::Value = ctx.eval(touch).unwrap();
        while ctx.execute_pending_job() {}
    });
    let touched = heap(&rt);
    (context - base, core - context, touched - core)
}

/// How long a new runtime, a context and the core take (median of $ROUNDS, default 50; caches
/// warm).
fn startup_time() {
    let mut phases: Vec<(u128, u128, u128)> = (0..std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50))
        .map(|_| {
            let t0 = std::time::Instant::now();
            let rt = Runtime::new().unwrap();
            let t1 = std::time::Instant::now();
            let ctx = Context::full(&rt).unwrap();
            let t2 = std::time::Instant::now();
            install_core(&ctx);
            let t3 = std::time::Instant::now();
            (
                (t1 - t0).as_micros(),
                (t2 - t1).as_micros(),
                (t3 - t2).as_micros(),
            )
        })
        .collect();
    phases.sort_by_key(|p| p.0 + p.1 + p.2);
    let (runtime, context, core) = phases[phases.len() / 2];
    println!("start-up: runtime {runtime} µs, context {context} µs, core {core} µs");
}

/// What the core's share of the heap is made of (QuickJS's own accounting).
fn core_breakdown() {
    let rt = Runtime::new().unwrap();
    let ctx = Context::full(&rt).unwrap();
    rt.run_gc();
    let before = rt.memory_usage();
    install_core(&ctx);
    rt.run_gc();
    let after = rt.memory_usage();
    let rows = [
        (
            "atoms",
            after.atom_count - before.atom_count,
            after.atom_size - before.atom_size,
        ),
        (
            "strings",
            after.str_count - before.str_count,
            after.str_size - before.str_size,
        ),
        (
            "objects",
            after.obj_count - before.obj_count,
            after.obj_size - before.obj_size,
        ),
        (
            "properties",
            after.prop_count - before.prop_count,
            after.prop_size - before.prop_size,
        ),
        (
            "shapes",
            after.shape_count - before.shape_count,
            after.shape_size - before.shape_size,
        ),
        (
            "functions",
            after.js_func_count - before.js_func_count,
            after.js_func_size - before.js_func_size,
        ),
        (
            "  of which code",
            after.js_func_count - before.js_func_count,
            after.js_func_code_size - before.js_func_code_size,
        ),
        (
            "  of which pc2line",
            after.js_func_pc2line_count - before.js_func_pc2line_count,
            after.js_func_pc2line_size - before.js_func_pc2line_size,
        ),
        (
            "malloc total",
            after.malloc_count - before.malloc_count,
            after.malloc_size - before.malloc_size,
        ),
    ];
    println!("the core, by kind:");
    for (name, count, size) in rows {
        println!("  {name:20} {count:>6}  {:>4} KiB", size / 1024);
    }
}

fn main() {
    // Warm the bytecode caches (compiled once per process).
    measure(
        "crypto.subtle; new WritableStream(); new Blob([]); new URLPattern(); new MessageChannel(); \
         console.clear(); structuredClone(1); new ReadableStream(); new AbortController()",
    );
    core_breakdown();
    startup_time();
    let cases = [
        ("nothing", "0"),
        ("new Response('x')", "new Response('x')"),
        ("console.clear()", "console.clear()"),
        ("structuredClone(1)", "structuredClone(1)"),
        ("console.log({a: 1})", "console.log({a: 1})"),
        ("response.text()", "new Response('x').text()"),
        (
            "response.body read",
            "new Response('x').body.getReader().read()",
        ),
        ("new AbortController()", "new AbortController()"),
        ("performance.now()", "performance.now()"),
        ("crypto.subtle", "crypto.subtle"),
        ("WritableStream", "new WritableStream()"),
        ("Blob", "new Blob([])"),
        ("URLPattern", "new URLPattern()"),
        ("MessageChannel", "new MessageChannel()"),
    ];
    for (name, touch) in cases {
        let (context, core, touched) = measure(touch);
        println!(
            "{name:24} context {:>4} KiB  core {:>4} KiB  +touch {:>4} KiB",
            context / 1024,
            core / 1024,
            touched / 1024
        );
    }
}
