//! MessageChannel and MessagePort: structured-cloned messages, delivered later, queued until
//! the port starts.

use crate::common::harness;

#[test]
fn messages_are_cloned_queued_until_started_and_delivered_in_order() {
    let h = harness();
    let out = h.run(
        r#"
        const { port1, port2 } = new MessageChannel();
        const received = [];
        const payload = { list: [1, 2], when: new Date(0) };
        port1.postMessage(payload);
        payload.list.push(3);               // after posting: not seen by the receiver
        port1.postMessage("second");
        port2.addEventListener("message", (e) => received.push([e.constructor.name, e.data]));
        await null; await null;
        const beforeStart = received.length;  // addEventListener alone does not start the port
        const done = new Promise((resolve) => {
          port1.onmessage = (e) => { received.push(["reply", e.data]); resolve(); };
        });
        port2.start();
        port2.postMessage("reply");
        await done;
        let uncloneable;
        try { port1.postMessage(() => {}); } catch (e) { uncloneable = e.name; }
        port1.close();
        port2.postMessage("after close");
        await null; await null;
        return [beforeStart, received, received[0][1].when instanceof Date, uncloneable,
                String(port1), new MessageEvent("message", { data: 1 }).data];
        "#,
    );
    assert_eq!(
        out,
        r#"[0,[["MessageEvent",{"list":[1,2],"when":"1970-01-01T00:00:00.000Z"}],["MessageEvent","second"],["reply","reply"]],true,"DataCloneError","[object MessagePort]",1]"#
    );
}
