// A sub-app mounted with app.route("/admin", admin), behind a static bearer token.
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { Env } from "./env";

export const admin = new Hono<Env>();

admin.use("*", (c, next) => bearerAuth({ token: c.env.ADMIN_TOKEN })(c, next));

admin.get("/stats", async (c) => {
  const response = await c.env.USERS.fetch("https://users/users");
  const users = await response.json<unknown[]>();
  return c.json({ users: users.length });
});
