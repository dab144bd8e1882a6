// Behind a service binding: streams what it is sent back upper-cased, as it arrives.
export default {
  fetch(request) {
    const upper = new TransformStream({
      transform(chunk, controller) {
        controller.enqueue(new TextEncoder().encode(`[${new TextDecoder().decode(chunk).toUpperCase()}]`));
      },
    });
    return new Response(request.body.pipeThrough(upper));
  },
};
