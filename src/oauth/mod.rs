//! The MCP authorization protocol: pure steps, one file each, no store, no environment, no command-line
//! words. The only I/O is HTTP (through [`http`]) and the loopback listener of [`callback`].
//!
//! - [`http`]: the one HTTP client (timeouts, no redirects, body cap, HTTPS-or-loopback rule).
//! - [`challenge`]: `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 6750 §3).
//! - [`metadata`]: RFC 9728 and RFC 8414 documents, and the rules a document must pass to be used.
//! - [`discovery`]: from an MCP server URL to its authorization server (MCP 2025-03-26 to 2026-07-28);
//!   [`wellknown`]: where it looks.
//! - [`registration`]: RFC 7591 dynamic client registration, and the [`ClientRegistration`] it yields.
//! - [`authorize`]: the authorization request (PKCE S256, `state`, `resource`) and the checks of its
//!   response (`state`, RFC 9207 `iss`).
//! - [`token`]: the code exchange and refresh through oauth2-rs, with a typed [`TokenError`].
//! - [`revocation`]: RFC 7009.
//! - [`callback`]: the one-shot loopback callback server (RFC 8252 §7.3).
//! - [`scope`]: what a scope token is (RFC 6749 §3.3).
//! - [`error`]: the errors of every step.

pub mod authorize;
pub mod callback;
pub mod challenge;
pub mod device;
pub mod discovery;
pub mod error;
pub mod http;
pub mod identity;
pub mod metadata;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod token;
pub mod wellknown;

pub use authorize::{AuthorizationRequest, PendingAuthorization};
pub use callback::{CallbackResult, CallbackServer, start_callback_server};
pub use discovery::{Discovery, DiscoveryMode, discover, discover_auth_server};
pub use error::{Error, ErrorCode, ErrorResponse, RegistrationError, TokenError};
pub use http::{HttpClient, HttpConfig};
pub use metadata::{ProtectedResourceMetadata, ServerMetadata};
pub use registration::{ClientRegistration, ClientSource, register_client};
pub use token::IssuedToken;
