export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/bad")) {
      try {
        return await env.BAD.fetch(request);
      } catch (error) {
        return new Response(`bad failed: ${error.message}`, { status: 502 });
      }
    }
    return env.HEALTHY.fetch(request);
  },
};
