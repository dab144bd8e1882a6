// The last hop: reports what arrived, hashing large bodies instead of echoing them.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const bytes = new Uint8Array(await request.arrayBuffer());
    let sum = 0;
    for (let i = 0; i < bytes.length; i++) sum = (sum * 31 + bytes[i]) >>> 0;
    if (url.pathname === "/delay") {
      // Finish in the reverse order of arrival so concurrent requests interleave.
      const ms = Number(url.searchParams.get("ms") || 0);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return Response.json({
      hop: "c",
      method: request.method,
      path: url.pathname,
      query: url.search,
      id: request.headers.get("x-id"),
      viaB: request.headers.get("x-via-b"),
      contentType: request.headers.get("content-type"),
      length: bytes.length,
      sum,
    });
  },
};
