use crate::common::harness;

#[test]
fn controller_and_reader() {
    let h = harness();
    let out = h.run(
        r#"
        let controller;
        const log = [];
        const s = new ReadableStream({
            start(c) { controller = c; log.push("start:" + c.desiredSize); },
            pull(c) { log.push("pull"); },
            cancel(reason) { log.push("cancel:" + reason); },
        }, { highWaterMark: 2 });
        controller.enqueue("a");
        const ds = controller.desiredSize;
        const reader = s.getReader();
        const locked = s.locked;
        const r1 = await reader.read();
        controller.enqueue("b");
        controller.close();
        let err;
        try { controller.enqueue("c"); } catch (e) { err = e.name; }
        const r2 = await reader.read();
        const r3 = await reader.read();
        await reader.closed;
        reader.releaseLock();
        return [log[0], ds, locked, r1, r2, r3, err, s.locked, controller.desiredSize];
        "#,
    );
    assert_eq!(
        out,
        r#"["start:2",1,true,{"value":"a","done":false},{"value":"b","done":false},{"done":true},"TypeError",false,0]"#
    );
}

#[test]
fn error_and_cancel() {
    let h = harness();
    let out = h.run(
        r#"
        let c1;
        const s1 = new ReadableStream({ start(c) { c1 = c; } });
        const r1 = s1.getReader();
        const pending = r1.read();
        c1.error(new Error("boom"));
        let e1, e2;
        try { await pending; } catch (e) { e1 = e.message; }
        try { await r1.closed; } catch (e) { e2 = e.message; }
        const reasons = [];
        const s2 = new ReadableStream({ cancel(r) { reasons.push(r); } });
        const cancelResult = await s2.cancel("why");
        const r2 = s2.getReader();
        const afterCancel = await r2.read();
        const s3 = new ReadableStream();
        s3.getReader();
        let e3;
        try { await s3.cancel(); } catch (e) { e3 = e.name; }
        let e4;
        try { new ReadableStream({ start() { throw new RangeError("sync"); } }); } catch (e) { e4 = e.name; }
        const s5 = new ReadableStream({ start() { return Promise.reject(new Error("async start")); } });
        let e5;
        try { await s5.getReader().read(); } catch (e) { e5 = e.message; }
        return [e1, e2, reasons, cancelResult, afterCancel.done, e3, e4, e5];
        "#,
    );
    assert_eq!(
        out,
        r#"["boom","boom",["why"],null,true,"TypeError","RangeError","async start"]"#
    );
}

#[test]
fn release_lock_rejects_pending_reads_and_closed() {
    let h = harness();
    let out = h.run(
        r#"
        const s = new ReadableStream();
        const r = s.getReader();
        const p = r.read();
        r.releaseLock();
        let e1, e2, e3;
        try { await p; } catch (e) { e1 = e.name; }
        try { await r.closed; } catch (e) { e2 = e.name; }
        try { await r.read(); } catch (e) { e3 = e.name; }
        const r2 = s.getReader();
        let e4;
        try { s.getReader(); } catch (e) { e4 = e.name; }
        let e5;
        try { new ReadableStreamDefaultReader(s); } catch (e) { e5 = e.name; }
        return [e1, e2, e3, e4, e5, r2 instanceof ReadableStreamDefaultReader];
        "#,
    );
    assert_eq!(
        out,
        r#"["TypeError","TypeError","TypeError","TypeError","TypeError",true]"#
    );
}

#[test]
fn async_iteration_tee_and_from() {
    let h = harness();
    let out = h.run(
        r#"
        const mk = () => new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.enqueue(3); c.close(); } });
        const seen = [];
        for await (const v of mk()) seen.push(v);
        const early = mk();
        for await (const v of early) { if (v === 1) break; }
        const lockedAfterBreak = early.locked;
        const [a, b] = mk().tee();
        const ta = [], tb = [];
        for await (const v of a) ta.push(v);
        for await (const v of b) tb.push(v);
        const fromArray = [];
        for await (const v of ReadableStream.from([4, Promise.resolve(5)])) fromArray.push(v);
        async function* gen() { yield "x"; yield "y"; }
        const fromGen = [];
        for await (const v of ReadableStream.from(gen())) fromGen.push(v);
        const it = mk().values({ preventCancel: true });
        const n1 = await it.next();
        const ret = await it.return("r");
        const after = await it.next();
        return [seen, lockedAfterBreak, ta, tb, fromArray, fromGen, n1, ret, after,
                Object.prototype.toString.call(mk()[Symbol.asyncIterator]())];
        "#,
    );
    assert_eq!(
        out,
        r#"[[1,2,3],false,[1,2,3],[1,2,3],[4,5],["x","y"],{"value":1,"done":false},{"value":"r","done":true},{"done":true},"[object ReadableStream AsyncIterator]"]"#
    );
}

#[test]
fn strategy_and_shape() {
    let h = harness();
    let out = h.run(
        r#"
        let ctl;
        const s = new ReadableStream({ start(c) { ctl = c; } }, { highWaterMark: 10, size(chunk) { return chunk.length; } });
        ctl.enqueue("abcd");
        const ds = ctl.desiredSize;
        let e1;
        try { new ReadableStream({}, { highWaterMark: -1 }); } catch (e) { e1 = e.name; }
        let e2;
        try { new ReadableStream({ type: "nope" }); } catch (e) { e2 = e.name; }
        let e3;
        try { new ReadableStreamDefaultController(); } catch (e) { e3 = e.name; }
        let e4;
        try { s.getReader({ mode: "byob" }); } catch (e) { e4 = e.name; }
        return [ds, e1, e2, e3, e4, Object.prototype.toString.call(s), ReadableStream.length,
                typeof ReadableStream.prototype[Symbol.asyncIterator]];
        "#,
    );
    assert_eq!(
        out,
        r#"[6,"RangeError","TypeError","TypeError","TypeError","[object ReadableStream]",0,"function"]"#
    );
}

#[test]
fn body_stream_tee_shares_the_source() {
    let h = harness();
    let out = h.run(
        r#"
        const r = new Response("shared");
        const [a, b] = r.body.tee();
        return [r.body.locked, await new Response(a).text(), await new Response(b).text()];
        "#,
    );
    assert_eq!(out, r#"[true,"shared","shared"]"#);
}
