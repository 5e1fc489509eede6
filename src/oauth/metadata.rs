//! The documents of discovery and the rules a document must pass to be used: RFC 9728 protected resource
//! metadata and RFC 8414 authorization server metadata (OIDC discovery documents have the same fields).

use serde::{Deserialize, Serialize};
use url::Url;

use super::error::Error;
use crate::text::sanitize;
use crate::urls::{canonical_string, origin_key, parse_endpoint};

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
}

impl ServerMetadata {
    /// Whether the server lists PKCE `S256` in `code_challenge_methods_supported`.
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_ref()
            .is_some_and(|methods| methods.iter().any(|m| m == "S256"))
    }

    /// Check every endpoint against the transport rule, and that the code flow is offered. A document that
    /// fails is not used at all.
    pub fn validate(&self) -> Result<(), Error> {
        let auth = parse_endpoint("authorization_endpoint", &self.authorization_endpoint)?;
        if auth
            .query()
            .is_some_and(|q| q.contains("state=") || q.contains("code_challenge="))
        {
            return Err(Error::AuthorizationEndpointHasParameters);
        }
        parse_endpoint("token_endpoint", &self.token_endpoint)?;
        if let Some(url) = &self.registration_endpoint {
            parse_endpoint("registration_endpoint", url)?;
        }
        if let Some(url) = &self.revocation_endpoint {
            parse_endpoint("revocation_endpoint", url)?;
        }
        if let Some(types) = &self.response_types_supported
            && !types.iter().any(|t| t == "code")
        {
            return Err(Error::NoCodeFlow {
                issuer: sanitize(&self.issuer),
                types: sanitize(&types.join(" ")),
            });
        }
        Ok(())
    }
}

/// Whether a PRM `resource` names the server at `server`: the same URL, or (as the TypeScript SDK accepts)
/// the same origin with a path that is a prefix of the server's path, segment by segment. The loopback
/// names count as one origin.
pub fn resource_matches(resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    if canonical_string(&resource) == canonical_string(server) {
        return true;
    }
    if resource.query().is_some() || origin_key(&resource) != origin_key(server) {
        return false;
    }
    let prefix = resource.path().trim_end_matches('/');
    let path = server.path().trim_end_matches('/');
    path == prefix || path.starts_with(&format!("{prefix}/"))
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
        assert!(resource_matches("https://h.example/api/mcp", &server));
        assert!(resource_matches("https://h.example/api/mcp/", &server));
        assert!(resource_matches("https://h.example", &server));
        assert!(resource_matches("https://h.example/api", &server));
        assert!(!resource_matches("https://h.example/ap", &server));
        assert!(!resource_matches("https://other.example/api/mcp", &server));
        assert!(!resource_matches("http://h.example/api/mcp", &server));
        assert!(!resource_matches("not a url", &server));
        let local = Url::parse("http://127.0.0.1:3000/mcp").unwrap();
        assert!(resource_matches("http://localhost:3000/mcp", &local));
        assert!(!resource_matches("http://localhost:3001/mcp", &local));
    }

    #[test]
    fn issuer_equality() {
        assert!(same_issuer("http://localhost:3001/", "http://localhost:3001/"));
        assert!(same_issuer("https://a.example", "https://a.example/"));
        assert!(!same_issuer("https://a.example/t", "https://a.example/t/"));
        assert!(!same_issuer("https://a.example", "https://b.example"));
    }
}
