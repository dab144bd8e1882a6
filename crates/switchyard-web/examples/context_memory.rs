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

fn measure(touch: &str) -> (i64, i64, i64) {
    let rt = Runtime::new().unwrap();
    let base = heap(&rt);
    let ctx = Context::full(&rt).unwrap();
    let context = heap(&rt);
    ctx.with(|ctx| {
        install(
            &ctx,
            WebOptions {
                console: Rc::new(|_, _| {}),
                map_stack: None,
            },
        )
        .unwrap()
    });
    let core = heap(&rt);
    ctx.with(|ctx| {
        let _: rquickjs::Value = ctx.eval(touch).unwrap();
        while ctx.execute_pending_job() {}
    });
    let touched = heap(&rt);
    (context - base, core - context, touched - core)
}

fn main() {
    // Warm the bytecode caches (compiled once per process).
    measure(
        "crypto.subtle; new WritableStream(); new Blob([]); new URLPattern(); new MessageChannel()",
    );
    let cases = [
        ("nothing", "0"),
        ("new Response('x')", "new Response('x')"),
        ("console.log({a: 1})", "console.log({a: 1})"),
        (
            "response.body read",
            "new Response('x').body.getReader().read()",
        ),
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
