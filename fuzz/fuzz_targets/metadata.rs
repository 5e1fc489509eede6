//! Server documents and URLs: protected resource metadata, authorization server metadata, discovery
//! records, and the URL rules applied to what they contain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_accounts::oauth::discovery::{
    Discovery, authorization_server_metadata_urls, protected_resource_metadata_urls,
};
use mcp_accounts::oauth::metadata::{ProtectedResourceMetadata, ServerMetadata, resource_matches, same_issuer};
use mcp_accounts::urls::{canonical_server_url, check_transport, parse_endpoint};

fuzz_target!(|data: &[u8]| {
    if let Ok(prm) = serde_json::from_slice::<ProtectedResourceMetadata>(data) {
        let server = url::Url::parse("https://mcp.example.com/a/mcp").unwrap();
        let _ = resource_matches(&prm.resource, &server, true);
        for issuer in &prm.authorization_servers {
            if let Ok(url) = parse_endpoint("issuer", issuer) {
                let _ = authorization_server_metadata_urls(&url);
            }
        }
    }
    if let Ok(metadata) = serde_json::from_slice::<ServerMetadata>(data) {
        let _ = metadata.supports_s256();
        let _ = metadata.validate();
        let _ = same_issuer(&metadata.issuer, "https://as.example.com");
        for endpoint in [&metadata.authorization_endpoint, &metadata.token_endpoint] {
            let _ = parse_endpoint("endpoint", endpoint);
        }
    }
    let _ = serde_json::from_slice::<Discovery>(data);
    let text = String::from_utf8_lossy(data);
    if let Ok(canonical) = canonical_server_url(&text) {
        // The canonical form is stable and passes the transport rule.
        assert_eq!(canonical_server_url(&canonical).as_deref(), Ok(canonical.as_str()));
        let url = url::Url::parse(&canonical).unwrap();
        assert!(check_transport(&url).is_ok());
        let _ = protected_resource_metadata_urls(&url, Some(&text));
    }
});
