use crate::common::harness;

#[test]
fn text_encoder() {
    let h = harness();
    let out = h.run(
        r#"
        const e = new TextEncoder();
        const bytes = e.encode("h€\u{1F600}");
        const lone = e.encode("a\ud800b");
        const dest = new Uint8Array(5);
        const r = e.encodeInto("a€b", dest);
        const small = new Uint8Array(3);
        const r2 = e.encodeInto("\u{1F600}x", small);
        const off = new Uint8Array(new ArrayBuffer(8), 2, 3);
        const r3 = e.encodeInto("xyz!", off);
        return [e.encoding, Array.from(bytes), bytes instanceof Uint8Array, Array.from(lone), r,
                Array.from(dest), r2, Array.from(small), r3, Array.from(new Uint8Array(off.buffer)),
                e.encode().length, TextEncoder.prototype.encodeInto.length];
        "#,
    );
    assert_eq!(
        out,
        r#"["utf-8",[104,226,130,172,240,159,152,128],true,[97,239,191,189,98],{"read":3,"written":5},[97,226,130,172,98],{"read":0,"written":0},[0,0,0],{"read":3,"written":3},[0,0,120,121,122,0,0,0],0,2]"#
    );
    let err = h.throws("new TextEncoder().encodeInto('a', new Uint16Array(2))");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn text_decoder_basics() {
    let h = harness();
    let out = h.run(
        r#"
        const d = new TextDecoder();
        const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]);
        const bad = new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]);
        const view = new DataView(new Uint8Array([0x20, 0x41, 0x42]).buffer, 1);
        return [d.encoding, d.fatal, d.ignoreBOM, d.decode(bom), new TextDecoder("utf-8", { ignoreBOM: true }).decode(bom).length,
                d.decode(bad), d.decode(view), d.decode(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]).buffer), d.decode(),
                new TextDecoder(" UTF8\n").encoding, new TextDecoder("unicode-1-1-utf-8").encoding];
        "#,
    );
    assert_eq!(
        out,
        "[\"utf-8\",false,false,\"hi\",3,\"a\u{FFFD}b\u{FFFD}\",\"AB\",\"\u{1F600}\",\"\",\"utf-8\",\"utf-8\"]"
    );
}

#[test]
fn text_decoder_fatal_and_labels() {
    let h = harness();
    let err =
        h.throws("new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0x61, 0x80]))");
    assert_eq!(
        err,
        "TypeError: The encoded data was not valid for encoding utf-8"
    );
    let err =
        h.throws("new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xe2, 0x82]))");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("new TextDecoder('latin1')");
    assert!(err.starts_with("RangeError"), "{err}");
    let err = h.throws("new TextDecoder('utf-16le')");
    assert!(err.starts_with("RangeError"), "{err}");
    let err = h.throws("new TextDecoder().decode('string')");
    assert!(err.starts_with("TypeError"), "{err}");
    let ok: bool = h.eval("new TextDecoder('utf-8', { fatal: true }).fatal");
    assert!(ok);
}

#[test]
fn text_decoder_streaming() {
    let h = harness();
    let out = h.run(
        r#"
        const d = new TextDecoder();
        const euro = [0xe2, 0x82, 0xac];
        let s = "";
        s += d.decode(new Uint8Array([0xef, 0xbb]), { stream: true });
        s += d.decode(new Uint8Array([0xbf, 0x61, euro[0]]), { stream: true });
        s += d.decode(new Uint8Array([euro[1]]), { stream: true });
        s += d.decode(new Uint8Array([euro[2], 0xe2]), { stream: true });
        const tail = d.decode();
        // After a flush the BOM is stripped again.
        const again = d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x62]));
        const f = new TextDecoder("utf-8", { fatal: true });
        f.decode(new Uint8Array([0xe2]), { stream: true });
        let err;
        try { f.decode(); } catch (e) { err = e.name; }
        return [s, tail, again, err];
        "#,
    );
    assert_eq!(out, "[\"a€\",\"\u{FFFD}\",\"b\",\"TypeError\"]");
}

#[test]
fn atob_btoa() {
    let h = harness();
    let out = h.run(
        r#"
        return [btoa("hello"), atob("aGVsbG8="), atob(" aGVs\nbG8 "), atob("aGVsbG8"), btoa("\xff\xfe"),
                atob("/w=="), atob(""), btoa("")];
        "#,
    );
    assert_eq!(
        out,
        "[\"aGVsbG8=\",\"hello\",\"hello\",\"hello\",\"//4=\",\"\u{FF}\",\"\",\"\"]"
    );
    for src in [
        "atob('a')",
        "atob('ab=c')",
        "atob('a===')",
        "atob('*')",
        "btoa('\\u0100')",
        "btoa('€')",
    ] {
        let err = h.throws(src);
        assert!(err.starts_with("InvalidCharacterError: "), "{src}: {err}");
    }
    let is_dom: bool = h.eval("(() => { try { atob('*') } catch (e) { return e instanceof DOMException && e.code === 5 } })()");
    assert!(is_dom);
}
