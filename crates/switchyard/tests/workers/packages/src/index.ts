// Every shape of import a real project uses, resolved from the committed node_modules fixture.
import cjs, { add, version, "weird-name" as weird } from "cjs-lib";
import babel, { named as babelNamed } from "babel-lib";
import { shout } from "@acme/strings";
import { pad } from "@acme/strings/pad";
import { greet } from "#internal/greet";
import { x } from "@/lib/x";
import cyc from "cyc";
import optional from "has-optional";
import browserFalse from "browser-false";
import page from "./page.html";
import notes from "./notes.md";
import data from "./data.json";
import blob from "./blob.bin";
import { version as packageVersion } from "../package.json";
import { EventEmitter } from "events";
import sloppy from "legacy-sloppy";
import { greeting } from "ts-helper-user";

const mode: string = process.env.NODE_ENV;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/throw") {
      return new Response(cjs.fail());
    }
    if (url.pathname === "/dynamic") {
      const { later } = await import("./lazy.js");
      return new Response(later);
    }
    return Response.json({
      add: add(2, 3),
      version,
      sameObject: cjs.add === add,
      babel,
      babelNamed,
      shout: shout("hi"),
      pad: pad("7", 3),
      greet: greet("you"),
      x,
      cyc,
      optional,
      browserFalse,
      page,
      notes,
      data,
      dataOwnProto: Object.hasOwn(data, "__proto__"),
      blob: [...new Uint8Array(blob)],
      blobIsArrayBuffer: blob instanceof ArrayBuffer,
      weird,
      packageVersion,
      events: (() => {
        const seen: string[] = [];
        new EventEmitter().on("x", (v: string) => seen.push(v)).emit("x", "emitted");
        return seen;
      })(),
      sloppy,
      greeting,
      mode,
    });
  },
};
