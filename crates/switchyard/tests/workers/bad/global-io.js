import { env } from "cloudflare:workers";

// I/O at module scope is refused, as on Cloudflare.
const warmup = env.OTHER.fetch("https://other/warm");
export default { fetch: () => warmup };
