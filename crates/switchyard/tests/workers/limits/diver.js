// Calls env.DEEP from ?depth= calls deep in a recursion of its own, and passes on its answer.
function dive(depth, env) {
  return depth === 0 ? env.DEEP.fetch("http://deep/") : dive(depth - 1, env);
}

export default {
  fetch(request, env) {
    return dive(Number(new URL(request.url).searchParams.get("depth") ?? 0), env);
  },
};
