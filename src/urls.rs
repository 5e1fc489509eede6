//! URL rules shared by the store (what a server URL may be) and the OAuth engine (which URLs it may fetch
//! or hand to a browser): HTTPS everywhere, plain HTTP only to this machine. Imports nothing from the rest
//! of the crate but [`crate::text`].

use url::{Host, Url};

use crate::text::shorten;

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// A relative URL where an absolute one is needed.
    #[error("{raw:?} is not an absolute URL; write it as https://host/path")]
    NotAbsolute {
        /// The text as given (shortened).
        raw: String,
    },
    /// Not a URL at all.
    #[error("{raw:?} is not a valid URL ({reason})")]
    Invalid {
        /// The text as given (shortened).
        raw: String,
        /// What the parser said.
        reason: url::ParseError,
    },
    /// A URL without a host (`https://`, `mailto:x`).
    #[error("{raw:?} has no host; write it as https://host/path")]
    NoHost {
        /// The text as given (shortened).
        raw: String,
    },
    /// A user name or password inside the URL.
    #[error("{url}: a user name or password in the URL is not allowed")]
    UserInfo {
        /// The URL as it may be shown.
        url: String,
    },
    /// `http://` to a host that is not this machine.
    #[error("{url}: plain http:// is only allowed to this machine (localhost, 127.0.0.1, ::1); use https://")]
    PlainHttp {
        /// The URL as it may be shown.
        url: String,
    },
    /// A scheme other than `https` or `http`.
    #[error("{url}: the {scheme}: scheme is not allowed; only https:// (or http:// to this machine)")]
    Scheme {
        /// The URL as it may be shown.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// A field of a server's document that is not a valid URL.
    #[error("{what} {raw:?} is not a valid URL ({reason})")]
    InvalidField {
        /// The field (`token_endpoint`, …).
        what: &'static str,
        /// Its value (shortened).
        raw: String,
        /// What the parser said.
        reason: url::ParseError,
    },
    /// A loopback URL named by a server that is not itself on this machine.
    #[error("{url}: a server that is not on this machine may not send this program to this machine")]
    Loopback {
        /// The URL as it may be shown.
        url: String,
    },
    /// A URL with characters a URL cannot have (controls, spaces, non-ASCII): RFC 3986 URIs are printable
    /// ASCII.
    #[error("{what} is not a URL: it contains characters a URL cannot have")]
    NotAscii {
        /// The field.
        what: &'static str,
    },
    /// A field of a server's document whose URL breaks the transport rule.
    #[error("{what}: {source}")]
    FieldRefused {
        /// The field (`token_endpoint`, …).
        what: &'static str,
        /// Why the URL was refused.
        source: Box<UrlError>,
    },
}

/// Whether `host` is this machine: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `url` points at this machine.
pub fn is_loopback_url(url: &Url) -> bool {
    url.host().is_some_and(|h| is_loopback_host(&h))
}

/// The transport rule for every URL the engine contacts (RFC 9728/8414 endpoints, OAuth 2.1 §1.5):
/// `https://`, or `http://` only when the host is loopback.
pub fn check_transport(url: &Url) -> Result<(), UrlError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback_url(url) => Ok(()),
        "http" => Err(UrlError::PlainHttp {
            url: redact_for_display(url),
        }),
        other => Err(UrlError::Scheme {
            url: redact_for_display(url),
            scheme: shorten(other),
        }),
    }
}

/// Which URLs a discovery may contact or accept, besides the transport rule: loopback ones only when the MCP
/// server itself is on loopback, so that a remote server's metadata or redirects cannot send this program to
/// services on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Whether loopback URLs may be used.
    pub allow_loopback: bool,
}

impl UrlPolicy {
    /// The policy for the MCP server at `server`.
    pub fn for_server(server: &Url) -> Self {
        UrlPolicy {
            allow_loopback: is_loopback_url(server),
        }
    }

    /// [`check_transport`], and the loopback rule.
    pub fn check(&self, url: &Url) -> Result<(), UrlError> {
        check_transport(url)?;
        if !self.allow_loopback && is_loopback_url(url) {
            return Err(UrlError::Loopback {
                url: redact_for_display(url),
            });
        }
        Ok(())
    }
}

/// Whether `text` could be a URL as written on the wire: printable ASCII without spaces (RFC 3986).
pub fn is_uri_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

/// Parse a server-supplied URL and apply [`check_transport`]; `what` names the field for the message.
pub fn parse_endpoint(what: &'static str, raw: &str) -> Result<Url, UrlError> {
    if !is_uri_text(raw) {
        return Err(UrlError::NotAscii { what });
    }
    let url = Url::parse(raw).map_err(|reason| UrlError::InvalidField {
        what,
        raw: shorten(raw),
        reason,
    })?;
    check_transport(&url).map_err(|e| UrlError::FieldRefused {
        what,
        source: Box::new(e),
    })?;
    Ok(url)
}

/// Parse and canonicalize a URL the user typed for an MCP server (RFC 8707 §2 and the MCP "canonical server
/// URI"): absolute, `https://` (or loopback `http://`), lower-case scheme and host, no fragment, no user
/// name or password, no trailing slash.
pub fn canonical_server_url(raw: &str) -> Result<String, UrlError> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => UrlError::NotAbsolute { raw: shorten(raw) },
        reason => UrlError::Invalid {
            raw: shorten(raw),
            reason,
        },
    })?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(UrlError::NoHost { raw: shorten(raw) });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::UserInfo {
            url: redact_for_display(&url),
        });
    }
    check_transport(&url)?;
    Ok(canonical_string(&url))
}

/// The canonical text of an already parsed URL: the `url` crate lower-cases scheme and host and drops
/// default ports; this drops the fragment and any trailing slash of the path.
pub fn canonical_string(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}://{host}{port}{path}{query}", url.scheme())
}

/// The origin of a URL, for same-origin comparisons; the loopback names count as one host (a server that
/// listens on 127.0.0.1 and calls itself `localhost` is the same server).
pub fn origin_key(url: &Url) -> (String, String, Option<u16>) {
    let host = if is_loopback_url(url) {
        "loopback".to_owned()
    } else {
        url.host_str().unwrap_or_default().to_owned()
    };
    (url.scheme().to_owned(), host, url.port_or_known_default())
}

/// A URL as it may be shown: without its query (which can hold codes or tokens), fragment, user name and
/// password, and at most 200 characters.
pub fn redact_for_display(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shorten(shown.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_lowercases_and_strips() {
        let cases = [
            ("HTTPS://MCP.Example.COM/Path/MCP/", "https://mcp.example.com/Path/MCP"),
            ("https://mcp.example.com/", "https://mcp.example.com"),
            ("https://mcp.example.com", "https://mcp.example.com"),
            ("https://mcp.example.com:443/mcp#frag", "https://mcp.example.com/mcp"),
            (
                "https://mcp.example.com:8443/mcp?tenant=a",
                "https://mcp.example.com:8443/mcp?tenant=a",
            ),
            ("http://127.0.0.1:3000/mcp", "http://127.0.0.1:3000/mcp"),
            ("http://LOCALHOST:3000/mcp/", "http://localhost:3000/mcp"),
            ("http://[::1]:3000/mcp", "http://[::1]:3000/mcp"),
            ("  https://a.example/mcp  ", "https://a.example/mcp"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical_server_url(input).unwrap(), want, "input {input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_server_url() {
        for bad in [
            "mcp.example.com/mcp",
            "/mcp",
            "garbage",
            "http://mcp.example.com/mcp",
            "http://10.0.0.1/mcp",
            "ftp://mcp.example.com",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@mcp.example.com/mcp",
            "https://",
        ] {
            assert!(canonical_server_url(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for ok in [
            "http://localhost/",
            "http://127.0.0.1/",
            "http://127.8.9.10/",
            "http://[::1]/",
        ] {
            assert!(is_loopback_url(&Url::parse(ok).unwrap()), "{ok}");
        }
        for not in [
            "http://localhost.example.com/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://10.0.0.1/",
        ] {
            assert!(!is_loopback_url(&Url::parse(not).unwrap()), "{not}");
        }
    }

    #[test]
    fn shown_urls_carry_no_query_and_no_credentials() {
        let url = Url::parse("https://user:pw@as.example/token?code=secret#frag").unwrap();
        assert_eq!(redact_for_display(&url), "https://as.example/token");
    }

    #[test]
    fn loopback_only_for_loopback_servers() {
        let remote = UrlPolicy::for_server(&Url::parse("https://mcp.example.com/mcp").unwrap());
        let local = UrlPolicy::for_server(&Url::parse("http://127.0.0.1:3000/mcp").unwrap());
        for url in ["http://127.0.0.1:6379/", "https://localhost/x", "http://[::1]:80/"] {
            let url = Url::parse(url).unwrap();
            assert!(matches!(remote.check(&url), Err(UrlError::Loopback { .. })), "{url}");
            assert!(local.check(&url).is_ok(), "{url}");
        }
        assert!(remote.check(&Url::parse("https://as.example.com/").unwrap()).is_ok());
        assert!(!is_uri_text("https://a.example/\u{1b}]52;c;x"));
        assert!(!is_uri_text("https://a.example/ x"));
        assert!(is_uri_text("https://a.example/x?y=1"));
    }

    #[test]
    fn loopback_names_share_an_origin() {
        let a = Url::parse("http://localhost:3000/mcp").unwrap();
        let b = Url::parse("http://127.0.0.1:3000/").unwrap();
        let c = Url::parse("http://127.0.0.1:3001/").unwrap();
        assert_eq!(origin_key(&a), origin_key(&b));
        assert_ne!(origin_key(&a), origin_key(&c));
    }
}
