//! File API (Blob, File) and FormData, with the Body mixin's blob() and formData() and
//! multipart/form-data in both directions.

use crate::common::harness;

#[test]
fn blobs_hold_bytes_from_every_kind_of_part_and_slice_without_copying() {
    let h = harness();
    let out = h.run(
        r#"
        const inner = new Blob(["in"]);
        const blob = new Blob(["a\r\nb", new Uint8Array([67, 68]), new Uint16Array([0x4545]).buffer, inner], { type: "Text/Plain" });
        const native = new Blob(["x\r\ny\rz"], { endings: "native" });
        const weird = new Blob([], { type: "tëxt" });
        const slice = blob.slice(-4, -1, "application/x-Thing");
        const streamed = [];
        for await (const chunk of blob.stream()) streamed.push(...chunk);
        let endings;
        try { new Blob([], { endings: "windows" }); } catch (e) { endings = e.name; }
        return [blob.size, blob.type, await blob.text(), await native.text(), weird.type,
                await slice.text(), slice.type, [...await blob.bytes()].length, (await blob.arrayBuffer()).byteLength,
                streamed.length, String(blob), endings, new Blob().size];
        "#,
    );
    assert_eq!(
        out,
        r#"[10,"text/plain","a\r\nbCDEEin","x\ny\nz","","EEi","application/x-thing",10,10,10,"[object Blob]","TypeError",0]"#
    );
}

#[test]
fn files_are_blobs_with_a_name() {
    let h = harness();
    let out = h.run(
        r#"
        const file = new File(["hello"], "greeting.txt", { type: "text/plain", lastModified: 42 });
        const now = new File([], "now.bin");
        let missing;
        try { new File(["x"]); } catch (e) { missing = e.name; }
        return [file instanceof Blob, file.name, file.size, file.type, file.lastModified, await file.text(),
                Math.abs(now.lastModified - Date.now()) < 60000, String(file), missing];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,"greeting.txt",5,"text/plain",42,"hello",true,"[object File]","TypeError"]"#
    );
}

#[test]
fn form_data_keeps_entries_in_order_and_turns_blobs_into_files() {
    let h = harness();
    let out = h.run(
        r#"
        const form = new FormData();
        form.append("a", "1");
        form.append("b", new Blob(["bytes"], { type: "application/octet-stream" }));
        form.append("a", "2");
        form.append("c", new Blob(["x"]), "named.txt");
        const beforeSet = form.getAll("a");
        form.set("a", "3");
        form.delete("c");
        const entries = [];
        for (const [name, value] of form) entries.push([name, typeof value === "string" ? value : `${value.constructor.name}:${value.name}`]);
        return [beforeSet, entries, form.get("missing"), form.has("b"), [...form.keys()], form.get("b").name];
        "#,
    );
    assert_eq!(
        out,
        r#"[["1","2"],[["a","3"],["b","File:blob"]],null,true,["a","b"],"blob"]"#
    );
}

#[test]
fn multipart_bodies_round_trip_through_request_and_response() {
    let h = harness();
    let out = h.run(
        r#"
        const form = new FormData();
        form.append("title", "Hello \"world\"\nline two");
        form.append("upload", new File([new Uint8Array([0, 1, 2, 255])], "data.bin", { type: "application/x-data" }));
        const request = new Request("https://x.test/upload", { method: "POST", body: form });
        const contentType = request.headers.get("content-type");
        const parsed = await request.clone().formData();
        const file = parsed.get("upload");
        const raw = await request.text();

        const urlencoded = new Response("a=1&b=two+words&a=3", { headers: { "content-type": "application/x-www-form-urlencoded" } });
        const fromUrl = await urlencoded.formData();
        const bad = await new Response("x", { headers: { "content-type": "text/plain" } }).formData().then(() => "ok", (e) => e.name);
        const malformed = await new Response("nope", { headers: { "content-type": "multipart/form-data; boundary=zzz" } }).formData().then(() => "ok", (e) => e.name);

        const blobResponse = new Response(new Blob(["<p>"], { type: "text/html" }));
        const blob = await new Response("abc", { headers: { "content-type": "Text/CSV; charset=utf-8" } }).blob();
        return [contentType.startsWith("multipart/form-data; boundary=----"), parsed.get("title"),
                file.name, file.type, [...await file.bytes()], raw.includes('name="title"'),
                fromUrl.getAll("a"), fromUrl.get("b"), bad, malformed,
                blobResponse.headers.get("content-type"), blob.type, await blob.text()];
        "#,
    );
    assert_eq!(
        out,
        r#"[true,"Hello \"world\"\r\nline two","data.bin","application/x-data",[0,1,2,255],true,["1","3"],"two words","TypeError","TypeError","text/html","text/csv; charset=utf-8","abc"]"#
    );
}
