export default { fetch: () => <p>hi</p> };
