// Recursion until the engine's stack limit stops it: a RangeError the worker can catch, in an
// isolate whose runtime another thread made (the spare maker) as in one made on its own thread.
let reached = 0;
function dive(depth) {
  reached = depth;
  return dive(depth + 1) + 1;
}
export default {
  fetch() {
    try {
      dive(0);
    } catch (error) {
      return Response.json({ error: `${error.name}: ${error.message}`, reached });
    }
    return Response.json({ error: null, reached });
  },
};
