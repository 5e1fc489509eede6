//! mcp-accounts: one place for the OAuth accounts of remote MCP (Model Context Protocol) servers.
//!
//! The library is four layers, each importing only from the ones before it:
//!
//! 1. Leaves with no imports from the crate: [`secret`], [`text`] (terminal-safe text), [`urls`] (the URL
//!    rules), [`clock`].
//! 2. [`oauth`], the protocol: discovery (RFC 9728, RFC 8414, OIDC, the 2025-03-26 fallback), dynamic
//!    client registration (RFC 7591), the authorization request and its checks (PKCE S256, `state`, RFC 9207
//!    `iss`, RFC 8707 `resource`), the token endpoint, revocation (RFC 7009), the loopback callback server.
//! 3. [`store`]: the records of each account in one SQLite file, and the cross-process refresh lease.
//! 4. [`session`]: an account session over a store, an HTTP client and a clock: login, refresh,
//!    `valid_token`, logout, discovery with its cache policy, and requests to the MCP server with the token.
//!
//! The command line and the terminal UI are the binary's and are not part of this API; build the library
//! alone with `default-features = false`.
#![warn(missing_docs)]

pub mod clock;
pub mod oauth;
pub mod secret;
pub mod session;
pub mod store;
pub mod text;
pub mod urls;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
