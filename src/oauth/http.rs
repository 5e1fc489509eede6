//! The one HTTP client of the engine. Every request goes through [`HttpClient::send`], which enforces what
//! DESIGN.md asks of the transport: HTTPS except to loopback hosts, connect and total timeouts, no
//! automatic redirects (oauth2-rs: "following redirects opens the client up to SSRF vulnerabilities"),
//! response bodies capped, a User-Agent with our version. It also implements oauth2's `AsyncHttpClient`, so
//! the token, refresh and revocation requests that oauth2 builds obey the same rules.
//!
//! Each request is reported as a `tracing` event at INFO under [`TRACE_TARGET`] (method, URL without its
//! query, status, time; never a body): a program that wants to see them installs a subscriber.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue, LOCATION};
use url::Url;

use super::error::{Error, ErrorResponse};
use crate::text::sanitize;
use crate::urls::{UrlError, UrlPolicy, check_transport, redact_for_display};

/// The `tracing` target of the one-line-per-request events.
pub const TRACE_TARGET: &str = "mcp_accounts::http";
/// The protocol revision announced on discovery requests (the 2025-03-26 SHOULD; harmless elsewhere).
pub const MCP_PROTOCOL_VERSION: &str = "2025-11-25";

/// The default cap on a response body: metadata documents and token responses are a few KiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// How many redirects a discovery GET follows (each hop re-checked); token, registration and revocation
/// requests follow none.
pub const MAX_DISCOVERY_REDIRECTS: usize = 3;

/// Limits of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// From the start of the request to the end of the body: a server that trickles is cut off here.
    pub timeout: Duration,
    /// The largest response body read, in bytes.
    pub max_body: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

impl HttpConfig {
    /// The defaults with another total timeout per request (the connect timeout never exceeds it).
    pub fn with_timeout(timeout: Duration) -> Self {
        let mut config = HttpConfig::default();
        config.timeout = timeout;
        config.connect_timeout = config.connect_timeout.min(timeout);
        config
    }
}

/// A response whose body has been read (within the cap).
#[derive(Debug)]
pub struct Response {
    /// The URL that answered.
    pub url: Url,
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, at most the configured cap.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Decode the body as JSON; `what` names the document in the error.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &'static str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::BadDocument {
            url: redact_for_display(&self.url),
            what,
            detail: describe_json_error(&e),
        })
    }

    /// The OAuth error document of the body (`error`, `error_description`), when it is one.
    pub fn oauth_error(&self) -> Option<ErrorResponse> {
        ErrorResponse::from_json(&self.body)
    }

    /// Turn a non-2xx response into an error.
    pub fn status_error(&self) -> Error {
        Error::Status {
            url: redact_for_display(&self.url),
            status: self.status,
            error: self.oauth_error(),
        }
    }
}

/// The one-line trace of a request (method, URL as shown, status or error, time), when someone listens.
fn trace(method: &Method, shown: &str, started: Instant, outcome: Result<u16, &Error>, note: &str) {
    if tracing::enabled!(target: TRACE_TARGET, tracing::Level::INFO) {
        let outcome = match outcome {
            Ok(status) => status.to_string(),
            Err(e) => format!("error: {e}"),
        };
        let ms = started.elapsed().as_millis();
        tracing::info!(target: TRACE_TARGET, "{method} {shown} -> {outcome} ({ms} ms{note})");
    }
}

/// How long a streamed response may last at most (a week: in practice, until either side closes it).
const STREAM_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A response whose body is read as it arrives ([`HttpClient::open`]).
pub struct StreamingResponse {
    /// The URL that answered.
    pub url: Url,
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    body: reqwest::Response,
    shown: String,
    client: HttpClient,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("url", &self.shown)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    /// The next piece of the body as it arrives; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        self.body
            .chunk()
            .await
            .map_err(|e| self.client.transport_error(&self.shown, &e))
    }

    /// Read the whole body, within the client's body cap and timeout.
    pub async fn read(mut self) -> Result<Response, Error> {
        let timeout = self.client.config.timeout;
        let read = self.client.collect(&mut self.body, &self.shown);
        let body = tokio::time::timeout(timeout, read).await.map_err(|_| Error::Timeout {
            url: self.shown.clone(),
            timeout,
        })??;
        Ok(Response {
            url: self.url,
            status: self.status,
            headers: self.headers,
            body,
        })
    }
}

/// Describe a JSON error without quoting the document: serde's messages can contain the values they
/// choke on, and a value in a token response may be a token.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let kind = if text.starts_with("missing field") {
        // "missing field `x` at line 1 column 2": the field name is ours, not the server's.
        text.split(" at line").next().unwrap_or("missing field").to_owned()
    } else {
        match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON".to_owned(),
            serde_json::error::Category::Data => "a field has the wrong type or value".to_owned(),
            serde_json::error::Category::Io => "read error".to_owned(),
        }
    };
    format!("{kind}, line {} column {}", e.line(), e.column())
}

/// The HTTP client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    /// For remote hosts: reqwest's default, which honours the system's proxy settings.
    proxied: Arc<OnceLock<reqwest::Client>>,
    /// For this machine: never through a proxy, since a refresh token would travel to it in clear text
    /// over plain http.
    direct: Arc<OnceLock<reqwest::Client>>,
    config: Arc<HttpConfig>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Build the client. TLS certificates are verified against the Mozilla roots bundled with rustls. The
    /// two underlying clients are made on first use (each costs a TLS setup, which a command that finds a
    /// valid stored token never needs); a failure to set one up is that request's [`Error::HttpSetup`].
    pub fn new(config: HttpConfig) -> Result<Self, Error> {
        Ok(HttpClient {
            proxied: Arc::new(OnceLock::new()),
            direct: Arc::new(OnceLock::new()),
            config: Arc::new(config),
        })
    }

    /// The reqwest client for a URL on this machine (`loopback`) or elsewhere.
    fn client_for(&self, loopback: bool) -> Result<&reqwest::Client, Error> {
        let cell = if loopback { &self.direct } else { &self.proxied };
        if let Some(client) = cell.get() {
            return Ok(client);
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.config.connect_timeout)
            .timeout(self.config.timeout)
            .user_agent(concat!("mcp-accounts/", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| Error::HttpSetup { detail: e.to_string() })?;
        Ok(cell.get_or_init(|| client))
    }

    /// The limits in use.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Send one request and read the body within the cap. Redirects are returned as they are.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<Response, Error> {
        let started = Instant::now();
        let (request, shown) = self.request(&method, url, headers, body)?;
        let result = async {
            let mut response = request.send().await.map_err(|e| self.transport_error(&shown, &e))?;
            let body = self.collect(&mut response, &shown).await?;
            Ok((response.status().as_u16(), response.headers().clone(), body))
        }
        .await;
        trace(&method, &shown, started, result.as_ref().map(|r| r.0), "");
        let (status, headers, body) = result?;
        Ok(Response {
            url: url.clone(),
            status,
            headers,
            body,
        })
    }

    /// Send one request and return as soon as the headers arrive; the body is read as it comes
    /// ([`StreamingResponse::chunk`]), with no total time limit (an MCP server's event stream lasts as
    /// long as the session). The headers must arrive within `wait` (a server that answers with JSON
    /// sends them only when its work is done).
    pub async fn open(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        wait: Duration,
    ) -> Result<StreamingResponse, Error> {
        let started = Instant::now();
        let (request, shown) = self.request(&method, url, headers, body)?;
        // The per-request timeout replaces the client's total one, which would cut a stream off.
        let request = request.timeout(STREAM_LIFETIME);
        let result = match tokio::time::timeout(wait, request.send()).await {
            Ok(sent) => sent.map_err(|e| self.transport_error(&shown, &e)),
            Err(_) => Err(Error::Timeout {
                url: shown.clone(),
                timeout: wait,
            }),
        };
        trace(
            &method,
            &shown,
            started,
            result.as_ref().map(|r| r.status().as_u16()),
            ", streamed",
        );
        let body = result?;
        Ok(StreamingResponse {
            url: url.clone(),
            status: body.status().as_u16(),
            headers: body.headers().clone(),
            body,
            shown,
            client: self.clone(),
        })
    }

    /// A request checked against the transport rules, for the client of its host; and the URL as shown.
    fn request(
        &self,
        method: &Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<(reqwest::RequestBuilder, String), Error> {
        check_transport(url)?;
        let client = self.client_for(crate::urls::is_loopback_url(url))?;
        let mut request = client.request(method.clone(), url.clone()).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        Ok((request, redact_for_display(url)))
    }

    /// Read a whole body within the cap.
    async fn collect(&self, response: &mut reqwest::Response, shown: &str) -> Result<Vec<u8>, Error> {
        let limit = self.config.max_body;
        let too_large = || Error::BodyTooLarge {
            url: shown.to_owned(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport_error(shown, &e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, shown: &str, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout {
                url: shown.to_owned(),
                timeout: self.config.timeout,
            };
        }
        // The innermost cause is the useful part ("connection refused", a TLS failure…); reqwest's own
        // text repeats the URL.
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        Error::Unreachable {
            url: shown.to_owned(),
            detail: sanitize(&crate::text::plain_error(&cause.to_string())),
        }
    }

    /// GET a JSON document for discovery, following at most [`MAX_DISCOVERY_REDIRECTS`] redirects, each hop
    /// held to `policy` (the HTTPS-or-loopback rule, and loopback only for a loopback server).
    pub async fn get(&self, url: &Url, policy: UrlPolicy) -> Result<Response, Error> {
        policy.check(url)?;
        let mut current = url.clone();
        for _ in 0..=MAX_DISCOVERY_REDIRECTS {
            let mut headers = HeaderMap::new();
            headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
            headers.insert("mcp-protocol-version", HeaderValue::from_static(MCP_PROTOCOL_VERSION));
            let response = self.send(Method::GET, &current, headers, None).await?;
            match redirect_target(&response, policy)? {
                Some(next) => current = next,
                None => return Ok(response),
            }
        }
        Err(Error::TooManyRedirects {
            url: redact_for_display(url),
            max: MAX_DISCOVERY_REDIRECTS,
        })
    }

    /// POST a JSON body; redirects are refused (`what` names the request in the error).
    pub async fn post_json(&self, url: &Url, body: &serde_json::Value, what: &'static str) -> Result<Response, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        // A `Value` always serializes.
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let response = self.send(Method::POST, url, headers, Some(bytes)).await?;
        refuse_redirect(&response, what)?;
        Ok(response)
    }
}

impl HttpClient {
    /// POST an `application/x-www-form-urlencoded` body; redirects are refused.
    pub async fn post_form(&self, url: &Url, fields: &[(&str, &str)], what: &'static str) -> Result<Response, Error> {
        self.post_form_with(url, fields, None, what).await
    }

    /// [`HttpClient::post_form`] with an `Authorization` header.
    pub async fn post_form_with(
        &self,
        url: &Url,
        fields: &[(&str, &str)],
        authorization: Option<HeaderValue>,
        what: &'static str,
    ) -> Result<Response, Error> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self.send(Method::POST, url, headers, Some(body.into_bytes())).await?;
        refuse_redirect(&response, what)?;
        Ok(response)
    }
}

/// The next hop of a 3xx response, checked; `None` when the response is not a redirect.
fn redirect_target(response: &Response, policy: UrlPolicy) -> Result<Option<Url>, Error> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let location = response
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| response.status_error())?;
    let next = response.url.join(location).map_err(|reason| Error::BadRedirect {
        url: redact_for_display(&response.url),
        reason,
    })?;
    policy.check(&next)?;
    Ok(Some(next))
}

/// Token, registration and revocation requests never follow a redirect: the body carries a code or secret.
pub(crate) fn refuse_redirect(response: &Response, what: &'static str) -> Result<(), Error> {
    if (300..400).contains(&response.status) {
        let location = response
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(sanitize)
            .unwrap_or_else(|| "(no Location)".to_owned());
        return Err(Error::Redirected {
            url: redact_for_display(&response.url),
            location,
            what,
        });
    }
    Ok(())
}

impl<'c> oauth2::AsyncHttpClient<'c> for HttpClient {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = Url::parse(&parts.uri.to_string()).map_err(|reason| UrlError::InvalidField {
                what: "token endpoint",
                raw: crate::text::shorten(&parts.uri.to_string()),
                reason,
            })?;
            let response = self.send(parts.method, &url, parts.headers, Some(body)).await?;
            refuse_redirect(&response, "token requests")?;
            // oauth2 reads any non-200 body as an OAuth error document; a 500 page or a proxy's HTML is
            // better reported as what it is.
            if !response.is_success() && serde_json::from_slice::<serde_json::Value>(&response.body).is_err() {
                return Err(response.status_error());
            }
            let mut builder = http::Response::builder().status(response.status);
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers;
            }
            builder.body(response.body).map_err(|e| Error::BadDocument {
                url: redact_for_display(&response.url),
                what: "HTTP response",
                detail: e.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urls::UrlError;

    fn redirect(from: &str, to: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, to.parse().unwrap());
        Response {
            url: Url::parse(from).unwrap(),
            status: 302,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn a_remote_servers_redirect_cannot_lead_to_this_machine() {
        let remote = UrlPolicy::for_server(&Url::parse("https://mcp.example.com/mcp").unwrap());
        let from = "https://mcp.example.com/.well-known/oauth-protected-resource";
        for inside in ["http://127.0.0.1:6379/", "http://localhost:8080/x", "https://[::1]/"] {
            let refused = redirect_target(&redirect(from, inside), remote);
            assert!(
                matches!(refused, Err(Error::Url(UrlError::Loopback { .. }))),
                "{inside}: {refused:?}"
            );
        }
        let next = redirect_target(&redirect(from, "/meta.json"), remote).unwrap();
        assert_eq!(next.unwrap().as_str(), "https://mcp.example.com/meta.json");
        // A local server's redirects may stay local.
        let local = UrlPolicy::for_server(&Url::parse("http://127.0.0.1:3000/mcp").unwrap());
        let next = redirect_target(&redirect("http://127.0.0.1:3000/a", "http://localhost:3000/b"), local);
        assert!(next.unwrap().is_some());
    }
}
