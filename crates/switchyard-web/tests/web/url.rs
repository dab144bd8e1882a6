use crate::common::harness;

#[test]
fn parse_components() {
    let h = harness();
    let out = h.run(
        r##"
        const u = new URL("HTTPS://user:pa%20ss@EXAMPLE.com:8443/a/../b/./c%2f?q=1&r=a b#frag ment");
        return [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port,
                u.pathname, u.search, u.hash];
        "##,
    );
    assert_eq!(
        out,
        r##"["https://user:pa%20ss@example.com:8443/b/c%2f?q=1&r=a%20b#frag%20ment","https://example.com:8443","https:","user","pa%20ss","example.com:8443","example.com","8443","/b/c%2f","?q=1&r=a%20b","#frag%20ment"]"##
    );
}

#[test]
fn relative_with_base_and_invalid() {
    let h = harness();
    let out = h.run(
        r##"
        return [new URL("../x?y", "http://a.test/b/c/d").href,
                new URL("//other.test/p", "https://a.test/").href,
                new URL("?q", "https://a.test/p").href,
                new URL("https://a.test:443/").port,
                new URL("http://a.test:80").href,
                URL.canParse("/rel"), URL.canParse("/rel", "https://a.test"),
                URL.parse("nope"), URL.parse("b", "https://a.test/a").href];
        "##,
    );
    assert_eq!(
        out,
        r##"["http://a.test/b/x?y","https://other.test/p","https://a.test/p?q","","http://a.test/",false,true,null,"https://a.test/b"]"##
    );
    let err = h.throws("new URL('/relative')");
    assert_eq!(err, "TypeError: Invalid URL: /relative");
    let err = h.throws("new URL('x', 'not a base')");
    assert!(err.starts_with("TypeError: Invalid URL"), "{err}");
    let err = h.throws("new URL()");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("new URL('http://exa mple.com')");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn ipv6_idna_and_percent_encoding() {
    let h = harness();
    let out = h.run(
        r##"
        const v6 = new URL("http://[0:0:0:0:0:0:0:1]:8080/");
        const idn = new URL("https://Bücher.example/ä?ä=ö#ü");
        const v4 = new URL("http://0x7f.1/");
        return [v6.host, v6.hostname, idn.hostname, idn.pathname, idn.search, idn.hash, v4.hostname,
                new URL("file:///C:/x/../y").href, new URL("data:text/plain,hi there").pathname,
                new URL("blob:https://a.test/uuid").origin, new URL("data:x").origin];
        "##,
    );
    assert_eq!(
        out,
        r##"["[::1]:8080","[::1]","xn--bcher-kva.example","/%C3%A4","?%C3%A4=%C3%B6","#%C3%BC","127.0.0.1","file:///C:/y","text/plain,hi there","https://a.test","null"]"##
    );
}

#[test]
fn setters() {
    let h = harness();
    let out = h.run(
        r##"
        const u = new URL("http://a.test/p?x=1#h");
        u.protocol = "https";
        u.username = "me";
        u.password = "s3cret";
        u.hostname = "b.test";
        u.port = "8443";
        u.pathname = "/a b";
        u.search = "y=2";
        u.hash = "top";
        const r1 = u.href;
        u.port = "443";          // default port for https is dropped
        u.port = "not a port";   // ignored
        u.protocol = "ftp:";     // special to special is allowed
        u.host = "c.test:21";
        const r2 = u.href;
        u.href = "http://d.test/";
        let err;
        try { u.href = "relative"; } catch (e) { err = e.name; }
        u.hash = "";
        u.search = "";
        return [r1, r2, u.href, err];
        "##,
    );
    assert_eq!(
        out,
        r##"["https://me:s3cret@b.test:8443/a%20b?y=2#top","ftp://me:s3cret@c.test/a%20b?y=2#top","http://d.test/","TypeError"]"##
    );
}

#[test]
fn search_params_linked_both_ways() {
    let h = harness();
    let out = h.run(
        r##"
        const u = new URL("https://a.test/p?a=1&b=2#f");
        const sp = u.searchParams;
        const same = sp === u.searchParams;
        sp.append("c", "x y&z");
        const h1 = u.href;
        sp.delete("a");
        sp.delete("b");
        sp.delete("c");
        const h2 = u.href;
        u.search = "?k=v&k=w";
        const got = sp.getAll("k");
        u.href = "https://a.test/?n=1";
        return [same, h1, h2, got, sp.get("n"), sp.size];
        "##,
    );
    assert_eq!(
        out,
        r##"[true,"https://a.test/p?a=1&b=2&c=x+y%26z#f","https://a.test/p#f",["v","w"],"1",1]"##
    );
}

/// A URL and its URLSearchParams must not reference each other: a cycle is freed only by the
/// garbage collector, and a router making `new URL(request.url).searchParams` per request
/// would pay for collections. With the collector off, 2,000 of them must leave nothing behind.
#[test]
fn a_url_and_its_search_params_are_freed_without_the_collector() {
    let h = harness();
    let make = "for (let i = 0; i < 2000; i++) { const u = new URL(`https://a.test/?q=${i}`); \
                u.searchParams.get('q'); u.searchParams.append('r', '1'); u.search; }";
    let left = h.left_without_collector(make);
    assert!(left < 64 * 1024, "{left} bytes left behind by 2,000 URLs");
}

#[test]
fn url_search_params_api() {
    let h = harness();
    let out = h.run(
        r##"
        const p = new URLSearchParams("?a=1&b=%20x+y&a=2&c&=e&%zz=%");
        const q = new URLSearchParams({ z: "1", y: "2" });
        const r = new URLSearchParams([["x", "1"], ["x", "2"]]);
        const s = new URLSearchParams(p);
        s.set("a", "9");
        s.sort();
        const t = new URLSearchParams("b=1&a=2&b=0");
        t.sort();
        const u = new URLSearchParams("a=1&a=2&b=3");
        u.delete("a", "2");
        return [p.get("a"), p.getAll("a"), p.get("b"), p.get("c"), p.get(""), p.get("%zz"), p.has("a", "2"),
                p.has("a", "3"), q.toString(), r.toString(), s.toString(), t.toString(), u.toString(),
                new URLSearchParams("x=~!'()*-._ é&sp= ").toString(), [...new URLSearchParams("a=1&b=2").keys()],
                new URLSearchParams("a=1").size];
        "##,
    );
    assert_eq!(
        out,
        r##"["1",["1","2"]," x y","","e","%",true,false,"z=1&y=2","x=1&x=2","=e&%25zz=%25&a=9&b=+x+y&c=","a=2&b=1&b=0","a=1&b=3","x=%7E%21%27%28%29*-._+%C3%A9&sp=+",["a","b"],1]"##
    );
    let err = h.throws("new URLSearchParams([['a']])");
    assert!(err.starts_with("TypeError"), "{err}");
    let err = h.throws("new URLSearchParams().append('a')");
    assert!(err.starts_with("TypeError"), "{err}");
}

#[test]
fn serialization_and_shape() {
    let h = harness();
    let out = h.run(
        r##"
        const u = new URL("https://a.test/");
        return [String(u), JSON.stringify({ u }), u.toJSON(), Object.prototype.toString.call(u),
                URL.length, URLSearchParams.length, Object.prototype.toString.call(new URLSearchParams().entries()),
                new URL("https://a.test/\ud800").pathname];
        "##,
    );
    assert_eq!(
        out,
        r##"["https://a.test/","{\"u\":\"https://a.test/\"}","https://a.test/","[object URL]",1,0,"[object URLSearchParams Iterator]","/%EF%BF%BD"]"##
    );
}
