//! `WWW-Authenticate` parsing (RFC 9110 §11.6.1): several challenges per header and several headers,
//! case-insensitive scheme and parameter names, quoted strings with backslash escapes, token68.
//! The MCP client needs the `Bearer` challenge's `resource_metadata` (RFC 9728 §5.1), `scope`, `error` and
//! `error_description` (RFC 6750 §3).

use serde::{Deserialize, Serialize};

/// One challenge: a scheme and its parameters (names lower-cased, values unquoted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The scheme (`Bearer`, `Basic`, …) as written.
    pub scheme: String,
    /// The parameters, names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
    /// A token68 credential instead of parameters (`Negotiate abc==`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token68: Option<String>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive); the first one when repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the client keeps from a `Bearer` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BearerChallenge {
    /// RFC 9728 §5.1: where the protected resource metadata is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_metadata: Option<String>,
    /// The scopes needed, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The error code (`invalid_token`, `insufficient_scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its description (raw: sanitize before showing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl BearerChallenge {
    /// The first `Bearer` challenge among all the values of the `WWW-Authenticate` headers, with only what
    /// can be used kept: `resource_metadata` when it could be a URL, `scope` when every entry is a scope
    /// token, `error` when it could be an error code; `error_description` made terminal-safe.
    pub fn from_headers<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<BearerChallenge> {
        values
            .into_iter()
            .flat_map(parse_www_authenticate)
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
            .map(|c| BearerChallenge {
                resource_metadata: c
                    .param("resource_metadata")
                    .filter(|u| crate::urls::is_uri_text(u))
                    .map(str::to_owned),
                scope: c
                    .param("scope")
                    .filter(|s| s.split_whitespace().all(super::scope::is_scope_token))
                    .map(str::to_owned),
                error: c
                    .param("error")
                    .filter(|e| crate::urls::is_uri_text(e))
                    .map(str::to_owned),
                error_description: c.param("error_description").map(crate::text::sanitize),
            })
    }

    /// The scopes of the challenge, split on spaces.
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Parse one `WWW-Authenticate` header value into its challenges. Malformed input never fails: the parser
/// keeps what it could read and skips to the next comma.
pub fn parse_www_authenticate(value: &str) -> Vec<Challenge> {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut challenges: Vec<Challenge> = Vec::new();
    loop {
        p.skip_separators();
        if p.done() {
            break;
        }
        let Some(scheme) = p.token() else {
            p.skip_to_comma();
            continue;
        };
        let mut challenge = Challenge {
            scheme,
            ..Challenge::default()
        };
        p.skip_ws();
        // Either a token68 or a list of auth-params, up to the start of the next challenge.
        if let Some(t68) = p.token68() {
            challenge.token68 = Some(t68);
        } else {
            loop {
                p.skip_separators();
                let save = p.i;
                let Some(name) = p.token() else { break };
                p.skip_ws();
                if !p.eat(b'=') {
                    // A token not followed by '=' starts the next challenge.
                    p.i = save;
                    break;
                }
                p.skip_ws();
                let value = if p.peek() == Some(b'"') {
                    p.quoted()
                } else {
                    p.bare_value()
                };
                challenge.params.push((name.to_ascii_lowercase(), value));
                p.skip_ws();
                if !p.done() && p.peek() != Some(b',') {
                    p.skip_to_comma();
                }
            }
        }
        challenges.push(challenge);
    }
    challenges
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn skip_to_comma(&mut self) {
        while let Some(b) = self.peek() {
            if b == b',' {
                break;
            }
            if b == b'"' {
                self.quoted();
            } else {
                self.i += 1;
            }
        }
    }
    /// RFC 9110 `token`: 1*tchar.
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    /// RFC 9110 `token68`: only when it is all this challenge holds (followed by a comma or the end);
    /// otherwise what follows the scheme is a list of auth-params (`name=value` is not a token68).
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        let mut j = self.i;
        while self
            .s
            .get(j)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        {
            j += 1;
        }
        if j == start {
            return None;
        }
        while self.s.get(j) == Some(&b'=') {
            j += 1;
        }
        let mut k = j;
        while matches!(self.s.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        if k < self.s.len() && self.s[k] != b',' {
            return None;
        }
        self.i = j;
        Some(String::from_utf8_lossy(&self.s[start..j]).into_owned())
    }
    /// An unquoted value. RFC 9110 allows only a token, but servers send unquoted URLs (`:` and `/` are
    /// not tchars), so take everything up to a comma or white space.
    fn bare_value(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|b| !matches!(b, b',' | b' ' | b'\t')) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    /// RFC 9110 `quoted-string`, unescaped. An unterminated string runs to the end.
    fn quoted(&mut self) -> String {
        let mut out = Vec::new();
        self.i += 1; // opening quote
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        out.push(escaped);
                        self.i += 1;
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    #[test]
    fn mcp_style_bearer_challenge() {
        let v = r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp""#;
        let c = parse_www_authenticate(v);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(
            c[0].param("resource_metadata"),
            Some("http://localhost:3000/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c[0].param("ERROR_DESCRIPTION"), Some("Missing Authorization header"));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let v = r#"Basic realm="simple", Bearer realm="x", scope="a b", resource_metadata=https://h/.well-known/oauth-protected-resource, Negotiate"#;
        let c = parse_www_authenticate(v);
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate"]);
        assert_eq!(params(&c[0]), [("realm", "simple")]);
        assert_eq!(
            params(&c[1]),
            [
                ("realm", "x"),
                ("scope", "a b"),
                ("resource_metadata", "https://h/.well-known/oauth-protected-resource")
            ]
        );
    }

    #[test]
    fn case_insensitive_names_escapes_and_spacing() {
        let v = r#"bEaReR  Scope = "read \"all\" \\ things" ,Resource_Metadata="u""#;
        let c = parse_www_authenticate(v);
        assert_eq!(c[0].param("scope"), Some(r#"read "all" \ things"#));
        let b = BearerChallenge::from_headers([v]).unwrap();
        // `"` and `\` are not in scope tokens: such a scope is not kept.
        assert_eq!(b.scope, None);
        assert_eq!(b.resource_metadata.as_deref(), Some("u"));
        let b = BearerChallenge::from_headers(["Bearer scope=\"a:b c\", error_description=\"x\u{1b}[2Jy\""]).unwrap();
        assert_eq!(b.scope.as_deref(), Some("a:b c"));
        assert_eq!(b.error_description.as_deref(), Some("x [2Jy"));
    }

    #[test]
    fn token68_and_comma_inside_quotes() {
        let c = parse_www_authenticate(r#"Negotiate abc+/def==, Bearer error_description="a, b=c", scope="x""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].token68.as_deref(), Some("abc+/def=="));
        assert_eq!(c[1].param("error_description"), Some("a, b=c"));
        assert_eq!(c[1].param("scope"), Some("x"));
    }

    #[test]
    fn bearer_found_across_several_headers() {
        let b = BearerChallenge::from_headers(["Basic realm=\"a\"", "Bearer scope=\"mcp:tools files:read\""]).unwrap();
        assert_eq!(b.scopes(), ["mcp:tools", "files:read"]);
    }

    #[test]
    fn bare_bearer_and_garbage_do_not_panic() {
        assert_eq!(parse_www_authenticate("Bearer")[0].scheme, "Bearer");
        for junk in [
            "",
            ",,,",
            "=",
            "\"",
            "Bearer =",
            "Bearer a=\"unterminated",
            "Bearer a=b=c, ,= d",
            "\u{1F600} x=y",
        ] {
            let _ = parse_www_authenticate(junk);
        }
        assert_eq!(BearerChallenge::from_headers(["Basic realm=x"]), None);
    }
}
