let count = 0;

export default {
  fetch() {
    return new Response(String(++count));
  },
};
