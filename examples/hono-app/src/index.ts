import { Hono } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { sign, verify } from "hono/jwt";
import { admin } from "./admin";
import type { Env } from "./env";

const app = new Hono<Env>();

app.use("/api/*", cors({ origin: "https://app.example", allowMethods: ["GET", "POST"] }));

app.get("/", (c) => c.text("Hono on Switchyard"));

app.get("/api/hello/:name", (c) =>
  c.json({ hello: c.req.param("name"), shout: c.req.query("shout") === "1" }),
);

// Issue a token for a user the users service knows.
app.post("/api/login", async (c) => {
  const { user } = await c.req.json<{ user?: string }>();
  if (!user) throw new HTTPException(400, { message: "send {\"user\": \"<id>\"}" });
  const found = await c.env.USERS.fetch(`https://users/users/${encodeURIComponent(user)}`);
  if (found.status === 404) throw new HTTPException(401, { message: "unknown user" });
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({ sub: user, iat: now, exp: now + 3600 }, c.env.JWT_SECRET);
  return c.json({ token });
});

// Who am I: verify the bearer JWT, then ask the users service (a service binding) for details.
app.get("/api/me", async (c) => {
  const header = c.req.header("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  let payload;
  try {
    payload = await verify(token, c.env.JWT_SECRET, "HS256");
  } catch {
    throw new HTTPException(401, { message: "invalid or expired token" });
  }
  const response = await c.env.USERS.fetch(`https://users/users/${payload.sub}`);
  return c.json({ token: payload, user: await response.json() });
});

app.get("/api/users/:id", async (c) => {
  const response = await c.env.USERS.fetch(`https://users/users/${c.req.param("id")}`);
  if (!response.ok) throw new HTTPException(404, { message: `no user ${c.req.param("id")}` });
  return c.json(await response.json());
});

app.get("/api/boom", () => {
  throw new Error("something broke");
});

app.route("/admin", admin);

app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));

app.onError((err, c) => {
  if (err instanceof HTTPException) {
    return c.json({ error: err.message }, err.status);
  }
  console.error("unhandled:", err.message);
  return c.json({ error: "internal error" }, 500);
});

export default app;
