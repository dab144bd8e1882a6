//! DOM Standard events and aborting: Event, EventTarget, CustomEvent, AbortController,
//! AbortSignal (abort, any, reasons), reportError, performance.

use crate::common::harness;

#[test]
fn event_target_dispatch_follows_the_dom_standard() {
    let h = harness();
    let out = h.run(
        r#"
        const target = new EventTarget();
        const log = [];
        const a = (e) => log.push(["a", e.eventPhase, e.target === target, e.currentTarget === target]);
        target.addEventListener("ping", a);
        target.addEventListener("ping", a);                 // same listener twice: once
        target.addEventListener("ping", { handleEvent(e) { log.push(["object", this !== target]); } });
        target.addEventListener("ping", () => log.push(["once"]), { once: true });
        const b = () => { log.push(["b removes c"]); target.removeEventListener("ping", c); };
        const c = () => log.push(["c"]);
        target.addEventListener("ping", b);
        target.addEventListener("ping", c);
        target.addEventListener("ping", () => { throw new Error("listener error"); });
        target.addEventListener("ping", (e) => { e.preventDefault(); log.push(["late"]); });
        const event = new Event("ping", { cancelable: true });
        const result = target.dispatchEvent(event);
        target.dispatchEvent(new Event("ping"));
        let again;
        try { target.dispatchEvent(null); } catch (e) { again = e.name; }
        return [log, result, event.defaultPrevented, event.eventPhase, event.currentTarget, again, Event.AT_TARGET];
        "#,
    );
    assert_eq!(
        out,
        r#"[[["a",2,true,true],["object",true],["once"],["b removes c"],["late"],["a",2,true,true],["object",true],["b removes c"],["late"]],false,true,0,null,"TypeError",2]"#
    );
    let logs = h.take_logs();
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(
        logs[0].1.contains("Uncaught Error: listener error"),
        "{logs:?}"
    );
}

#[test]
fn stop_immediate_propagation_passive_and_custom_event() {
    let h = harness();
    let out = h.run(
        r#"
        const t = new EventTarget();
        const seen = [];
        t.addEventListener("x", (e) => { seen.push(e.detail); e.stopImmediatePropagation(); });
        t.addEventListener("x", () => seen.push("never"));
        t.dispatchEvent(new CustomEvent("x", { detail: { n: 1 } }));
        const p = new EventTarget();
        p.addEventListener("y", (e) => e.preventDefault(), { passive: true });
        const passive = p.dispatchEvent(new Event("y", { cancelable: true }));
        const e = new Event("z");
        return [seen, passive, e.cancelable, e.bubbles, e.isTrusted, typeof e.timeStamp, String(e),
                new CustomEvent("q").detail];
        "#,
    );
    assert_eq!(
        out,
        r#"[[{"n":1}],true,false,false,false,"number","[object Event]",null]"#
    );
}

#[test]
fn abort_controller_and_signals() {
    let h = harness();
    let out = h.run(
        r#"
        const c = new AbortController();
        const order = [];
        c.signal.addEventListener("abort", (e) => order.push(e.type + ":" + c.signal.aborted));
        c.signal.onabort = () => order.push("onabort");
        const removed = new EventTarget();
        const d = new AbortController();
        removed.addEventListener("x", () => order.push("should not run"), { signal: d.signal });
        d.abort();
        removed.dispatchEvent(new Event("x"));
        c.abort();
        c.abort("second abort is ignored");
        let thrown;
        try { c.signal.throwIfAborted(); } catch (e) { thrown = [e.name, e.message, e instanceof DOMException]; }
        const reasoned = AbortSignal.abort(42);
        const x = new AbortController(), y = new AbortController();
        const any = AbortSignal.any([x.signal, y.signal]);
        y.abort("from y");
        const anyDone = AbortSignal.any([AbortSignal.abort("already")]);
        let ctor;
        try { new AbortSignal(); } catch (e) { ctor = e.name; }
        return [order, thrown, reasoned.reason, any.aborted, any.reason, anyDone.reason, ctor, c.signal.reason.name];
        "#,
    );
    assert_eq!(
        out,
        r#"[["abort:true","onabort"],["AbortError","This operation was aborted",true],42,true,"from y","already","TypeError","AbortError"]"#
    );
}

#[test]
fn report_error_fires_an_error_event_that_can_be_cancelled() {
    let h = harness();
    h.take_logs();
    let out = h.run(
        r#"
        const seen = [];
        const listener = (e) => { seen.push([e.constructor.name, e.message, e.error.code]); e.preventDefault(); };
        addEventListener("error", listener);
        reportError(Object.assign(new Error("handled"), { code: 7 }));
        removeEventListener("error", listener);
        reportError(new Error("logged"));
        return seen;
        "#,
    );
    assert_eq!(out, r#"[["ErrorEvent","handled",7]]"#);
    let logs = h.take_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].1.contains("Uncaught Error: logged"), "{logs:?}");
}

#[test]
fn performance_now_is_relative_to_time_origin() {
    let h = harness();
    let out = h.run(
        r#"
        const a = performance.now();
        let spin = 0; for (let i = 0; i < 1e5; i++) spin += i;
        const b = performance.now();
        const origin = performance.timeOrigin;
        // Listeners work, before and after anything else loads the events extra.
        let heard = 0;
        performance.addEventListener("mark", () => heard++);
        const isTarget = performance instanceof EventTarget;
        performance.dispatchEvent(new Event("mark"));
        return [a >= 0, b >= a, Math.abs(origin + b - Date.now()) < 1000, JSON.stringify(performance) === JSON.stringify({ timeOrigin: origin }),
                isTarget, String(performance), heard];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,true,true,true,true,"[object Performance]",1]"#
    );
}

/// Listeners must not make reference cycles (QuickJS frees those only in a collection of the
/// whole heap): with the collector off, 2,000 targets with listeners, some removed by `once`,
/// by an abort signal or by hand, must leave nothing behind.
#[test]
fn listeners_are_freed_without_the_collector() {
    let h = harness();
    let make = "for (let i = 0; i < 2000; i++) { \
                const c = new AbortController(); \
                c.signal.addEventListener('abort', () => {}); \
                c.signal.addEventListener('abort', () => {}, { once: true }); \
                const t = new EventTarget(); const f = () => {}; \
                t.addEventListener('x', f); t.addEventListener('y', () => {}, { signal: c.signal }); \
                t.dispatchEvent(new Event('x')); t.removeEventListener('x', f); c.abort(); }";
    let left = h.left_without_collector(make);
    assert!(
        left < 64 * 1024,
        "{left} bytes left behind by 2,000 targets"
    );
}
