//! The ingest rules for what a server sends (SECURITY.md: hostile servers): whatever a document holds,
//! what passes `ingest` is safe to store and print. Scopes are RFC 6749 scope tokens, every URL is
//! printable ASCII in its canonical form, a remote server's document names no loopback URL, the
//! protected resource has no fragment and names the server, and no string kept can move a terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::metadata::{ProtectedResourceMetadata, ServerMetadata, resource_matches};
use mcp_accounts::oauth::scope::is_scope_token;
use mcp_accounts::text::is_unsafe;
use mcp_accounts::urls::{UrlPolicy, canonical_string, is_loopback_url, is_uri_text, parse_endpoint};

/// A URL as ingest keeps it: printable ASCII, already canonical, and not loopback for a remote server.
fn check_url(kept: &str, remote: bool) -> url::Url {
    assert!(is_uri_text(kept), "{kept:?}");
    let url = url::Url::parse(kept).expect("a kept URL parses");
    assert!(!(remote && is_loopback_url(&url)), "loopback from a remote server: {kept}");
    url
}

/// An endpoint is kept as the URL parser writes it.
fn check_endpoint(kept: &str, remote: bool) {
    assert_eq!(check_url(kept, remote).as_str(), kept, "kept in canonical form");
}

fn check_scope_token(scope: &str) {
    assert!(!scope.is_empty());
    assert!(scope.chars().all(|c| matches!(c, '\u{21}' | '\u{23}'..='\u{5b}' | '\u{5d}'..='\u{7e}')), "{scope:?}");
}

fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

fn assert_terminal_safe<T: serde::Serialize>(kept: &T) {
    let mut all = Vec::new();
    strings(&serde_json::to_value(kept).unwrap(), &mut all);
    for s in all {
        assert!(!s.chars().any(is_unsafe), "{s:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if is_scope_token(&text) {
        check_scope_token(&text);
    }
    let remote = url::Url::parse("https://mcp.example.com/a/mcp").unwrap();
    let local = url::Url::parse("http://127.0.0.1:3000/mcp").unwrap();
    for (server, is_remote) in [(&remote, true), (&local, false)] {
        let policy = UrlPolicy::for_server(server);
        if let Ok(prm) = serde_json::from_slice::<ProtectedResourceMetadata>(data) {
            for from_root in [false, true] {
                let Ok(kept) = prm.clone().ingest("https://x/.well-known", server, from_root, policy) else {
                    continue;
                };
                let resource = check_url(&kept.resource, is_remote);
                assert_eq!(canonical_string(&resource), kept.resource, "kept in canonical form");
                assert!(!kept.resource.contains('#'), "{}", kept.resource);
                assert!(resource_matches(&kept.resource, server, from_root), "{}", kept.resource);
                kept.authorization_servers.iter().for_each(|a| assert!(is_uri_text(a), "{a:?}"));
                kept.scopes_supported.iter().flatten().for_each(|s| check_scope_token(s));
                assert_terminal_safe(&kept);
            }
        }
        if let Ok(doc) = serde_json::from_slice::<ServerMetadata>(data) {
            // The issuer looked up is one that passed the URL rules (it came from a checked document).
            let issuer = doc.issuer.clone();
            if parse_endpoint("issuer", &issuer).is_err() {
                continue;
            }
            if let Ok(kept) = doc.ingest(&issuer, policy) {
                assert_eq!(kept.issuer, issuer, "the issuer is the one looked up, byte for byte");
                check_endpoint(&kept.authorization_endpoint, is_remote);
                check_endpoint(&kept.token_endpoint, is_remote);
                kept.registration_endpoint.iter().for_each(|u| check_endpoint(u, is_remote));
                kept.revocation_endpoint.iter().for_each(|u| check_endpoint(u, is_remote));
                kept.scopes_supported.iter().flatten().for_each(|s| check_scope_token(s));
                assert_terminal_safe(&kept);
            }
        }
    }
});
