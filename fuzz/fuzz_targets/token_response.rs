//! Token responses: whatever a token endpoint sends, building the stored token never panics, never
//! overflows the expiry, and an error message never quotes the document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::flow::token_from_response;
use oauth2::basic::BasicTokenResponse;

fuzz_target!(|data: &[u8]| {
    match serde_json::from_slice::<BasicTokenResponse>(data) {
        Ok(response) => {
            if let Ok(token) = token_from_response(&response, None, &[], "https://as.example", "https://mcp.example") {
                assert!(!token.access_token.expose().is_empty());
                let expires_in = token.expires_at.map(|at| at - token.obtained_at);
                assert!(expires_in.is_none_or(|s| (0..=10 * 365 * 24 * 3600).contains(&s)));
            }
        }
        Err(e) => {
            let shown = mcp_accounts::oauth::http::describe_json_error(&e);
            assert!(!shown.contains('"'), "{shown}");
        }
    }
});
