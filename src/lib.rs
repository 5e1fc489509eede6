//! mcp-accounts: one place to see and fix the OAuth accounts of remote MCP servers.
//!
//! The library half, usable by any Rust MCP client:
//! - [`oauth`]: MCP authorization discovery (RFC 9728, RFC 8414, OIDC, the 2025-03-26 fallback), dynamic
//!   client registration (RFC 7591), the loopback callback server, authorization code + PKCE S256 with the
//!   `resource` indicator (RFC 8707), refresh, revocation (RFC 7009).
//! - [`store`]: the token store over a SQLite key-value table.
//!
//! The binary's front ends, which call the library and are not meant for other programs:
//! [`cli`] (headless commands) and [`tui`] (the terminal UI). [`account`] is the view both show.

pub mod account;
pub mod browser;
pub mod cli;
pub mod clock;
pub mod oauth;
pub mod paths;
pub mod secret;
pub mod store;
pub mod tui;
pub mod urls;
