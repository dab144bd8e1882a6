//! Streams Standard beyond readable streams: WritableStream, TransformStream, pipeTo and
//! pipeThrough, the queuing strategies, TextEncoderStream/TextDecoderStream and
//! CompressionStream/DecompressionStream.

use crate::common::harness;

#[test]
fn writable_stream_writes_in_order_with_backpressure_and_close() {
    let h = harness();
    let out = h.run(
        r#"
        const log = [];
        let release;
        const ws = new WritableStream({
          start() { log.push("start"); },
          write(chunk) {
            log.push("write " + chunk);
            if (chunk === "b") return new Promise((r) => { release = r; });
          },
          close() { log.push("close"); },
        }, new CountQueuingStrategy({ highWaterMark: 2 }));
        const writer = ws.getWriter();
        const sizes = [writer.desiredSize];
        const a = writer.write("a");
        const b = writer.write("b");
        sizes.push(writer.desiredSize);
        const c = writer.write("c");
        sizes.push(writer.desiredSize);
        let readyBeforeRelease = "pending";
        writer.ready.then(() => { readyBeforeRelease = "resolved"; });
        await a;
        await null; await null;
        const stateWhileBlocked = readyBeforeRelease;
        release();
        await Promise.all([b, c]);
        await writer.close();
        await writer.closed;
        return [log, sizes, stateWhileBlocked, ws.locked, writer.desiredSize];
        "#,
    );
    assert_eq!(
        out,
        r#"[["start","write a","write b","write c","close"],[2,0,-1],"pending",true,0]"#
    );
}

#[test]
fn a_failing_sink_errors_the_stream_and_abort_reaches_the_sink() {
    let h = harness();
    let out = h.run(
        r#"
        const failing = new WritableStream({ write() { throw new Error("disk full"); } });
        const w = failing.getWriter();
        const first = await w.write("x").then(() => "ok", (e) => e.message);
        const second = await w.write("y").then(() => "ok", (e) => e.message);
        const closed = await w.closed.then(() => "ok", (e) => e.message);

        let aborted, signalAborted;
        const sink = new WritableStream({
          start(controller) { controller.signal.addEventListener("abort", () => { signalAborted = controller.signal.reason; }); },
          abort(reason) { aborted = reason; },
        });
        await sink.abort("stop");
        const afterAbort = await sink.getWriter().write("z").then(() => "ok", (e) => e);
        let locked;
        const lockedStream = new WritableStream();
        lockedStream.getWriter();
        try { lockedStream.getWriter(); } catch (e) { locked = e.name; }
        return [first, second, closed, aborted, signalAborted, afterAbort, locked];
        "#,
    );
    assert_eq!(
        out,
        r#"["disk full","disk full","disk full","stop","stop","stop","TypeError"]"#
    );
}

#[test]
fn transform_streams_transform_flush_and_terminate() {
    let h = harness();
    let out = h.run(
        r#"
        const upper = new TransformStream({
          transform(chunk, controller) { controller.enqueue(chunk.toUpperCase()); },
          flush(controller) { controller.enqueue("!"); },
        });
        const writer = upper.writable.getWriter();
        writer.write("a"); writer.write("b"); writer.close();
        const got = [];
        for await (const chunk of upper.readable) got.push(chunk);

        const identity = new TransformStream();
        const iw = identity.writable.getWriter();
        iw.write(1); iw.close();
        const ir = [];
        for await (const chunk of identity.readable) ir.push(chunk);

        const ended = new TransformStream({ transform(chunk, c) { c.enqueue(chunk); c.terminate(); } });
        const ew = ended.writable.getWriter();
        const write1 = ew.write("only");
        const reader = ended.readable.getReader();
        const r1 = await reader.read();
        const r2 = await reader.read();
        await write1;
        const write2 = await ew.write("more").then(() => "ok", (e) => e.name);

        const failing = new TransformStream({ transform() { throw new RangeError("bad chunk"); } });
        const fw = failing.writable.getWriter();
        // The write waits for a read (the readable side's high-water mark is 0), then fails.
        const writing = fw.write(1).then(() => "ok", (e) => e.message);
        const fread = await failing.readable.getReader().read().then(() => "ok", (e) => e.message);
        const fwrite = await writing;
        return [got, ir, r1, r2, write2, fwrite, fread];
        "#,
    );
    assert_eq!(
        out,
        r#"[["A","B","!"],[1],{"value":"only","done":false},{"done":true},"TypeError","bad chunk","bad chunk"]"#
    );
}

#[test]
fn pipe_to_carries_chunks_and_propagates_close_errors_and_abort() {
    let h = harness();
    let out = h.run(
        r#"
        const collect = () => {
          const chunks = [];
          return { chunks, stream: new WritableStream({ write(c) { chunks.push(c); }, close() { chunks.push("<closed>"); }, abort(r) { chunks.push("<aborted " + r + ">"); } }) };
        };
        const a = collect();
        await ReadableStream.from([1, 2, 3]).pipeTo(a.stream);

        const b = collect();
        await ReadableStream.from(["x"]).pipeTo(b.stream, { preventClose: true });

        const c = collect();
        const broken = new ReadableStream({ start(controller) { controller.enqueue("before"); controller.error("source broke"); } });
        const cResult = await broken.pipeTo(c.stream).then(() => "ok", (e) => e);

        const controller = new AbortController();
        const d = { chunks: [] };
        d.stream = new WritableStream({
          write(c) { d.chunks.push(c); if (d.chunks.length === 3) controller.abort("enough"); },
          abort(r) { d.chunks.push("<aborted " + r + ">"); },
        });
        let canceled;
        const endless = new ReadableStream({ pull(ctl) { ctl.enqueue("tick"); }, cancel(r) { canceled = r; } });
        const dResult = await endless.pipeTo(d.stream, { signal: controller.signal }).then(() => "ok", (e) => e);

        const e = collect();
        const source = new ReadableStream({ cancel(reason) { e.chunks.push("<source canceled: " + reason + ">"); } });
        const failingDest = new WritableStream({ start(ctl) { ctl.error("dest broke"); } });
        const eResult = await source.pipeTo(failingDest).then(() => "ok", (err) => err);

        const through = ReadableStream.from(["a", "b"]).pipeThrough(new TransformStream({ transform(ch, ctl) { ctl.enqueue(ch + ch); } }));
        const t = [];
        for await (const ch of through) t.push(ch);
        return [a.chunks, b.chunks, c.chunks, cResult, d.chunks, canceled, dResult, e.chunks, eResult, t];
        "#,
    );
    assert_eq!(
        out,
        r#"[[1,2,3,"<closed>"],["x"],["<aborted source broke>"],"source broke",["tick","tick","tick","<aborted enough>"],"enough","enough",["<source canceled: dest broke>"],"dest broke",["aa","bb"]]"#
    );
}

#[test]
fn queuing_strategies() {
    let h = harness();
    let out = h.run(
        r#"
        const bytes = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
        const count = new CountQueuingStrategy({ highWaterMark: 3 });
        let missing;
        try { new CountQueuingStrategy({}); } catch (e) { missing = e.name; }
        const rs = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); } }, bytes);
        const reader = rs.getReader();
        return [bytes.highWaterMark, bytes.size(new Uint8Array(5)), count.highWaterMark, count.size("x"),
                bytes.size === new ByteLengthQueuingStrategy({ highWaterMark: 1 }).size, missing,
                (await reader.read()).value.length];
        "#,
    );
    assert_eq!(out, r#"[16,5,3,1,true,"TypeError",10]"#);
}

#[test]
fn text_streams_keep_multibyte_characters_split_across_chunks() {
    let h = harness();
    let out = h.run(
        r#"
        const bytes = new TextEncoder().encode("héllo 🌍!");
        // Split inside é and inside the emoji.
        const pieces = [bytes.slice(0, 2), bytes.slice(2, 9), bytes.slice(9)];
        const decoded = [];
        for await (const text of ReadableStream.from(pieces).pipeThrough(new TextDecoderStream())) decoded.push(text);

        const encoded = [];
        // A surrogate pair split between two string chunks.
        for await (const chunk of ReadableStream.from(["a\uD83C", "\uDF0Db", "\uD800"]).pipeThrough(new TextEncoderStream())) {
          encoded.push(...chunk);
        }
        let fatal;
        const strict = new TextDecoderStream("utf-8", { fatal: true });
        const w = strict.writable.getWriter();
        w.write(new Uint8Array([0xff])).catch(() => {});
        try { await strict.readable.getReader().read(); } catch (e) { fatal = e.name; }
        return [decoded.join(""), decoded.length > 1, encoded, new TextDecoderStream().encoding, fatal];
        "#,
    );
    assert_eq!(
        out,
        r#"["héllo 🌍!",true,[97,240,159,140,141,98,239,191,189],"utf-8","TypeError"]"#
    );
}

#[test]
fn compression_streams_round_trip_every_format_and_reject_bad_data() {
    let h = harness();
    let out = h.run(
        r#"
        const text = "The quick brown fox jumps over the lazy dog. ".repeat(50);
        const collect = async (stream) => {
          const parts = [];
          for await (const chunk of stream) parts.push(...chunk);
          return new Uint8Array(parts);
        };
        const results = {};
        for (const format of ["gzip", "deflate", "deflate-raw"]) {
          const compressed = await collect(ReadableStream.from([text]).pipeThrough(new TextEncoderStream()).pipeThrough(new CompressionStream(format)));
          const back = await collect(ReadableStream.from([compressed.slice(0, 7), compressed.slice(7)]).pipeThrough(new DecompressionStream(format)));
          // gzip and zlib (deflate) streams start with their headers; raw deflate has none.
          const header = format === "deflate-raw" ? null : [compressed[0], compressed[1]];
          results[format] = [compressed.length < text.length, new TextDecoder().decode(back) === text, header];
        }
        const fail = async (format, data) => {
          try {
            await collect(ReadableStream.from([data]).pipeThrough(new DecompressionStream(format)));
            return "ok";
          } catch (e) { return e.name; }
        };
        const gz = await collect(ReadableStream.from([new TextEncoder().encode(text)]).pipeThrough(new CompressionStream("gzip")));
        let badFormat;
        try { new CompressionStream("brotli"); } catch (e) { badFormat = e.name; }
        return [results, await fail("gzip", new Uint8Array([1, 2, 3, 4])), await fail("gzip", gz.slice(0, gz.length - 4)), badFormat];
        "#,
    );
    assert_eq!(
        out,
        r#"[{"gzip":[true,true,[31,139]],"deflate":[true,true,[120,156]],"deflate-raw":[true,true,null]},"TypeError","TypeError","TypeError"]"#
    );
}
