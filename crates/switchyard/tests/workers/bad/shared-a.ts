import { helper } from "./shared-broken.ts";
export default { fetch: () => new Response(helper()) };
