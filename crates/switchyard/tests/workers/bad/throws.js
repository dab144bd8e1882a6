const config = JSON.parse("{ not json");
export default { fetch() { return new Response(config); } };
