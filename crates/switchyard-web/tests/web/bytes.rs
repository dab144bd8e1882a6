//! Readable byte streams: ReadableByteStreamController, BYOB readers and requests, from the
//! Streams Standard's examples and algorithms.

use crate::common::harness;

#[test]
fn a_byob_reader_fills_the_callers_buffer_through_byob_requests() {
    let h = harness();
    let out = h.run(
        r#"
        // A source that writes "0123456789" into whatever buffer the reader offers.
        const data = new TextEncoder().encode("0123456789");
        let offset = 0;
        const stream = new ReadableStream({
          type: "bytes",
          pull(controller) {
            const request = controller.byobRequest;
            const view = request.view;
            const n = Math.min(view.byteLength, data.length - offset, 3);
            if (n === 0) { controller.close(); request.respond(0); return; }
            view.set(data.subarray(offset, offset + n));
            offset += n;
            request.respond(n);
          },
        });
        const reader = stream.getReader({ mode: "byob" });
        const reads = [];
        let buffer = new ArrayBuffer(8);
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(buffer));
          if (done) break;
          reads.push(new TextDecoder().decode(value));
          buffer = value.buffer;
        }
        return [reads, reader instanceof ReadableStreamBYOBReader, String(stream.getReader === undefined)];
        "#,
    );
    assert_eq!(out, r#"[["012","345","678","9"],true,"false"]"#);
}

#[test]
fn default_readers_enqueued_chunks_and_auto_allocation() {
    let h = harness();
    let out = h.run(
        r#"
        const enqueued = new ReadableStream({
          type: "bytes",
          start(controller) {
            controller.enqueue(new Uint8Array([1, 2]));
            controller.enqueue(new Uint8Array([3]));
            controller.close();
          },
        });
        const chunks = [];
        for await (const chunk of enqueued) chunks.push([...chunk]);

        let pulls = 0;
        const auto = new ReadableStream({
          type: "bytes",
          autoAllocateChunkSize: 16,
          pull(controller) {
            pulls++;
            const request = controller.byobRequest;
            if (pulls > 2) { controller.close(); request.respond(0); return; }
            request.view[0] = pulls;
            request.respond(1);
          },
        });
        const autoChunks = [];
        for await (const chunk of auto) autoChunks.push([chunk.byteLength, chunk[0], chunk.buffer.byteLength]);

        // Queued bytes are copied into a BYOB read; `min` waits until enough arrived.
        let controllerRef;
        const queued = new ReadableStream({ type: "bytes", start(c) { controllerRef = c; } });
        controllerRef.enqueue(new Uint8Array([9, 8, 7]));
        const byob = queued.getReader({ mode: "byob" });
        const first = await byob.read(new Uint8Array(2));
        const pending = byob.read(new Uint8Array(4), { min: 4 });
        controllerRef.enqueue(new Uint8Array([6, 5]));
        controllerRef.enqueue(new Uint8Array([4, 3]));
        const second = await pending;
        let notBytes;
        try { new ReadableStream().getReader({ mode: "byob" }); } catch (e) { notBytes = e.name; }
        return [chunks, autoChunks, [...first.value], [...second.value], second.done, notBytes];
        "#,
    );
    assert_eq!(
        out,
        r#"[[[1,2],[3]],[[1,1,16],[1,2,16]],[9,8],[7,6,5,4],false,"TypeError"]"#
    );
}

#[test]
fn element_sizes_cancel_and_errors() {
    let h = harness();
    let out = h.run(
        r#"
        // Three bytes into a Uint16Array: one whole element now, the odd byte kept for later.
        let c;
        const stream = new ReadableStream({ type: "bytes", start(controller) { c = controller; } });
        const reader = stream.getReader({ mode: "byob" });
        c.enqueue(new Uint8Array([1, 0, 2]));
        const words = await reader.read(new Uint16Array(4));
        c.enqueue(new Uint8Array([0]));
        const next = await reader.read(new Uint16Array(4));

        let cancelled;
        const cancellable = new ReadableStream({ type: "bytes", cancel(reason) { cancelled = reason; } });
        await cancellable.cancel("stop");

        const failing = new ReadableStream({ type: "bytes", pull(controller) { controller.error(new Error("broken")); } });
        const failed = await failing.getReader({ mode: "byob" }).read(new Uint8Array(1)).then(() => "ok", (e) => e.message);
        // respondWithNewView: the source answers with its own view over the offered buffer.
        const fresh = new ReadableStream({
          type: "bytes",
          pull(controller) {
            const request = controller.byobRequest;
            const view = new Uint8Array(request.view.buffer, request.view.byteOffset, 2);
            view.set([42, 43]);
            request.respondWithNewView(view);
          },
        });
        const newView = await fresh.getReader({ mode: "byob" }).read(new Uint8Array(5));
        return [[...words.value], words.value.constructor.name, [...next.value], cancelled, failed, [...newView.value]];
        "#,
    );
    assert_eq!(out, r#"[[1],"Uint16Array",[2],"stop","broken",[42,43]]"#);
}

#[test]
fn request_and_response_bodies_are_byte_streams() {
    let h = harness();
    let out = h.run(
        r#"
        const readAll = async (body, size) => {
          const reader = body.getReader({ mode: "byob" });
          const reads = [];
          for (;;) {
            const { value, done } = await reader.read(new Uint8Array(size));
            if (done) break;
            reads.push(new TextDecoder().decode(value));
          }
          return reads;
        };
        const response = new Response("hello world");
        const request = new Request("https://a.test/", { method: "POST", body: new Uint8Array([65, 66, 67]) });
        const after = new Response("abc");
        const first = after.body.getReader();
        await first.read();
        first.releaseLock();
        return [
          await readAll(response.body, 4),
          response.bodyUsed,
          await readAll(request.body, 2),
          // Read to its end by a default reader first: a BYOB reader then sees the end.
          await readAll(after.body, 2),
          // A user stream without type: "bytes" is still not one.
          (() => { try { new ReadableStream().getReader({ mode: "byob" }); return "accepted"; } catch (e) { return e.name; } })(),
        ];
        "#,
    );
    assert_eq!(
        out,
        r#"[["hell","o wo","rld"],true,["AB","C"],[],"TypeError"]"#
    );
}
