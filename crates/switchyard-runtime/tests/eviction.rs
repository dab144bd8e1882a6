//! An isolate freed for being idle is really freed: nothing keeps it alive after RPC stubs and
//! streamed bodies crossed between it and another isolate.

mod support;

use std::rc::Rc;
use std::time::Duration;

use http::{HeaderMap, Method};
use switchyard_runtime::{HttpRequest, LocalWorkers, RuntimeOptions};

const FILES: &[(&str, &str)] = &[
    (
        "wrangler.front.toml",
        "name = \"front\"\nmain = \"front.js\"\ncompatibility_date = \"2026-11-01\"\n\n[[services]]\nbinding = \"BACK\"\nservice = \"back\"\n",
    ),
    (
        "front.js",
        r#"let requests = 0;
export default {
  async fetch(request, env) {
    requests++;
    const counter = await env.BACK.counter();
    const n = await counter.add(2);
    const streamed = await (await env.BACK.fetch("http://back/stream")).text();
    return new Response(`${requests} ${n} ${streamed}`);
  },
};
"#,
    ),
    (
        "wrangler.back.toml",
        "name = \"back\"\nmain = \"back.js\"\ncompatibility_date = \"2026-11-01\"\n",
    ),
    (
        "back.js",
        r#"import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
class Counter extends RpcTarget {
  n = 0;
  add(k) { return (this.n += k); }
}
export default class extends WorkerEntrypoint {
  counter() { return new Counter(); }
  fetch() {
    const bytes = new TextEncoder().encode("streamed");
    return new Response(new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }));
  }
}
"#,
    ),
];

#[test]
fn an_idle_isolate_is_freed_after_stubs_and_streams_crossed_it() {
    let options = RuntimeOptions {
        isolate_idle_timeout: Some(Duration::from_millis(200)),
        ..RuntimeOptions::default()
    };
    let fleet = support::load(
        "eviction",
        FILES,
        &["wrangler.front.toml", "wrangler.back.toml"],
        options,
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let workers = LocalWorkers::new(fleet);
        let text = |workers: Rc<LocalWorkers>| async move {
            let request = HttpRequest {
                method: Method::GET,
                url: "http://front.test/".into(),
                headers: HeaderMap::new(),
                body: bytes::Bytes::new().into(),
            };
            let response = workers.fetch_entry(request).await.expect("a response");
            let body = response.body.as_bytes().expect("a whole body").to_vec();
            String::from_utf8(body).unwrap()
        };
        assert_eq!(text(workers.clone()).await, "1 2 streamed");
        assert_eq!(text(workers.clone()).await, "2 2 streamed");
        let front = Rc::downgrade(&workers.isolate("front").unwrap());
        let back = Rc::downgrade(&workers.isolate("back").unwrap());

        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(
            front.upgrade().is_none(),
            "the idle front isolate is still alive"
        );
        assert!(
            back.upgrade().is_none(),
            "the idle back isolate is still alive"
        );
        // New isolates, new globals.
        assert_eq!(text(workers.clone()).await, "1 2 streamed");
    });
}
