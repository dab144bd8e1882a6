// Forwards every request to env.NEXT unchanged: the router, and each hop of a chain.
export default {
  fetch(request, env) {
    return env.NEXT.fetch(request);
  },
};
