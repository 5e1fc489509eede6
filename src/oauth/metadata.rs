//! The documents of discovery and the rules a document must pass to be used: RFC 9728 protected resource
//! metadata and RFC 8414 authorization server metadata (OIDC discovery documents have the same fields).

use serde::{Deserialize, Serialize};
use url::Url;

use super::error::Error;
use super::scope::is_scope_token;
use crate::text::{clean, sanitize};
use crate::urls::{UrlPolicy, canonical_string, is_uri_text, origin_key, parse_endpoint};

/// RFC 9728 protected resource metadata (the fields a client uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The resource identifier the document is about.
    pub resource: String,
    /// The issuers of the authorization servers that protect it.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// Scopes the resource knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// How a bearer token may be presented (`header`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_methods_supported: Option<Vec<String>>,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
}

/// RFC 8414 authorization server metadata (the fields a client uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where the browser is sent.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: String,
    /// RFC 7591 dynamic client registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// RFC 7009 token revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// Scopes the server knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// `code`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// `authorization_code`, `refresh_token`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// PKCE methods (`S256`, `plain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// How clients authenticate at the token endpoint (`none`, `client_secret_basic`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 9207: whether authorization responses carry `iss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// Whether client ID metadata documents are accepted as `client_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_supported: Option<bool>,
    /// RFC 8628: where a device login starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// OpenID Connect: where a token with `openid` tells who the user is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// OpenID Connect: the `prompt` values the server knows (`select_account`, `login`, `consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_values_supported: Option<Vec<String>>,
}

impl ServerMetadata {
    /// Whether the server lists PKCE `S256` in `code_challenge_methods_supported`.
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_ref()
            .is_some_and(|methods| methods.iter().any(|m| m == "S256"))
    }

    /// Check a document before anything of it is used or stored: the issuer is exactly the one looked up
    /// (RFC 8414 §3.3, no normalization); every endpoint is a URL (printable ASCII) that passes the URL
    /// rules and `policy`, and is kept in its canonical form; `scopes_supported` holds scope tokens only;
    /// the other lists keep only entries that could be values (printable ASCII); the code flow is offered.
    pub fn ingest(mut self, expected_issuer: &str, policy: UrlPolicy) -> Result<Self, Error> {
        if self.issuer != expected_issuer {
            return Err(Error::IssuerMismatch {
                url: String::new(),
                expected: sanitize(expected_issuer),
                found: sanitize(&self.issuer),
            });
        }
        let endpoint = |what: &'static str, raw: &str| -> Result<String, Error> {
            let url = parse_endpoint(what, raw)?;
            policy.check(&url).map_err(|e| crate::urls::UrlError::FieldRefused {
                what,
                source: Box::new(e),
            })?;
            Ok(url.to_string())
        };
        let auth = endpoint("authorization_endpoint", &self.authorization_endpoint)?;
        if url::Url::parse(&auth)
            .ok()
            .and_then(|u| u.query().map(str::to_owned))
            .is_some_and(|q| q.contains("state=") || q.contains("code_challenge="))
        {
            return Err(Error::AuthorizationEndpointHasParameters);
        }
        self.authorization_endpoint = auth;
        self.token_endpoint = endpoint("token_endpoint", &self.token_endpoint)?;
        self.registration_endpoint = self
            .registration_endpoint
            .map(|u| endpoint("registration_endpoint", &u))
            .transpose()?;
        self.revocation_endpoint = self
            .revocation_endpoint
            .map(|u| endpoint("revocation_endpoint", &u))
            .transpose()?;
        self.device_authorization_endpoint = self
            .device_authorization_endpoint
            .map(|u| endpoint("device_authorization_endpoint", &u))
            .transpose()?;
        self.userinfo_endpoint = self
            .userinfo_endpoint
            .map(|u| endpoint("userinfo_endpoint", &u))
            .transpose()?;
        check_scopes("scopes_supported", self.scopes_supported.as_deref())?;
        for values in [
            &mut self.response_types_supported,
            &mut self.grant_types_supported,
            &mut self.code_challenge_methods_supported,
            &mut self.token_endpoint_auth_methods_supported,
            &mut self.prompt_values_supported,
        ]
        .into_iter()
        .flatten()
        {
            values.retain(|v| is_uri_text(v));
        }
        if let Some(types) = &self.response_types_supported
            && !types.iter().any(|t| t == "code")
        {
            return Err(Error::NoCodeFlow {
                issuer: sanitize(&self.issuer),
                types: sanitize(&types.join(" ")),
            });
        }
        Ok(self)
    }

    /// The checks of [`ServerMetadata::ingest`] on a document that is already stored (or built here).
    pub fn validate(&self) -> Result<(), Error> {
        let policy = UrlPolicy { allow_loopback: true };
        self.clone().ingest(&self.issuer, policy).map(drop)
    }
}

impl ProtectedResourceMetadata {
    /// Check a document before anything of it is used or stored: `resource` names the server `server` (the
    /// same URL; or, only when the document came from the origin's root well-known URL, the same origin
    /// with a path prefix: RFC 9728 §3.3 as the MCP SDKs apply it), has no fragment, and is kept in its
    /// canonical form; `authorization_servers` are URLs (printable ASCII) that pass `policy`; scopes are
    /// scope tokens; `resource_name` is made terminal-safe.
    pub fn ingest(mut self, url: &str, server: &url::Url, from_root: bool, policy: UrlPolicy) -> Result<Self, Error> {
        let mismatch = || Error::ResourceMismatch {
            url: url.to_owned(),
            resource: sanitize(&self.resource),
            server: canonical_string(server),
        };
        let resource = url::Url::parse(&self.resource)
            .ok()
            .filter(|_| is_uri_text(&self.resource));
        let Some(resource) = resource else {
            return Err(mismatch());
        };
        if resource.fragment().is_some() {
            return Err(Error::ResourceWithFragment {
                url: url.to_owned(),
                resource: sanitize(&self.resource),
            });
        }
        if !resource_matches(&self.resource, server, from_root) {
            return Err(mismatch());
        }
        for issuer in &self.authorization_servers {
            let parsed = parse_endpoint("authorization server", issuer)?;
            policy.check(&parsed).map_err(|e| crate::urls::UrlError::FieldRefused {
                what: "authorization server",
                source: Box::new(e),
            })?;
        }
        check_scopes("scopes_supported", self.scopes_supported.as_deref())?;
        if let Some(methods) = &mut self.bearer_methods_supported {
            methods.retain(|m| is_uri_text(m));
        }
        self.resource_name = self.resource_name.map(|n| clean(&n).into_owned());
        self.resource = canonical_string(&resource);
        Ok(self)
    }
}

/// Every entry a scope token, or the document is refused.
fn check_scopes(what: &'static str, scopes: Option<&[String]>) -> Result<(), Error> {
    match scopes.unwrap_or_default().iter().find(|s| !is_scope_token(s)) {
        Some(bad) => Err(Error::BadScope {
            what,
            scope: sanitize(bad),
        }),
        None => Ok(()),
    }
}

/// Whether a PRM `resource` names the server at `server`: the same URL; or, with `allow_prefix` (the
/// document came from the origin's root well-known URL), the same origin with a path that is a prefix of the
/// server's path, segment by segment, as the TypeScript SDK accepts. The loopback names count as one origin.
pub fn resource_matches(resource: &str, server: &Url, allow_prefix: bool) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    if origin_key(&resource) != origin_key(server) {
        return false;
    }
    let prefix = resource.path().trim_end_matches('/');
    let path = server.path().trim_end_matches('/');
    if prefix == path && resource.query() == server.query() {
        return true;
    }
    if !allow_prefix || resource.query().is_some() {
        return false;
    }
    path.starts_with(&format!("{prefix}/"))
}

/// Whether two issuer identifiers are the same. RFC 8414 §3.3 asks for identical strings; the only
/// difference tolerated is the one the URL syntax itself makes invisible (`https://a` vs `https://a/`).
pub fn same_issuer(a: &str, b: &str) -> bool {
    a == b || matches!((Url::parse(a), Url::parse(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_matching() {
        let server = Url::parse("https://h.example/api/mcp").unwrap();
        assert!(resource_matches("https://h.example/api/mcp", &server, false));
        assert!(resource_matches("https://h.example/api/mcp/", &server, false));
        assert!(resource_matches("https://h.example", &server, true));
        assert!(resource_matches("https://h.example/api", &server, true));
        // A prefix only from the root well-known URL.
        assert!(!resource_matches("https://h.example", &server, false));
        assert!(!resource_matches("https://h.example/ap", &server, true));
        assert!(!resource_matches("https://other.example/api/mcp", &server, true));
        assert!(!resource_matches("http://h.example/api/mcp", &server, true));
        assert!(!resource_matches("not a url", &server, true));
        let local = Url::parse("http://127.0.0.1:3000/mcp").unwrap();
        assert!(resource_matches("http://localhost:3000/mcp", &local, false));
        assert!(!resource_matches("http://localhost:3001/mcp", &local, false));
    }

    #[test]
    fn a_remote_servers_documents_cannot_point_at_this_machine() {
        let remote = UrlPolicy::for_server(&Url::parse("https://mcp.example.com/mcp").unwrap());
        let local = UrlPolicy::for_server(&Url::parse("http://127.0.0.1:3000/mcp").unwrap());
        let server_metadata = |token_endpoint: &str| -> ServerMetadata {
            serde_json::from_value(serde_json::json!({
                "issuer": "https://as.example.com",
                "authorization_endpoint": "https://as.example.com/authorize",
                "token_endpoint": token_endpoint,
            }))
            .unwrap()
        };
        for inside in [
            "http://127.0.0.1:6379/token",
            "http://localhost:8080/token",
            "http://[::1]/token",
        ] {
            let refused = server_metadata(inside).ingest("https://as.example.com", remote);
            assert!(refused.is_err(), "{inside}");
            assert!(
                server_metadata(inside).ingest("https://as.example.com", local).is_ok(),
                "{inside}"
            );
        }
        assert!(
            server_metadata("https://as.example.com/token")
                .ingest("https://as.example.com", remote)
                .is_ok()
        );

        let prm = |issuer: &str| -> ProtectedResourceMetadata {
            serde_json::from_value(serde_json::json!({
                "resource": "https://mcp.example.com/mcp",
                "authorization_servers": [issuer],
            }))
            .unwrap()
        };
        let server = Url::parse("https://mcp.example.com/mcp").unwrap();
        assert!(
            prm("http://127.0.0.1:9000")
                .ingest("u", &server, false, remote)
                .is_err()
        );
        assert!(
            prm("https://as.example.com")
                .ingest("u", &server, false, remote)
                .is_ok()
        );
    }

    #[test]
    fn scopes_and_urls_from_a_server_are_refused_unless_clean() {
        let policy = UrlPolicy { allow_loopback: false };
        let doc = |field: &str, value: serde_json::Value| -> Result<ServerMetadata, Error> {
            let mut json = serde_json::json!({
                "issuer": "https://as.example.com",
                "authorization_endpoint": "https://as.example.com/authorize",
                "token_endpoint": "https://as.example.com/token",
            });
            json[field] = value;
            serde_json::from_value::<ServerMetadata>(json)
                .unwrap()
                .ingest("https://as.example.com", policy)
        };
        assert!(doc("scopes_supported", serde_json::json!(["mcp:tools", "a\u{1b}]52;c;x"])).is_err());
        assert!(doc("scopes_supported", serde_json::json!(["two words"])).is_err());
        assert!(doc("token_endpoint", serde_json::json!("https://as.example.com/t\u{202e}")).is_err());
        let kept = doc("token_endpoint", serde_json::json!("HTTPS://AS.example.com:443/token")).unwrap();
        assert_eq!(
            kept.token_endpoint, "https://as.example.com/token",
            "kept in canonical form"
        );
    }

    #[test]
    fn issuer_equality() {
        assert!(same_issuer("http://localhost:3001/", "http://localhost:3001/"));
        assert!(same_issuer("https://a.example", "https://a.example/"));
        assert!(!same_issuer("https://a.example/t", "https://a.example/t/"));
        assert!(!same_issuer("https://a.example", "https://b.example"));
    }
}
