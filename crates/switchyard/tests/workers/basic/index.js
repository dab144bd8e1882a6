let counter = 0;
let lastWaitUntil = "none";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo": {
        const body = await request.text();
        return Response.json({
          method: request.method,
          url: request.url,
          search: url.search,
          q: url.searchParams.getAll("q"),
          headers: Object.fromEntries(request.headers),
          body,
        });
      }
      case "/env":
        return Response.json({ greeting: env.GREETING, limits: env.LIMITS, type: typeof env.LIMITS });
      case "/cookies": {
        const headers = new Headers();
        headers.append("Set-Cookie", "a=1; Path=/");
        headers.append("Set-Cookie", "b=2; Path=/");
        headers.set("X-Count", String(++counter));
        return new Response("cookies", { headers });
      }
      case "/redirect":
        return Response.redirect("https://example.com/elsewhere", 301);
      case "/status":
        return new Response(null, { status: 204, statusText: "Nothing" });
      case "/bytes":
        return new Response(new Uint8Array([0, 1, 2, 255]));
      case "/zeros":
        // `?mb=` MiB of zero bytes, in one piece.
        return new Response(new Uint8Array(Number(url.searchParams.get("mb") || 1) * 1024 * 1024));
      case "/web": {
        const encoded = new TextEncoder().encode("héllo");
        const clone = structuredClone({ when: new Date(0), list: [1, { x: 2 }], map: new Map([["k", 1]]) });
        const uuid = crypto.randomUUID();
        const random = crypto.getRandomValues(new Uint8Array(8));
        const params = new URLSearchParams({ a: "1 2", b: "é" });
        return Response.json({
          encodedLength: encoded.length,
          decoded: new TextDecoder().decode(encoded),
          b64: btoa("hi!"),
          unb64: atob("aGkh"),
          cloneDate: clone.when instanceof Date && clone.when.getTime() === 0,
          cloneMap: clone.map.get("k"),
          uuidOk: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
          randomLength: random.length,
          params: params.toString(),
          resolved: new URL("../up?x=1#h", "https://h.example/a/b/c").href,
          headerCase: new Headers({ "Content-Type": "x" }).get("content-type"),
        });
      }
      case "/bodies": {
        const original = new Response("once", { status: 201, headers: { "x-a": "1" } });
        const copy = original.clone();
        const first = await original.text();
        let secondRead;
        try {
          await original.text();
          secondRead = "allowed?!";
        } catch (error) {
          secondRead = error.constructor.name;
        }
        const posted = new Request("https://x.test/p", { method: "POST", body: JSON.stringify({ n: 1 }) });
        const error = Response.error();
        return Response.json({
          first,
          usedAfterRead: original.bodyUsed,
          secondRead,
          cloneText: await copy.text(),
          cloneStatus: copy.status,
          cloneHeader: copy.headers.get("x-a"),
          json: await posted.json(),
          bytes: Array.from(await new Response("AB").bytes()),
          arrayBufferLength: (await new Response("abc").arrayBuffer()).byteLength,
          errorType: error.type,
          errorStatus: error.status,
          setCookies: new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]).getSetCookie(),
        });
      }
      case "/microtask": {
        const order = [];
        queueMicrotask(() => order.push("microtask"));
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("timeout");
        return Response.json(order);
      }
      case "/wait-until": {
        ctx.waitUntil(
          new Promise((resolve) => setTimeout(resolve, 50)).then(() => {
            lastWaitUntil = "done at " + url.searchParams.get("tag");
          }),
        );
        ctx.passThroughOnException();
        return new Response("scheduled");
      }
      case "/wait-until-result":
        return new Response(lastWaitUntil);
      case "/console":
        console.log("plain log", { nested: { a: [1, 2] } });
        console.error("an error line");
        return new Response("logged");
      case "/replace-fetch":
        // workerd reads the default export's fetch once, at start: this replacement is never
        // called.
        this.fetch = () => new Response("replaced");
        return new Response("original");
      case "/size":
        return Response.json({ length: (await request.arrayBuffer()).byteLength });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
