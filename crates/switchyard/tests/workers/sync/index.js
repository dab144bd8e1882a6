// A fetch handler that is not async: what it returns is taken as it is, without a promise.
export default {
  fetch(request) {
    switch (new URL(request.url).pathname) {
      case "/response":
        return new Response("direct", { headers: { "x-sync": "1" } });
      case "/string":
        return "just a string";
      case "/error-response":
        return Response.error();
      case "/used": {
        const response = new Response("read already");
        response.text();
        return response;
      }
      case "/microtask": {
        // Read once the handler's microtasks have run, as a promise's value would be.
        const response = new Response("late header");
        queueMicrotask(() => response.headers.set("x-late", "1"));
        return response;
      }
      case "/thenable":
        return { then: (resolve) => resolve(new Response("from a thenable")) };
      case "/promise-of-a-number":
        return Promise.resolve(42);
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
