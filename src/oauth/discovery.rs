//! MCP authorization discovery: from a server URL to the authorization server's metadata.
//!
//! 1. Probe the MCP endpoint; a 401 carries a `Bearer` challenge with `resource_metadata` and `scope`.
//! 2. Protected resource metadata (RFC 9728): the challenge's URL, then the path-inserted well-known URL, then
//!    the root one (MCP 2025-11-25 "PRM discovery"). Its `resource` must name this server.
//! 3. Authorization server metadata for the first `authorization_servers` entry: RFC 8414 path insertion, OIDC
//!    path insertion, OIDC path append (MCP 2025-11-25 "AS metadata discovery"); `issuer` must match.
//! 4. No PRM anywhere (every candidate 4xx): the 2025-03-26 rules — metadata at the origin, and on 404 the
//!    default `/authorize`, `/token`, `/register` endpoints.
//!
//! The candidate URL lists are pure functions; the rest records every URL tried, for the TUI and
//! `discover --json`.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use serde::{Deserialize, Serialize};
use url::Url;

use super::challenge::BearerChallenge;
use super::error::Error;
use super::http::{HttpClient, MCP_PROTOCOL_VERSION, Response};
use super::metadata::{ProtectedResourceMetadata, ServerMetadata};
use super::wellknown::{OAUTH_AS_SUFFIX, origin_of, root_prm_url, same_origin_issuer};
pub use super::wellknown::{
    authorization_server_metadata_urls, legacy_default_metadata, legacy_issuer, protected_resource_metadata_urls,
};
use crate::text::sanitize;
use crate::urls::{UrlPolicy, canonical_server_url, canonical_string, parse_endpoint, redact_for_display};

/// How the authorization server was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryMode {
    /// RFC 9728 protected resource metadata named the authorization server (MCP 2025-06-18 and later).
    ProtectedResource,
    /// No PRM; RFC 8414 metadata at the server's origin (MCP 2025-03-26).
    LegacyMetadata,
    /// No PRM and no metadata: the default `/authorize`, `/token`, `/register` (MCP 2025-03-26).
    LegacyDefaults,
}

/// One URL tried during discovery and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The URL, without its query.
    pub url: String,
    /// What it answered.
    pub outcome: Outcome,
    /// Whether this answer was used.
    pub used: bool,
}

/// What a URL tried during discovery answered. Stored (and printed by `discover --json`) as text: the
/// status (`"200"`) or `"error: …"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Outcome {
    /// An HTTP status.
    Status(u16),
    /// No answer: what went wrong, in words.
    Failed(String),
}

impl Outcome {
    /// Whether the URL answered 2xx.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Status(200..=299))
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Status(status) => write!(f, "{status}"),
            Outcome::Failed(detail) => write!(f, "error: {detail}"),
        }
    }
}

impl From<Outcome> for String {
    fn from(outcome: Outcome) -> String {
        outcome.to_string()
    }
}

impl From<String> for Outcome {
    fn from(text: String) -> Outcome {
        match text.parse::<u16>() {
            Ok(status) => Outcome::Status(status),
            Err(_) => Outcome::Failed(text.strip_prefix("error: ").unwrap_or(&text).to_owned()),
        }
    }
}

/// Everything discovery learned about one server; stored as `oauth_metadata:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// The canonical MCP server URL.
    pub server_url: String,
    /// The RFC 8707 `resource` to request tokens for: the PRM `resource`, else the server URL.
    pub resource: String,
    /// How the authorization server was found.
    pub mode: DiscoveryMode,
    /// HTTP status of the probe of the MCP endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_status: Option<u16>,
    /// The `Bearer` challenge of the probe's 401, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<BearerChallenge>,
    /// Where the protected resource metadata came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_resource_url: Option<String>,
    /// The protected resource metadata (`None` for a 2025-03-26 server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_resource: Option<ProtectedResourceMetadata>,
    /// The URL the authorization server metadata came from (`None` in [`DiscoveryMode::LegacyDefaults`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server_url: Option<String>,
    /// The authorization server metadata.
    pub authorization_server: ServerMetadata,
    /// Every URL tried, in order.
    pub attempts: Vec<Attempt>,
    /// When, in Unix seconds.
    pub discovered_at: i64,
}

impl Discovery {
    /// The issuer of the authorization server.
    pub fn issuer(&self) -> &str {
        &self.authorization_server.issuer
    }

    /// Scopes to ask for when none are configured: the 401's `scope`, else PRM `scopes_supported`
    /// (MCP 2025-11-25 "Scope Selection Strategy").
    pub fn default_scopes(&self) -> Vec<String> {
        if let Some(scopes) = self
            .challenge
            .as_ref()
            .map(BearerChallenge::scopes)
            .filter(|s| !s.is_empty())
        {
            return scopes;
        }
        self.protected_resource
            .as_ref()
            .and_then(|p| p.scopes_supported.clone())
            .unwrap_or_default()
    }
}

/// The result of probing the MCP endpoint without a token.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The HTTP status.
    pub status: u16,
    /// The `Bearer` challenge of a 401 or 403.
    pub challenge: Option<BearerChallenge>,
}

/// POST an MCP `initialize` request without a token (the first thing a client does) and keep the
/// `Bearer` challenge of a 401/403.
pub async fn probe(http: &HttpClient, server: &Url) -> Result<Probe, Error> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": MCP_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp-accounts", "version": env!("CARGO_PKG_VERSION")}
        }
    });
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let response = http.send(Method::POST, server, headers, Some(bytes)).await?;
    let challenge = if matches!(response.status, 401 | 403) {
        BearerChallenge::from_headers(
            response
                .headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
    } else {
        None
    };
    Ok(Probe {
        status: response.status,
        challenge,
    })
}

/// Run discovery for the MCP server at `server_url` and return the authorization server metadata (the
/// entry point of the Go package this project started from). [`discover`] returns everything.
pub async fn discover_auth_server(http: &HttpClient, server_url: &str) -> Result<ServerMetadata, Error> {
    Ok(discover(http, server_url).await?.authorization_server)
}

/// Run the whole discovery for the MCP server at `server_url`.
pub async fn discover(http: &HttpClient, server_url: &str) -> Result<Discovery, Error> {
    let canonical = canonical_server_url(server_url)?;
    // The canonical form of a URL that parsed parses again.
    let server = Url::parse(&canonical).map_err(|reason| crate::urls::UrlError::Invalid {
        raw: canonical.clone(),
        reason,
    })?;
    let mut attempts = Vec::new();

    let probe = probe(http, &server).await?;
    attempts.push(Attempt {
        url: redact_for_display(&server),
        outcome: Outcome::Status(probe.status),
        used: probe.challenge.is_some(),
    });

    let policy = UrlPolicy::for_server(&server);
    let header_url = probe.challenge.as_ref().and_then(|c| c.resource_metadata.as_deref());
    let prm = find_protected_resource(http, &server, header_url, policy, &mut attempts).await?;

    let (mode, resource, as_url, metadata, prm_url, prm) = match prm {
        Some((prm_url, prm)) => {
            let (raw, issuer) = pick_authorization_server(&prm)?;
            let (as_url, metadata) = find_authorization_server(http, &raw, &issuer, policy, &mut attempts).await?;
            let resource = prm.resource.clone();
            (
                DiscoveryMode::ProtectedResource,
                resource,
                Some(as_url),
                metadata,
                Some(prm_url),
                Some(prm),
            )
        }
        None if (200..300).contains(&probe.status) => {
            return Err(Error::NothingToLogInTo {
                url: canonical,
                status: probe.status,
            });
        }
        None => {
            let (mode, as_url, metadata) = legacy_authorization_server(http, &server, policy, &mut attempts).await?;
            (mode, canonical.clone(), as_url, metadata, None, None)
        }
    };
    Ok(Discovery {
        server_url: canonical,
        resource,
        mode,
        probe_status: Some(probe.status),
        challenge: probe.challenge,
        protected_resource_url: prm_url,
        protected_resource: prm,
        authorization_server_url: as_url,
        authorization_server: metadata,
        attempts,
        discovered_at: crate::clock::unix_now(),
    })
}

/// Why a candidate document was not used, for the summary error.
enum Miss {
    /// 4xx: not here, try the next.
    Absent,
    /// Anything else: the server is broken or hostile.
    Failed(Error),
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &HttpClient,
    url: &Url,
    what: &'static str,
    policy: UrlPolicy,
    attempts: &mut Vec<Attempt>,
) -> Result<(Response, T), Miss> {
    let shown = redact_for_display(url);
    let response = match http.get(url, policy).await {
        Ok(r) => r,
        Err(e) => {
            attempts.push(Attempt {
                url: shown,
                outcome: Outcome::Failed(e.to_string()),
                used: false,
            });
            return Err(Miss::Failed(e));
        }
    };
    attempts.push(Attempt {
        url: shown,
        outcome: Outcome::Status(response.status),
        used: false,
    });
    if (400..500).contains(&response.status) {
        return Err(Miss::Absent);
    }
    if !response.is_success() {
        return Err(Miss::Failed(response.status_error()));
    }
    match response.json::<T>(what) {
        Ok(doc) => Ok((response, doc)),
        Err(e) => Err(Miss::Failed(e)),
    }
}

fn mark_used(attempts: &mut [Attempt]) {
    if let Some(last) = attempts.last_mut() {
        last.used = true;
    }
}

async fn find_protected_resource(
    http: &HttpClient,
    server: &Url,
    header_url: Option<&str>,
    policy: UrlPolicy,
    attempts: &mut Vec<Attempt>,
) -> Result<Option<(String, ProtectedResourceMetadata)>, Error> {
    let mut failure = None;
    let root = root_prm_url(server);
    for url in protected_resource_metadata_urls(server, header_url) {
        if let Err(e) = policy.check(&url) {
            failure = Some(Error::ResourceMetadataRefused(e));
            continue;
        }
        let what = "protected resource metadata";
        match fetch_json::<ProtectedResourceMetadata>(http, &url, what, policy, attempts).await {
            Ok((response, prm)) => {
                let shown = redact_for_display(&response.url);
                // A resource that is only a prefix of the server's URL is accepted from the origin's root
                // document alone, which speaks for the whole origin.
                match prm.ingest(&shown, server, url == root, policy) {
                    Ok(prm) => {
                        mark_used(attempts);
                        return Ok(Some((shown, prm)));
                    }
                    Err(e) => failure = Some(e),
                }
            }
            Err(Miss::Absent) => {}
            Err(Miss::Failed(e)) => failure = Some(e),
        }
    }
    // Legacy mode only when every candidate said "not here"; a broken or mismatching document is an error.
    match failure {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// The first authorization server: its identifier as written (the metadata must repeat it byte for byte)
/// and parsed.
fn pick_authorization_server(prm: &ProtectedResourceMetadata) -> Result<(String, Url), Error> {
    let first = prm.authorization_servers.first().ok_or(Error::NoAuthorizationServers)?;
    let issuer = parse_endpoint("authorization server", first)?;
    if issuer.query().is_some() || issuer.fragment().is_some() {
        return Err(Error::IssuerWithQuery {
            issuer: sanitize(first),
        });
    }
    Ok((first.clone(), issuer))
}

async fn find_authorization_server(
    http: &HttpClient,
    expected: &str,
    issuer: &Url,
    policy: UrlPolicy,
    attempts: &mut Vec<Attempt>,
) -> Result<(String, ServerMetadata), Error> {
    let mut failure = None;
    let candidates = authorization_server_metadata_urls(issuer);
    for url in &candidates {
        let what = "authorization server metadata";
        match fetch_json::<ServerMetadata>(http, url, what, policy, attempts).await {
            Ok((response, metadata)) => match accept_metadata(&response, metadata, expected, policy) {
                Ok(metadata) => {
                    mark_used(attempts);
                    return Ok((redact_for_display(&response.url), metadata));
                }
                Err(e) => failure = Some(e),
            },
            Err(Miss::Absent) => {}
            Err(Miss::Failed(e)) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| Error::NoServerMetadata {
        issuer: sanitize(expected),
        tried: candidates.iter().map(|u| u.path().to_owned()).collect(),
    }))
}

/// [`ServerMetadata::ingest`], with the document's URL in an issuer mismatch.
fn accept_metadata(
    response: &Response,
    metadata: ServerMetadata,
    expected: &str,
    policy: UrlPolicy,
) -> Result<ServerMetadata, Error> {
    metadata.ingest(expected, policy).map_err(|e| match e {
        Error::IssuerMismatch { expected, found, .. } => Error::IssuerMismatch {
            url: redact_for_display(&response.url),
            expected,
            found,
        },
        other => other,
    })
}

async fn legacy_authorization_server(
    http: &HttpClient,
    server: &Url,
    policy: UrlPolicy,
    attempts: &mut Vec<Attempt>,
) -> Result<(DiscoveryMode, Option<String>, ServerMetadata), Error> {
    let issuer = legacy_issuer(server);
    let mut url = origin_of(server);
    url.set_path(OAUTH_AS_SUFFIX);
    match fetch_json::<ServerMetadata>(http, &url, "authorization server metadata", policy, attempts).await {
        Ok((response, metadata)) => {
            // The metadata at the server's own origin may name an issuer on that origin with a path (a
            // server that hosts its authorization server under /oauth, as the official conformance suite's
            // 2025-03-26 servers do). Anywhere else the issuer must be the one looked up.
            let expected = if same_origin_issuer(&metadata.issuer, server) {
                metadata.issuer.clone()
            } else {
                issuer
            };
            let metadata = accept_metadata(&response, metadata, &expected, policy)?;
            mark_used(attempts);
            Ok((
                DiscoveryMode::LegacyMetadata,
                Some(redact_for_display(&response.url)),
                metadata,
            ))
        }
        Err(Miss::Absent) if attempts.last().is_some_and(|a| a.outcome == Outcome::Status(404)) => {
            let metadata = legacy_default_metadata(server);
            let metadata = metadata.ingest(&issuer, policy)?;
            Ok((DiscoveryMode::LegacyDefaults, None, metadata))
        }
        Err(Miss::Absent) => Err(Error::NoLegacyMetadata {
            server: canonical_string(server),
            url: redact_for_display(&url),
            status: match attempts.last().map(|a| &a.outcome) {
                Some(Outcome::Status(status)) => *status,
                _ => 0,
            },
        }),
        Err(Miss::Failed(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_support() {
        let mut m = legacy_default_metadata(&Url::parse("https://a.example").unwrap());
        assert!(!m.supports_s256());
        m.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(!m.supports_s256());
        m.code_challenge_methods_supported = Some(vec!["plain".into(), "S256".into()]);
        assert!(m.supports_s256());
    }
}
