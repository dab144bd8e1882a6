let served = 0;
export default {
  async fetch(request) {
    served++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return Response.json({ ok: true, served });
  },
};
