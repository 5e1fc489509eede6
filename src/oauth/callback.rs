//! The one-shot loopback callback server (RFC 8252 §7.3, OAuth 2.1 §8.5.4).
//!
//! It listens on 127.0.0.1 only, hands exactly one authorization response (a request to `/callback` with a
//! `code` or an `error`) to the flow, and answers the browser with the flow's verdict on a small page from
//! `assets/`. Requests without `code`/`error` (a favicon, a prefetch) get a 404 and do not count; requests
//! after the first result are told the sign-in is over. An answer is accepted only once the flow has said
//! which `state` it expects ([`CallbackServer::expect_state`]) and only with that state (compared in
//! constant time): one that comes earlier, or with another state (a tab left from an earlier attempt, a
//! forgery), is refused, counted, and reported at once ([`CallbackServer::refusals`]), and cannot end the
//! login that is waiting. Dropping or shutting down the server frees the port.
//!
//! Anything on this machine can connect, so the listener holds at most [`MAX_CONNECTIONS`] connections
//! (more are closed at once), gives each [`HEADER_READ_TIMEOUT`] to send its request head, answers one
//! request per connection, and closes every connection when the server stops: none outlives the login.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::error::Error;
use crate::secret::Secret;

/// The path of the redirect URI.
pub const CALLBACK_PATH: &str = "/callback";
/// How long the browser's request waits for the flow's verdict before a neutral page is shown.
const VERDICT_WAIT: Duration = Duration::from_secs(60);
/// How long shutdown waits for an in-flight browser request before cutting it off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Connections held at once; a browser opens a few, a flood gets no more.
pub const MAX_CONNECTIONS: usize = 16;
/// How long a connection may take to send its request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

const PAGE: &str = include_str!("../../assets/callback.html");

/// The authorization response the browser delivered (RFC 6749 §4.1.2, RFC 9207 `iss`).
#[derive(Debug)]
pub struct CallbackResult {
    /// The authorization code.
    pub code: Option<Secret>,
    /// The `state` echoed back.
    pub state: Option<Secret>,
    /// RFC 9207: the issuer that answered.
    pub iss: Option<String>,
    /// An OAuth error code, when the server said no.
    pub error: Option<String>,
    /// Its description (raw: sanitize before showing).
    pub error_description: Option<String>,
    verdict: Option<oneshot::Sender<Verdict>>,
}

impl CallbackResult {
    /// Tell the waiting browser how the login ended. Without a verdict the browser gets a neutral page.
    pub fn answer(&mut self, verdict: Verdict) {
        if let Some(tx) = self.verdict.take() {
            let _ = tx.send(verdict);
        }
    }
}

/// What the browser page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The login worked; the text is shown on the page.
    Success(String),
    /// The login failed; the text says why.
    Failure(String),
}

/// A running callback server. Shut it down with [`CallbackServer::shutdown`]; dropping it also stops it.
#[derive(Debug)]
pub struct CallbackServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl CallbackServer {
    /// The bound address (always 127.0.0.1).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Refuse every answer whose `state` is not `state` (compared exactly).
    pub fn expect_state(&self, state: &str) {
        *self.shared.expected_state.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.to_owned());
    }

    /// How many answers were refused (a wrong or missing `state`, or none expected yet).
    pub fn refused(&self) -> usize {
        *self.shared.refused.borrow()
    }

    /// A receiver that changes each time an answer is refused (its value: how many so far).
    pub fn refusals(&self) -> watch::Receiver<usize> {
        self.shared.refused.subscribe()
    }

    /// Stop listening and wait until the port is free again.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The serving task bounds its own end (SHUTDOWN_GRACE for a request being answered).
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[derive(Debug)]
struct Shared {
    result: Mutex<Option<oneshot::Sender<CallbackResult>>>,
    expected_state: Mutex<Option<String>>,
    refused: watch::Sender<usize>,
}

/// Bind 127.0.0.1 on `port` (0: any free port) and start serving.
///
/// Returns the server, the redirect URI built from the bound address (`http://127.0.0.1:PORT/callback`),
/// and a receiver of exactly one [`CallbackResult`]. A busy port is [`Error::PortBusy`].
pub async fn start_callback_server(
    port: u16,
) -> Result<(CallbackServer, String, oneshot::Receiver<CallbackResult>), Error> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => Error::PortBusy(port),
            _ => Error::Listen { port, source: e },
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Listen { port, source })?;
    let (result_tx, result_rx) = oneshot::channel();
    let shared = Arc::new(Shared {
        result: Mutex::new(Some(result_tx)),
        expected_state: Mutex::new(None),
        refused: watch::Sender::new(0),
    });
    let app = Router::new()
        .route(CALLBACK_PATH, get(handle))
        .fallback(|| async { page(StatusCode::NOT_FOUND, "Not found", "There is nothing here.", false) })
        .with_state(shared.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, stop_rx));
    let redirect_uri = format!("http://{addr}{CALLBACK_PATH}");
    Ok((
        CallbackServer {
            addr,
            shared,
            stop: Some(stop_tx),
            task: Some(task),
        },
        redirect_uri,
        result_rx,
    ))
}

/// Accept connections until `stop`, within the limits above; then let a request in flight finish (for
/// [`SHUTDOWN_GRACE`]), close the idle ones at once, and cut off the rest.
async fn serve(listener: tokio::net::TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (closing_tx, closing) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                // Over the cap: dropping the stream closes it.
                let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                connections.spawn(connection(stream, app.clone(), closing.clone(), permit));
            }
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.shutdown().await;
    }
}

/// One connection: one request, its head within [`HEADER_READ_TIMEOUT`]. When the server closes, a
/// connection whose request head is not complete is closed at once; one being answered may finish.
async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let answering = Arc::new(AtomicBool::new(false));
    let app = TowerToHyperService::new(app);
    let started = answering.clone();
    let service = hyper::service::service_fn(move |request| {
        started.store(true, Ordering::Relaxed);
        app.call(request)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // The only change is to closed (or the sender is gone: closed too).
        _ = closing.changed() => {
            if answering.load(Ordering::Relaxed) {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let mut result = parse_query(query.as_deref().unwrap_or(""));
    if result.code.is_none() && result.error.is_none() {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This is not an authorization response.",
            false,
        );
    }
    let expected = shared.expected_state.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let matches = match (&expected, &result.state) {
        (Some(expected), Some(state)) => bool::from(expected.as_bytes().ct_eq(state.expose().as_bytes())),
        // No state expected yet (the login is still registering): nothing can be its answer.
        _ => false,
    };
    if !matches {
        shared.refused.send_modify(|n| *n += 1);
        return page(
            StatusCode::BAD_REQUEST,
            "Not this sign-in",
            "This answer belongs to another sign-in attempt (its state does not match) and was ignored. \
             Finish the sign-in in the tab that mcp-accounts opened last.",
            false,
        );
    }
    let sender = shared.result.lock().unwrap_or_else(|p| p.into_inner()).take();
    let Some(sender) = sender else {
        return page(
            StatusCode::CONFLICT,
            "Already handled",
            "This sign-in has already received its answer; this request was ignored.",
            false,
        );
    };
    let (verdict_tx, verdict_rx) = oneshot::channel();
    result.verdict = Some(verdict_tx);
    if sender.send(result).is_err() {
        return page(
            StatusCode::GONE,
            "Login no longer waiting",
            "mcp-accounts stopped waiting for this sign-in. Start the login again.",
            false,
        );
    }
    match tokio::time::timeout(VERDICT_WAIT, verdict_rx).await {
        Ok(Ok(Verdict::Success(message))) => page(StatusCode::OK, "Signed in", &message, true),
        Ok(Ok(Verdict::Failure(message))) => page(StatusCode::BAD_REQUEST, "Sign-in failed", &message, false),
        _ => page(
            StatusCode::OK,
            "Response received",
            "mcp-accounts received the authorization response; see the terminal for the result.",
            true,
        ),
    }
}

/// Read the authorization response parameters; unknown ones are ignored (OAuth 2.1 §4.1.2), and for a
/// repeated parameter the first value counts.
pub fn parse_query(query: &str) -> CallbackResult {
    let mut result = CallbackResult {
        code: None,
        state: None,
        iss: None,
        error: None,
        error_description: None,
        verdict: None,
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match name.as_ref() {
            "code" if result.code.is_none() => result.code = Some(Secret::new(value)),
            "state" if result.state.is_none() => result.state = Some(Secret::new(value)),
            "iss" if result.iss.is_none() => result.iss = Some(value),
            "error" if result.error.is_none() => result.error = Some(value),
            "error_description" if result.error_description.is_none() => result.error_description = Some(value),
            _ => {}
        }
    }
    result
}

/// Read what a user pasted instead of a callback reaching us: the URL the browser ended on
/// (`http://127.0.0.1:PORT/callback?code=…&state=…`, also when that page failed to load), or only its
/// query. `None` when it carries neither a code nor an error. The same checks as a callback's follow
/// (`state`, `iss`, then the code with its PKCE verifier).
pub fn parse_pasted(text: &str) -> Option<CallbackResult> {
    let text = text.trim();
    let query = match url::Url::parse(text) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => text.trim_start_matches('?').to_owned(),
    };
    let result = parse_query(&query);
    (result.code.is_some() || result.error.is_some()).then_some(result)
}

fn page(status: StatusCode, title: &str, message: &str, ok: bool) -> Response {
    let html = PAGE
        .replace("{{class}}", if ok { "ok" } else { "fail" })
        .replace("{{title}}", &escape_html(title))
        .replace("{{message}}", &escape_html(message));
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

/// Escape text for an HTML element body or attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing_keeps_the_first_value_and_decodes() {
        let r = parse_query("code=a%2Bb&state=s1&state=s2&iss=https%3A%2F%2Fa.example&extra=1");
        assert_eq!(r.code.unwrap().expose(), "a+b");
        assert_eq!(r.state.unwrap().expose(), "s1");
        assert_eq!(r.iss.as_deref(), Some("https://a.example"));
        let e = parse_query("error=access_denied&error_description=User+said+no");
        assert_eq!(e.error.as_deref(), Some("access_denied"));
        assert_eq!(e.error_description.as_deref(), Some("User said no"));
        assert!(parse_query("").code.is_none());
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
