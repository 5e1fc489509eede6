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
use super::metadata::{ProtectedResourceMetadata, ServerMetadata, resource_matches, same_issuer};
use crate::text::sanitize;
use crate::urls::{canonical_server_url, canonical_string, check_transport, parse_endpoint, redact_for_display};

const PRM_SUFFIX: &str = "/.well-known/oauth-protected-resource";
const OAUTH_AS_SUFFIX: &str = "/.well-known/oauth-authorization-server";
const OIDC_SUFFIX: &str = "/.well-known/openid-configuration";

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

/// The protected resource metadata URLs to try, in order: the challenge's `resource_metadata`, the
/// path-inserted well-known URL (RFC 9728 §3.1, query kept), the root well-known URL.
pub fn protected_resource_metadata_urls(server: &Url, from_challenge: Option<&str>) -> Vec<Url> {
    let mut urls = Vec::new();
    if let Some(url) = from_challenge.and_then(|raw| server.join(raw).ok()) {
        urls.push(url);
    }
    let path = server.path().trim_end_matches('/');
    if !path.is_empty() {
        let mut inserted = origin_of(server);
        inserted.set_path(&format!("{PRM_SUFFIX}{path}"));
        inserted.set_query(server.query());
        urls.push(inserted);
    }
    let mut root = origin_of(server);
    root.set_path(PRM_SUFFIX);
    urls.push(root);
    dedup(urls)
}

/// The authorization server metadata URLs for `issuer`, in the MCP 2025-11-25 order. With a path
/// (`https://a/t`): RFC 8414 insertion, OIDC insertion, OIDC append; without: the first two at the root.
pub fn authorization_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let at = |p: String| {
        let mut url = origin_of(issuer);
        url.set_path(&p);
        url
    };
    if path.is_empty() {
        vec![at(OAUTH_AS_SUFFIX.to_owned()), at(OIDC_SUFFIX.to_owned())]
    } else {
        vec![
            at(format!("{OAUTH_AS_SUFFIX}{path}")),
            at(format!("{OIDC_SUFFIX}{path}")),
            at(format!("{path}{OIDC_SUFFIX}")),
        ]
    }
}

/// Whether `issuer` is a valid issuer identifier on the origin of `server` (loopback names count as one).
fn same_origin_issuer(issuer: &str, server: &Url) -> bool {
    Url::parse(issuer).is_ok_and(|i| {
        i.query().is_none() && i.fragment().is_none() && crate::urls::origin_key(&i) == crate::urls::origin_key(server)
    })
}

/// 2025-03-26: the authorization base URL is the server URL with its path discarded.
pub fn legacy_issuer(server: &Url) -> String {
    origin_of(server).as_str().trim_end_matches('/').to_owned()
}

/// 2025-03-26 defaults when the origin has no metadata: `/authorize`, `/token`, `/register`.
pub fn legacy_default_metadata(server: &Url) -> ServerMetadata {
    let base = legacy_issuer(server);
    ServerMetadata {
        issuer: base.clone(),
        authorization_endpoint: format!("{base}/authorize"),
        token_endpoint: format!("{base}/token"),
        registration_endpoint: Some(format!("{base}/register")),
        revocation_endpoint: None,
        scopes_supported: None,
        response_types_supported: None,
        grant_types_supported: None,
        code_challenge_methods_supported: None,
        token_endpoint_auth_methods_supported: None,
        authorization_response_iss_parameter_supported: None,
        client_id_metadata_document_supported: None,
    }
}

fn origin_of(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

fn dedup(urls: Vec<Url>) -> Vec<Url> {
    let mut seen: Vec<Url> = Vec::new();
    for url in urls {
        if !seen.contains(&url) {
            seen.push(url);
        }
    }
    seen
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

    let header_url = probe.challenge.as_ref().and_then(|c| c.resource_metadata.as_deref());
    let prm = find_protected_resource(http, &server, header_url, &mut attempts).await?;

    let (mode, resource, as_url, metadata, prm_url, prm) = match prm {
        Some((prm_url, prm)) => {
            let issuer = pick_authorization_server(&prm)?;
            let (as_url, metadata) = find_authorization_server(http, &issuer, &mut attempts).await?;
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
            let (mode, as_url, metadata) = legacy_authorization_server(http, &server, &mut attempts).await?;
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
    attempts: &mut Vec<Attempt>,
) -> Result<(Response, T), Miss> {
    let shown = redact_for_display(url);
    let response = match http.get(url).await {
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
    attempts: &mut Vec<Attempt>,
) -> Result<Option<(String, ProtectedResourceMetadata)>, Error> {
    let mut failure = None;
    for url in protected_resource_metadata_urls(server, header_url) {
        if let Err(e) = check_transport(&url) {
            failure = Some(Error::ResourceMetadataRefused(e));
            continue;
        }
        match fetch_json::<ProtectedResourceMetadata>(http, &url, "protected resource metadata", attempts).await {
            Ok((response, prm)) => {
                if !resource_matches(&prm.resource, server) {
                    failure = Some(Error::ResourceMismatch {
                        url: redact_for_display(&response.url),
                        resource: sanitize(&prm.resource),
                        server: canonical_string(server),
                    });
                    continue;
                }
                mark_used(attempts);
                return Ok(Some((redact_for_display(&response.url), prm)));
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

fn pick_authorization_server(prm: &ProtectedResourceMetadata) -> Result<Url, Error> {
    let first = prm.authorization_servers.first().ok_or(Error::NoAuthorizationServers)?;
    let issuer = parse_endpoint("authorization server", first)?;
    if issuer.query().is_some() || issuer.fragment().is_some() {
        return Err(Error::IssuerWithQuery {
            issuer: sanitize(first),
        });
    }
    Ok(issuer)
}

async fn find_authorization_server(
    http: &HttpClient,
    issuer: &Url,
    attempts: &mut Vec<Attempt>,
) -> Result<(String, ServerMetadata), Error> {
    // The issuer as the PRM wrote it is what the document must repeat.
    let expected = issuer.as_str();
    let mut failure = None;
    let candidates = authorization_server_metadata_urls(issuer);
    for url in &candidates {
        match fetch_json::<ServerMetadata>(http, url, "authorization server metadata", attempts).await {
            Ok((response, metadata)) => match accept_metadata(&response, metadata, expected) {
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
        issuer: expected.to_owned(),
        tried: candidates.iter().map(|u| u.path().to_owned()).collect(),
    }))
}

fn accept_metadata(response: &Response, metadata: ServerMetadata, expected: &str) -> Result<ServerMetadata, Error> {
    if !same_issuer(&metadata.issuer, expected) {
        return Err(Error::IssuerMismatch {
            url: redact_for_display(&response.url),
            expected: expected.to_owned(),
            found: sanitize(&metadata.issuer),
        });
    }
    metadata.validate()?;
    Ok(metadata)
}

async fn legacy_authorization_server(
    http: &HttpClient,
    server: &Url,
    attempts: &mut Vec<Attempt>,
) -> Result<(DiscoveryMode, Option<String>, ServerMetadata), Error> {
    let issuer = legacy_issuer(server);
    let mut url = origin_of(server);
    url.set_path(OAUTH_AS_SUFFIX);
    match fetch_json::<ServerMetadata>(http, &url, "authorization server metadata", attempts).await {
        Ok((response, metadata)) => {
            // The metadata at the server's own origin may name an issuer on that origin with a path (a
            // server that hosts its authorization server under /oauth, as the official conformance suite's
            // 2025-03-26 servers do). Anywhere else the issuer must be the one looked up.
            let expected = if same_origin_issuer(&metadata.issuer, server) {
                metadata.issuer.clone()
            } else {
                issuer
            };
            let metadata = accept_metadata(&response, metadata, &expected)?;
            mark_used(attempts);
            Ok((
                DiscoveryMode::LegacyMetadata,
                Some(redact_for_display(&response.url)),
                metadata,
            ))
        }
        Err(Miss::Absent) if attempts.last().is_some_and(|a| a.outcome == Outcome::Status(404)) => {
            let metadata = legacy_default_metadata(server);
            metadata.validate()?;
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

    fn urls(list: Vec<Url>) -> Vec<String> {
        list.into_iter().map(String::from).collect()
    }

    #[test]
    fn prm_candidates_with_path() {
        let server = Url::parse("https://mcp.example.com/path/mcp").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&server, None)),
            [
                "https://mcp.example.com/.well-known/oauth-protected-resource/path/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
            ]
        );
    }

    #[test]
    fn prm_candidates_header_first_then_well_known() {
        let server = Url::parse("https://mcp.example.com/mcp").unwrap();
        let header = "https://meta.example.com/prm.json";
        assert_eq!(
            urls(protected_resource_metadata_urls(&server, Some(header))),
            [
                "https://meta.example.com/prm.json",
                "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
            ]
        );
        // The header naming a well-known URL is not fetched twice.
        let header = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
        assert_eq!(protected_resource_metadata_urls(&server, Some(header)).len(), 2);
    }

    #[test]
    fn prm_candidates_root_trailing_slash_and_query() {
        let root = Url::parse("https://mcp.example.com/").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&root, None)),
            ["https://mcp.example.com/.well-known/oauth-protected-resource"]
        );
        let slash = Url::parse("https://mcp.example.com/mcp/").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&slash, None))[0],
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let query = Url::parse("https://mcp.example.com:8443/mcp?tenant=a").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&query, None)),
            [
                "https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp?tenant=a",
                "https://mcp.example.com:8443/.well-known/oauth-protected-resource",
            ]
        );
    }

    #[test]
    fn as_candidates_with_and_without_path() {
        let with_path = Url::parse("https://auth.example.com/tenant1").unwrap();
        assert_eq!(
            urls(authorization_server_metadata_urls(&with_path)),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        for root in ["https://auth.example.com", "https://auth.example.com/"] {
            assert_eq!(
                urls(authorization_server_metadata_urls(&Url::parse(root).unwrap())),
                [
                    "https://auth.example.com/.well-known/oauth-authorization-server",
                    "https://auth.example.com/.well-known/openid-configuration",
                ]
            );
        }
        let trailing = Url::parse("https://auth.example.com/tenant1/").unwrap();
        assert_eq!(
            urls(authorization_server_metadata_urls(&trailing))[0],
            "https://auth.example.com/.well-known/oauth-authorization-server/tenant1"
        );
    }

    #[test]
    fn legacy_endpoints_drop_the_path() {
        let server = Url::parse("https://api.example.com/v1/mcp").unwrap();
        let m = legacy_default_metadata(&server);
        assert_eq!(m.issuer, "https://api.example.com");
        assert_eq!(m.authorization_endpoint, "https://api.example.com/authorize");
        assert_eq!(m.token_endpoint, "https://api.example.com/token");
        assert_eq!(
            m.registration_endpoint.as_deref(),
            Some("https://api.example.com/register")
        );
    }

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
