//! The query string of a browser's callback request, and the page text built from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::callback::{escape_html, parse_query};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let result = parse_query(&text);
    for shown in [result.error.as_deref(), result.error_description.as_deref(), result.iss.as_deref()]
        .into_iter()
        .flatten()
    {
        let escaped = escape_html(shown);
        assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('"'));
        let safe = mcp_accounts::text::sanitize(shown);
        assert!(!safe.chars().any(mcp_accounts::text::is_unsafe));
    }
});
