export default {
  fetch(request: Request) {
    const x = ;
    return new Response("never");
  },
};
