//! The errors of the protocol layer: [`Error`] and the typed errors of its steps, and the OAuth error
//! response (RFC 6749 §5.2) that servers send.

use crate::text::sanitize;
use crate::urls::UrlError;

/// An OAuth error response (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7591 §3.2.2): its `error` code and
/// `error_description`, both made safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The `error` code.
    pub code: ErrorCode,
    /// The `error_description`, sanitized.
    pub description: Option<String>,
}

impl ErrorResponse {
    /// Build from the raw fields of a response.
    pub fn new(error: &str, description: Option<&str>) -> Self {
        ErrorResponse {
            code: ErrorCode::from(error),
            description: description.map(sanitize),
        }
    }

    /// Parse an OAuth error document (`{"error": "...", "error_description": "..."}`).
    pub fn from_json(body: &[u8]) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Body {
            error: String,
            error_description: Option<String>,
        }
        let body: Body = serde_json::from_slice(body).ok()?;
        Some(Self::new(&body.error, body.error_description.as_deref()))
    }
}

impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{}: {d}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

/// The `error` codes of OAuth error responses that a client acts on; any other is kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`: the server does not know or accept the client.
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is dead.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied` (authorization response)
    AccessDenied,
    /// `unsupported_token_type` (RFC 7009 §2.2.1)
    UnsupportedTokenType,
    /// `invalid_redirect_uri` (RFC 7591 §3.2.2)
    InvalidRedirectUri,
    /// `invalid_client_metadata` (RFC 7591 §3.2.2)
    InvalidClientMetadata,
    /// Any other code, sanitized.
    Other(String),
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        match code {
            "invalid_request" => ErrorCode::InvalidRequest,
            "invalid_client" => ErrorCode::InvalidClient,
            "invalid_grant" => ErrorCode::InvalidGrant,
            "unauthorized_client" => ErrorCode::UnauthorizedClient,
            "unsupported_grant_type" => ErrorCode::UnsupportedGrantType,
            "invalid_scope" => ErrorCode::InvalidScope,
            "access_denied" => ErrorCode::AccessDenied,
            "unsupported_token_type" => ErrorCode::UnsupportedTokenType,
            "invalid_redirect_uri" => ErrorCode::InvalidRedirectUri,
            "invalid_client_metadata" => ErrorCode::InvalidClientMetadata,
            other => ErrorCode::Other(sanitize(other)),
        }
    }
}

impl ErrorCode {
    /// The code as it is written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::Other(code) => code,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in a protocol step. Each message is one line that says what failed; text
/// that came from a server is sanitized (no control characters, shortened).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A URL broke the URL rules.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// No connection (refused, DNS, TLS).
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// The URL, without its query.
        url: String,
        /// The innermost cause, sanitized.
        detail: String,
    },
    /// No complete answer within the total timeout.
    #[error("{url} did not answer within {} s", seconds(timeout))]
    Timeout {
        /// The URL, without its query.
        url: String,
        /// The timeout (shown as `30 s`, `0.5 s`).
        timeout: std::time::Duration,
    },
    /// A body over the cap.
    #[error("{url} sent more than {limit} bytes; refused")]
    BodyTooLarge {
        /// The URL, without its query.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// A status that is not success where one was needed.
    #[error("{url} answered HTTP {status}{}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Status {
        /// The URL, without its query.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth error document of the body, when it was one.
        error: Option<ErrorResponse>,
    },
    /// A redirect where none may be followed (the request carried a code or a secret).
    #[error("{url} redirected to {location}; redirects are not followed for {what}")]
    Redirected {
        /// The URL, without its query.
        url: String,
        /// The `Location`, sanitized.
        location: String,
        /// The kind of request.
        what: &'static str,
    },
    /// A redirect to something that is not a URL.
    #[error("{url} redirected to an invalid URL ({reason})")]
    BadRedirect {
        /// The URL, without its query.
        url: String,
        /// What the URL parser said.
        reason: url::ParseError,
    },
    /// Too many redirects on a discovery request.
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects {
        /// The first URL, without its query.
        url: String,
        /// The limit.
        max: usize,
    },
    /// A document that is not JSON of the expected shape.
    #[error("{url}: {what} is not valid JSON of the expected shape ({detail})")]
    BadDocument {
        /// The URL, without its query.
        url: String,
        /// The kind of document.
        what: &'static str,
        /// Which field or position (never the document's values).
        detail: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up HTTPS: {detail}")]
    HttpSetup {
        /// What reqwest said.
        detail: String,
    },
    /// A server that answers without asking for authorization and publishes no metadata.
    #[error(
        "{url} answered HTTP {status} without asking for authorization and publishes no OAuth metadata: there is nothing to log in to"
    )]
    NothingToLogInTo {
        /// The MCP server URL.
        url: String,
        /// Its answer to the probe.
        status: u16,
    },
    /// The challenge's `resource_metadata` URL breaks the URL rules.
    #[error("resource_metadata URL refused: {0}")]
    ResourceMetadataRefused(UrlError),
    /// Protected resource metadata for another resource (RFC 9728 §3.3).
    #[error("{url}: protected resource metadata is for {resource:?}, not for {server}; refusing it (RFC 9728 §3.3)")]
    ResourceMismatch {
        /// Where the document came from.
        url: String,
        /// The `resource` it names, sanitized.
        resource: String,
        /// The server it was fetched for.
        server: String,
    },
    /// A list of scopes with something that is not a scope token (RFC 6749 §3.3).
    #[error("{what} lists {scope:?}, which is not a scope (RFC 6749 §3.3); refusing the document")]
    BadScope {
        /// The field.
        what: &'static str,
        /// The offending entry, sanitized.
        scope: String,
    },
    /// Protected resource metadata whose `resource` has a fragment (RFC 8707 §2 forbids one).
    #[error("{url}: protected resource metadata names a resource with a fragment ({resource:?}); refusing it")]
    ResourceWithFragment {
        /// Where the document came from.
        url: String,
        /// The `resource`, sanitized.
        resource: String,
    },
    /// Protected resource metadata without `authorization_servers`.
    #[error("the protected resource metadata lists no authorization_servers")]
    NoAuthorizationServers,
    /// An issuer with a query or fragment (RFC 8414 §2).
    #[error("authorization server {issuer:?} has a query or fragment, which an issuer must not have (RFC 8414 §2)")]
    IssuerWithQuery {
        /// The issuer, sanitized.
        issuer: String,
    },
    /// None of the authorization server metadata URLs answered.
    #[error("authorization server {issuer} publishes no metadata (tried {} URLs: {})", tried.len(), tried.join(", "))]
    NoServerMetadata {
        /// The issuer.
        issuer: String,
        /// The paths tried.
        tried: Vec<String>,
    },
    /// A 2025-03-26 server whose origin has no metadata, and that did not answer 404 either.
    #[error("{server} publishes no OAuth metadata (protected resource metadata: none; {url}: HTTP {status})")]
    NoLegacyMetadata {
        /// The MCP server URL.
        server: String,
        /// The metadata URL tried.
        url: String,
        /// Its status.
        status: u16,
    },
    /// Metadata for another issuer than the one looked up (RFC 8414 §3.3).
    #[error(
        "{url}: the metadata names issuer {found:?} but was looked up for {expected:?}; refusing it (RFC 8414 §3.3)"
    )]
    IssuerMismatch {
        /// Where the document came from.
        url: String,
        /// The issuer looked up.
        expected: String,
        /// The issuer named, sanitized.
        found: String,
    },
    /// An authorization endpoint that already carries `state` or `code_challenge`.
    #[error("authorization_endpoint already carries OAuth parameters; refusing it")]
    AuthorizationEndpointHasParameters,
    /// The server does not offer `response_type=code`.
    #[error(
        "authorization server {issuer} does not offer the authorization code flow (response_types_supported: {types})"
    )]
    NoCodeFlow {
        /// The issuer, sanitized.
        issuer: String,
        /// What it offers, sanitized.
        types: String,
    },
    /// The server does not list PKCE S256 (MCP 2025-11-25).
    #[error(
        "authorization server {issuer} does not support PKCE S256 (code_challenge_methods_supported: {}); refusing to log in",
        methods.as_deref().unwrap_or("absent")
    )]
    NoS256 {
        /// The issuer, sanitized.
        issuer: String,
        /// What it lists, sanitized; `None` when the field is absent.
        methods: Option<String>,
    },
    /// Dynamic client registration failed.
    #[error("client registration failed: {0}")]
    Registration(#[from] RegistrationError),
    /// The callback port is taken.
    #[error(
        "the callback port {0} on 127.0.0.1 is in use by another program; this client is registered for that port only, so close that program and retry"
    )]
    PortBusy(u16),
    /// The callback server could not listen.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen {
        /// The port asked for (0: any).
        port: u16,
        /// What the system said.
        source: std::io::Error,
    },
    /// The callback server ended without a result.
    #[error("the callback server stopped unexpectedly")]
    CallbackStopped,
    /// A device login was asked for, and the authorization server offers none.
    #[error("the authorization server {issuer} offers no device login (no device_authorization_endpoint)")]
    NoDeviceLogin {
        /// The issuer, sanitized.
        issuer: String,
    },
    /// Nobody entered the device code in time.
    #[error("the code was not entered within {secs} s; start the device login again")]
    DeviceCodeExpired {
        /// How long the code was valid.
        secs: u64,
    },
    /// The user refused the device login at the verification page.
    #[error("the login was refused at the verification page")]
    DeviceLoginDenied,
    /// The authorization response carries another `state`.
    #[error("the browser returned an answer for a different login attempt (state mismatch); nothing was stored")]
    StateMismatch,
    /// The authorization response came from another issuer (RFC 9207).
    #[error(
        "the authorization response came from issuer {found:?}, not {expected:?} (RFC 9207 mix-up protection); nothing was stored"
    )]
    IssMismatch {
        /// The `iss` received, sanitized.
        found: String,
        /// The issuer expected, sanitized.
        expected: String,
    },
    /// The `iss` the server promised is missing (RFC 9207).
    #[error("the authorization response lacks the iss parameter its server promised (RFC 9207); nothing was stored")]
    IssMissing,
    /// An authorization response with neither `code` nor `error`.
    #[error("the authorization response has no code")]
    NoCode,
    /// The authorization server said no (`error` in the authorization response).
    #[error("the login was refused by the authorization server: {0}")]
    AuthorizationDenied(ErrorResponse),
    /// The token endpoint refused or answered something unusable.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The revocation endpoint refused.
    #[error("revocation at {endpoint} failed ({})", error.as_ref().map(ToString::to_string).unwrap_or_else(|| format!("HTTP {status}")))]
    Revocation {
        /// The endpoint, without its query.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth error document of the body, when it was one.
        error: Option<ErrorResponse>,
    },
}

/// Why a registration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The endpoint is not a usable URL.
    #[error("invalid registration endpoint: {0}")]
    InvalidEndpoint(UrlError),
    /// The server refused the registration.
    #[error("{endpoint} answered {}", error.as_ref().map(ToString::to_string).unwrap_or_else(|| format!("HTTP {status}")))]
    Refused {
        /// The endpoint, without its query.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The RFC 7591 §3.2.2 error document, when there was one.
        error: Option<ErrorResponse>,
    },
    /// A `client_id` that is empty.
    #[error("{endpoint} returned an empty client_id")]
    EmptyClientId {
        /// The endpoint, without its query.
        endpoint: String,
    },
    /// A `client_id` or `client_secret` with characters they cannot have (RFC 6749 Appendix A: VSCHAR).
    #[error("{endpoint} returned a {what} with characters a {what} cannot have")]
    BadCredential {
        /// The endpoint, without its query.
        endpoint: String,
        /// `client_id` or `client_secret`.
        what: &'static str,
    },
    /// The server registered other redirect URIs than the one asked for.
    #[error("the server registered other redirect URIs ({registered}) than the one asked for ({asked})")]
    RedirectMismatch {
        /// What it registered, sanitized.
        registered: String,
        /// What was asked for.
        asked: String,
    },
}

/// Why the token endpoint's answer cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// An OAuth error response (RFC 6749 §5.2).
    #[error("the token endpoint refused: {0}")]
    Rejected(ErrorResponse),
    /// A token type other than Bearer.
    #[error("the server issued a {token_type:?} token; MCP needs a Bearer token")]
    NotBearer {
        /// The type issued, sanitized.
        token_type: String,
    },
    /// An empty `access_token`.
    #[error("the token response has an empty access_token")]
    EmptyAccessToken,
    /// A token with characters a token cannot have (RFC 6749 Appendix A: VSCHAR).
    #[error("the token response has an {what} with characters a token cannot have")]
    BadTokenText {
        /// `access_token` or `refresh_token`.
        what: &'static str,
    },
    /// A granted `scope` with something that is not a scope token (RFC 6749 §3.3).
    #[error("the token response grants {scope:?}, which is not a scope (RFC 6749 §3.3)")]
    BadScope {
        /// The offending entry, sanitized.
        scope: String,
    },
    /// A body that is not a token response.
    #[error("the token response is not valid ({detail} at `{path}`)")]
    Malformed {
        /// What is wrong (never a value from the body).
        detail: String,
        /// Where in the document.
        path: String,
    },
    /// Anything else oauth2-rs reports.
    #[error("unexpected token response: {detail}")]
    Unexpected {
        /// Its words, sanitized.
        detail: String,
    },
}

impl TokenError {
    /// The OAuth error code, when the server sent an error response.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            TokenError::Rejected(e) => Some(&e.code),
            _ => None,
        }
    }
}

/// A duration in seconds as people write it: `30`, `0.5`, `2.25`.
fn seconds(duration: &std::time::Duration) -> String {
    let text = format!("{:.3}", duration.as_secs_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
