// Memory near and at the limit (32 MB).
let live = null;

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/exhaust") {
      // Small objects until nothing is left: QuickJS then cannot even allocate its error and
      // throws `null`, which must still be reported as the memory limit.
      live = [];
      for (;;) live.push({ n: Math.random() });
    }
    if (url.pathname === "/throw-null") {
      // A worker's own `throw null`, far from the limit: an ordinary exception.
      throw null;
    }
    // Keep 22 MB live (two thirds of the limit), then make 64 MB of garbage in cycles, which
    // only the GC frees: it must run before the limit is reached, not after.
    live = [];
    for (let i = 0; i < 22 * 16; i++) live.push(new Uint8Array(64 * 1024));
    let churn = 0;
    for (let round = 0; round < 8000; round++) {
      const garbage = [];
      for (let j = 0; j < 8; j++) garbage.push(new Uint8Array(1024));
      const a = { garbage };
      const b = { a };
      a.b = b;
      churn += garbage.length;
    }
    live = null;
    return new Response(`survived ${churn} garbage buffers`);
  },
};
