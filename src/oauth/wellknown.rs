//! The well-known URLs of discovery, as pure functions: where protected resource metadata and authorization
//! server metadata may be (RFC 9728 §3.1, RFC 8414 §3.1, OpenID Connect Discovery §4, in the order MCP
//! 2025-11-25 gives), and the 2025-03-26 fallbacks.

use url::Url;

use super::metadata::ServerMetadata;

pub(super) const PRM_SUFFIX: &str = "/.well-known/oauth-protected-resource";
pub(super) const OAUTH_AS_SUFFIX: &str = "/.well-known/oauth-authorization-server";
const OIDC_SUFFIX: &str = "/.well-known/openid-configuration";

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
pub(super) fn same_origin_issuer(issuer: &str, server: &Url) -> bool {
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
        device_authorization_endpoint: None,
        userinfo_endpoint: None,
        prompt_values_supported: None,
    }
}

pub(super) fn origin_of(url: &Url) -> Url {
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

/// The root well-known URL of the server's origin.
pub(super) fn root_prm_url(server: &Url) -> Url {
    let mut root = origin_of(server);
    root.set_path(PRM_SUFFIX);
    root
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
}
