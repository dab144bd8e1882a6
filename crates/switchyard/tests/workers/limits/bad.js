// Each path fails in a different way.
let requests = 0;
export default {
  async fetch(request) {
    requests++;
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/bad/loop":
        while (true) {}
      case "/bad/loop-caught":
        // The limit is not an exception user code can swallow.
        try {
          while (true) {}
        } catch {
          return new Response("escaped the CPU limit?!");
        }
      case "/bad/loop-in-timer":
        return new Promise(() => setTimeout(() => { while (true) {} }, 1));
      case "/bad/alloc": {
        const hog = [];
        while (true) hog.push(new Array(100000).fill(requests));
      }
      case "/bad/throw":
        throw new Error("bad throws on purpose");
      case "/bad/never":
        return new Promise(() => {});
      case "/bad/count":
        // A fresh isolate starts counting again.
        return new Response(String(requests));
      default:
        return new Response("bad: ok");
    }
  },
};
