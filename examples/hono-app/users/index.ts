// The users service: only reachable through the USERS binding of hono-app.
import { Hono } from "hono";

const users: Record<string, { id: string; name: string; role: string }> = {
  ada: { id: "ada", name: "Ada Lovelace", role: "admin" },
  alan: { id: "alan", name: "Alan Turing", role: "member" },
};

const app = new Hono();
app.get("/users", (c) => c.json(Object.values(users)));
app.get("/users/:id", (c) => {
  const user = users[c.req.param("id")];
  return user ? c.json(user) : c.json({ error: "no such user" }, 404);
});

export default app;
