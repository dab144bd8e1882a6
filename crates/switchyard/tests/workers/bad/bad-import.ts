import { helper } from "./helpers/missing";
export default { fetch: () => new Response(helper()) };
