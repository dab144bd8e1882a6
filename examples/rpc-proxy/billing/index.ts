// An RPC-only service that itself calls another over RPC. Amounts are BigInt cents.
import { WorkerEntrypoint } from "cloudflare:workers";

interface Env {
  USERS: { get(id: string): Promise<{ id: string; plan: string }> };
}

const PRICES: Map<string, bigint> = new Map([
  ["free", 0n],
  ["pro", 2900n],
]);

export default class Billing extends WorkerEntrypoint<Env> {
  plans(): Map<string, bigint> {
    return PRICES;
  }

  async invoice(userId: string, months: number): Promise<{ user: string; plan: string; totalCents: bigint }> {
    if (!Number.isInteger(months) || months < 1) throw new RangeError("months must be a positive integer");
    // Errors from users (NotFound) reach our caller with their name and message.
    const user = await this.env.USERS.get(userId);
    const price = PRICES.get(user.plan) ?? 0n;
    return { user: user.id, plan: user.plan, totalCents: price * BigInt(months) };
  }
}
