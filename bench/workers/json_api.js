// Parse a ~2 KB JSON body, transform it, respond with JSON.
export default {
  async fetch(request) {
    const input = await request.json();
    const items = input.items.map((item) => ({ id: item.id, name: item.name.toUpperCase(), total: item.price * item.qty }));
    const sum = items.reduce((acc, item) => acc + item.total, 0);
    return Response.json({ count: items.length, sum, items });
  },
};
