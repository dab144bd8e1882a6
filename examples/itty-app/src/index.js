import { AutoRouter, cors, error, json, StatusError } from "itty-router";
// cookie is a CommonJS package (TypeScript compiled to `exports.parse = …`): named imports work.
import { parse, serialize } from "cookie";

const { preflight, corsify } = cors({ origin: "*" });

const todos = new Map([[1, { id: 1, title: "try Switchyard", done: false }]]);
let nextId = 2;

const router = AutoRouter({
  before: [preflight],
  finally: [corsify],
  catch: (err) => error(err.status ?? 500, { error: err.message }),
});

router
  .get("/", (request, env) => `${env.GREETING} from itty-router`)
  .get("/todos", () => [...todos.values()])
  .get("/todos/:id", ({ params }) => {
    const todo = todos.get(Number(params.id));
    if (!todo) throw new StatusError(404, `no todo ${params.id}`);
    return todo;
  })
  .post("/todos", async (request) => {
    const { title } = await request.json();
    if (typeof title !== "string" || !title) throw new StatusError(400, "title is required");
    const todo = { id: nextId++, title, done: false };
    todos.set(todo.id, todo);
    return json(todo, { status: 201 });
  })
  .get("/search", ({ query }) => ({ q: query.q ?? null, tags: [query.tag ?? []].flat() }))
  .get("/session", (request) => {
    const cookies = parse(request.headers.get("cookie") ?? "");
    const visits = Number(cookies.visits ?? 0) + 1;
    return json(
      { visits },
      { headers: { "set-cookie": serialize("visits", String(visits), { httpOnly: true, path: "/" }) } },
    );
  });

export default router;
