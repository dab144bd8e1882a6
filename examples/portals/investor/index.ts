// Investor portal. Shows both kinds of vars: CURRENCY is a string, FEATURES
// is a TOML table that reaches env as a plain JavaScript object.

import { error, healthy, json, methodNotAllowed, notFound } from "../shared/http.ts";

interface Features {
  watchlist: boolean;
  watchlist_limit: number;
}

interface Env {
  CURRENCY: string;
  FEATURES: Features;
}

interface Investment {
  pitchId: string;
  title: string;
  amount: number;
}

const PORTFOLIO: Investment[] = [
  { pitchId: "last-lighthouse", title: "The Last Lighthouse", amount: 250000 },
  { pitchId: "orbit-of-ashes", title: "Orbit of Ashes", amount: 100000 },
];

const WATCHLIST = ["small-town-heist", "signal-lost", "harvest-moon-diner", "paper-kites"];

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET") return methodNotAllowed(["GET"]);

    switch (url.pathname) {
      case "/health":
        return healthy();
      case "/api/investor/portfolio": {
        const total = PORTFOLIO.reduce((sum, item) => sum + item.amount, 0);
        return json({ currency: env.CURRENCY, investments: PORTFOLIO, total });
      }
      case "/api/investor/features":
        // Returned as-is: it is already an object, not a JSON string.
        return json({ features: env.FEATURES });
      case "/api/investor/watchlist":
        if (env.FEATURES.watchlist !== true) return error(404, "watchlist is disabled");
        return json({ watchlist: WATCHLIST.slice(0, env.FEATURES.watchlist_limit) });
      default:
        return notFound(url);
    }
  },
};
