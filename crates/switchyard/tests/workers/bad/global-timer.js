setTimeout(() => {}, 10);
export default { fetch: () => new Response("ok") };
