//! Token responses: whatever a token endpoint sends, checking it and building the stored token never panics,
//! never overflows the expiry, and an error message never quotes the document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::{IssuedToken, TokenError};
use mcp_accounts::oauth::token::MAX_EXPIRES_IN;
use mcp_accounts::session::stored_token;

fuzz_target!(|data: &[u8]| {
    match IssuedToken::from_json(data) {
        Ok(issued) => {
            assert!(!issued.access_token.expose().is_empty());
            assert!(issued.expires_in.is_none_or(|s| s <= MAX_EXPIRES_IN));
            let now = 1_800_000_000;
            let token = stored_token(issued, None, &[], "https://as.example", "https://mcp.example", now);
            let expires_in = token.expires_at.map(|at| at - now);
            assert!(expires_in.is_none_or(|s| (0..=MAX_EXPIRES_IN as i64).contains(&s)));
        }
        Err(TokenError::Malformed { detail, .. }) => {
            // serde's words may quote what they choke on; ours never do.
            assert!(!detail.contains('"'), "{detail}");
        }
        Err(_) => {}
    }
});
