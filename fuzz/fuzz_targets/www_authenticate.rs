//! Any header value: the parser keeps what it can and never panics; parameter names come out lower-case.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::challenge::{BearerChallenge, parse_www_authenticate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for challenge in parse_www_authenticate(&text) {
        assert!(!challenge.scheme.is_empty());
        for (name, _) in &challenge.params {
            assert_eq!(name, &name.to_ascii_lowercase());
        }
    }
    let halves: Vec<&str> = text.splitn(2, '\n').collect();
    if let Some(bearer) = BearerChallenge::from_headers(halves.iter().copied()) {
        let _ = bearer.scopes();
    }
});
