//! Every integration test, in one test binary (one link instead of nine). Each module is one area:
//!
//! - [`store`]: the SQLite key-value table and the typed records, through the library.
//! - [`callback`]: the loopback callback server, through the library.
//! - [`session`]: login, refresh, logout and authorized requests in-process, through the session layer.
//! - [`cli`]: the commands that never touch the network, through the real binary.
//! - [`oauth_flow`]: login, refresh and logout through the real binary.
//! - [`discovery`]: every discovery variant, and the metadata that is refused.
//! - [`logins`]: logins that never harm an account; one at a time; answers that are not the login's.
//! - [`spec`]: what MCP 2026-07-28 asks of a client (redirect URIs, issuers, `offline_access`, CIMD).
//! - [`hostile`]: hostile and broken servers.
//! - [`reliability`]: one refresh at a time across processes, crash safety, no secret in any output.
//! - [`tui`]: the terminal UI in a pseudo-terminal.
//! - [`interop`]: the OAuth example server of the official MCP TypeScript SDK.
//! - [`conformance`]: the client authorization scenarios of the official MCP conformance suite.
//! - [`layers`]: the library's layers import only downwards.

#[path = "../support/mod.rs"]
mod support;

mod anywhere;
mod callback;
mod cli;
mod cli_manners;
mod clients;
mod conformance;
mod discovery;
mod escapes;
mod hostile;
mod interop;
mod layers;
mod logins;
mod oauth_flow;
mod proxy;
mod proxy_interop;
mod reliability;
mod security;
mod session;
mod shared_dir;
mod spec;
mod store;
mod tui;
mod verify;
