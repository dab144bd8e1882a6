//! URLPattern, from the WICG URL Pattern Standard's examples.

use crate::common::harness;

#[test]
fn patterns_match_and_capture_groups() {
    let h = harness();
    let out = h.run(
        r#"
        const books = new URLPattern({ pathname: "/books/:id" });
        const hit = books.exec("https://example.com/books/123?x=1");
        const miss = books.test("https://example.com/authors/123");
        const withBase = new URLPattern("/api/:version/*", "https://api.example.com");
        const api = withBase.exec("https://api.example.com/api/v2/users/7");
        const digits = new URLPattern({ pathname: "/item/:n(\\d+)" });
        const custom = [digits.test("https://x/item/42"), digits.test("https://x/item/abc"), digits.hasRegExpGroups];
        // `{.:ext}?` makes the dot part of the optional group; `.:ext?` would require the dot.
        const optional = new URLPattern({ pathname: "/files/:name{.:ext}?" });
        const noExt = optional.exec({ pathname: "/files/readme" });
        const insensitive = new URLPattern({ pathname: "/About" }, { ignoreCase: true });
        const full = new URLPattern("https://*.example.com/:path*");
        let invalid;
        try { new URLPattern("/no/base"); } catch (e) { invalid = e.name; }
        return [hit.pathname.groups, hit.pathname.input, hit.search.input, hit.inputs, miss,
                api.pathname.groups, withBase.hostname, withBase.pathname, custom,
                noExt.pathname.groups, insensitive.test("https://x/about"),
                full.test("https://shop.example.com/a/b"), full.test("https://example.org/a"),
                books.protocol, books.pathname, String(books), invalid];
        "#,
    );
    assert_eq!(
        out,
        r#"[{"id":"123"},"/books/123","x=1",["https://example.com/books/123?x=1"],false,{"0":"users/7","version":"v2"},"api.example.com","/api/:version/*",[true,false,true],{"name":"readme"},true,true,false,"*","/books/:id","[object URLPattern]","TypeError"]"#
    );
}
