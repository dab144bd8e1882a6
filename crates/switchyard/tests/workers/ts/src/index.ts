import { explode, type Reason } from "./lib/explode.js";
import { greet } from "./lib/greet";

enum Mode {
  Greet = "greet",
  Explode = "explode",
}

export default {
  async fetch(request: Request): Promise<Response> {
    const mode = new URL(request.url).pathname.slice(1) as Mode;
    if (mode === Mode.Explode) {
      const reason: Reason = { code: 42 };
      explode(reason);
    }
    if (mode === ("reject" as Mode)) {
      await Promise.resolve();
      throw new RangeError("rejected asynchronously");
    }
    return new Response(greet<string>("typescript"));
  },
} satisfies ExportedHandler;
