// An RPC-only service: a read-only user directory.
import { WorkerEntrypoint } from "cloudflare:workers";

interface User {
  id: string;
  name: string;
  plan: "free" | "pro";
  joined: Date;
}

const USERS: User[] = [
  { id: "u1", name: "Ada Lovelace", plan: "pro", joined: new Date("2024-03-01T00:00:00Z") },
  { id: "u2", name: "Alan Turing", plan: "free", joined: new Date("2025-06-15T00:00:00Z") },
  { id: "u3", name: "Grace Hopper", plan: "pro", joined: new Date("2023-12-09T00:00:00Z") },
];

class NotFound extends Error {
  name = "NotFound";
}

export default class Users extends WorkerEntrypoint {
  get(id: string): User {
    const user = USERS.find((u) => u.id === id);
    if (!user) throw new NotFound(`no user "${id}"`);
    return user;
  }

  list(): User[] {
    return USERS;
  }

  search(text: string): User[] {
    if (typeof text !== "string" || text.length === 0) throw new TypeError("search needs a non-empty string");
    const needle = text.toLowerCase();
    return USERS.filter((u) => u.name.toLowerCase().includes(needle));
  }
}
