// The service behind a router: a small JSON answer, or a body of ?size= bytes.
const cache = new Map();
function body(size) {
  let bytes = cache.get(size);
  if (!bytes) {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = i & 0xff;
    cache.set(size, bytes);
  }
  return bytes;
}
export default {
  fetch(request) {
    const url = new URL(request.url);
    const size = Number(url.searchParams.get("size") || 0);
    if (size > 0) return new Response(body(size), { headers: { "content-type": "application/octet-stream" } });
    return Response.json({ service: "svc", path: url.pathname });
  },
};
