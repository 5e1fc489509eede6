//! The session layer in-process, as another Rust MCP client would use it: login, refresh (with and without
//! rotation, and a dead grant), logout, and authorized requests, against the test authorization server on
//! 127.0.0.1, with a redirect follower written here in Rust as the browser.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use mcp_accounts::clock::{Clock, unix_now_ms};
use mcp_accounts::oauth::{HttpClient, HttpConfig};
use mcp_accounts::session::{
    AuthorizedRequest, BrowserOpener, LoginOptions, LogoutOutcome, NeedsLogin, RequestOutcome, Session,
};
use mcp_accounts::store::{KvTokenStore, ServerRecord, SqliteKv, TokenStore};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use url::Url;

use crate::support::auth_server::{Options, TestServer};

/// A browser: GET the authorization URL, follow redirects by hand to loopback hosts only, so that the last
/// request is the client's callback. Runs beside the login, as a real browser does.
fn redirect_follower() -> BrowserOpener {
    Arc::new(|url: &Url| {
        let mut url = url.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            for _ in 0..10 {
                assert!(
                    url.scheme() == "http" && url.host_str() == Some("127.0.0.1"),
                    "the browser would leave this machine: {url}"
                );
                let response = client.get(url.clone()).send().await.unwrap();
                let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok()) else {
                    return;
                };
                url = url.join(location).unwrap();
            }
        });
        Ok(())
    })
}

/// A clock that can be moved forward.
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        unix_now_ms() + self.0.load(Ordering::Relaxed)
    }
}

/// A session over an in-memory store holding one account, "test", for `server`.
fn session(server: &TestServer) -> (Session, Arc<dyn TokenStore>) {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    store
        .add_server(
            "test",
            &ServerRecord {
                url: server.mcp_url(),
                client_id: None,
                client_secret_env: None,
                scopes: vec![],
                callback_port: None,
                client_metadata_url: None,
                added_at: 0,
            },
        )
        .unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(store);
    let http = HttpClient::new(HttpConfig::with_timeout(Duration::from_secs(10))).unwrap();
    (Session::new(store.clone(), http), store)
}

fn login_options() -> LoginOptions {
    LoginOptions {
        timeout: Duration::from_secs(20),
        open_browser: Some(redirect_follower()),
        ..LoginOptions::default()
    }
}

fn mcp_post() -> AuthorizedRequest {
    let mut request = AuthorizedRequest::new(Method::POST);
    request
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request.body = Some(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_vec());
    request
}

#[tokio::test]
async fn login_refresh_with_rotation_and_logout() {
    let server = TestServer::start(Options::default());
    let (session, store) = session(&server);
    let outcome = session.login("test", &login_options()).await.unwrap();
    assert!(outcome.discovered && outcome.registered);
    assert!(server.accepts(outcome.token.access_token.expose()));
    assert_eq!(outcome.token.scopes, ["mcp:tools"]);
    assert_eq!(store.get_token("test").unwrap().unwrap(), outcome.token);
    assert_eq!(server.registrations().len(), 1);

    let first_refresh = outcome.token.refresh_token.clone().unwrap();
    let refreshed = session.refresh("test").await.unwrap();
    assert_eq!(server.refreshes(), 1);
    assert_ne!(refreshed.access_token, outcome.token.access_token);
    let rotated = refreshed.refresh_token.clone().unwrap();
    assert_ne!(rotated, first_refresh, "the server rotated the refresh token");
    assert_eq!(server.live_refresh_tokens(), [rotated.expose().to_owned()]);
    assert_eq!(refreshed.last_refresh.as_ref().map(|r| r.ok), Some(true));
    // A fresh token is handed out without another refresh.
    assert_eq!(session.valid_token("test").await.unwrap(), refreshed.access_token);
    assert_eq!(server.refreshes(), 1);

    assert_eq!(session.logout("test", false).await.unwrap(), LogoutOutcome::Revoked);
    assert_eq!(server.revocations(), ["refresh_token", "access_token"]);
    assert!(!server.accepts(refreshed.access_token.expose()));
    assert_eq!(store.get_token("test").unwrap(), None);
    assert!(store.get_client("test").unwrap().is_some(), "the registration stays");
    assert_eq!(session.logout("test", false).await.unwrap(), LogoutOutcome::NotLoggedIn);
}

#[tokio::test]
async fn a_refresh_without_rotation_keeps_the_refresh_token() {
    let server = TestServer::start(Options {
        rotate_refresh_token: false,
        ..Options::default()
    });
    let (session, _store) = session(&server);
    let login = session.login("test", &login_options()).await.unwrap();
    let refreshed = session.refresh("test").await.unwrap();
    assert_ne!(refreshed.access_token, login.token.access_token);
    assert_eq!(refreshed.refresh_token, login.token.refresh_token);
    assert!(server.accepts(refreshed.access_token.expose()));
}

#[tokio::test]
async fn a_dead_grant_needs_a_login_and_keeps_the_access_token() {
    let server = TestServer::start(Options::default());
    let (session, store) = session(&server);
    let login = session.login("test", &login_options()).await.unwrap();
    server.kill_grants();
    let error = session.refresh("test").await.unwrap_err();
    assert_eq!(error.needs_login(), Some("test"), "{error}");
    assert!(
        matches!(
            &error,
            mcp_accounts::session::Error::NeedsLogin {
                reason: NeedsLogin::RefreshRejected(_),
                ..
            }
        ),
        "{error:?}"
    );
    let kept = store.get_token("test").unwrap().unwrap();
    assert_eq!(kept.access_token, login.token.access_token);
    assert_eq!(kept.refresh_token, None, "the dead refresh token is dropped");
    let last = kept.last_refresh.unwrap();
    assert!(!last.ok && last.error.unwrap().contains("invalid_grant"));
}

#[tokio::test]
async fn an_authorized_request_refreshes_once_on_401_and_reports_missing_scopes() {
    let server = TestServer::start(Options::default());
    let (session, _store) = session(&server);
    session.login("test", &login_options()).await.unwrap();

    let RequestOutcome::Response(ok) = session.authorized_request("test", &mcp_post()).await.unwrap() else {
        panic!("expected an answer");
    };
    assert_eq!(ok.status, 200);
    assert_eq!(server.refreshes(), 0);

    // The server forgets the access token (it expired early, say): one refresh, one retry.
    server.expire_access_tokens();
    let RequestOutcome::Response(retried) = session.authorized_request("test", &mcp_post()).await.unwrap() else {
        panic!("expected an answer");
    };
    assert_eq!(retried.status, 200);
    assert_eq!(server.refreshes(), 1);

    // Nothing helps: only a login.
    server.expire_access_tokens();
    server.kill_grants();
    let error = session.authorized_request("test", &mcp_post()).await.unwrap_err();
    assert_eq!(error.needs_login(), Some("test"), "{error}");

    let scoped = TestServer::start(Options {
        required_scope: Some("mcp:admin"),
        ..Options::default()
    });
    let (session, _store) = self::session(&scoped);
    session.login("test", &login_options()).await.unwrap();
    match session.authorized_request("test", &mcp_post()).await.unwrap() {
        RequestOutcome::InsufficientScope { scopes, response, .. } => {
            assert_eq!(scopes, ["mcp:admin"]);
            assert_eq!(response.status, 403);
        }
        other => panic!("expected insufficient_scope, got {other:?}"),
    }
    assert_eq!(scoped.refreshes(), 0, "a refresh cannot widen scope, so none was tried");

    // Step-up: a new authorization with the union of the scopes asked for before and the challenged ones.
    let stepped = session
        .step_up("test", &["mcp:admin".to_owned()], &login_options())
        .await
        .unwrap();
    assert_eq!(stepped.token.requested_scopes, ["mcp:tools", "mcp:admin"]);
    assert_eq!(scoped.authorize_scopes()[1], "mcp:tools mcp:admin");
    let RequestOutcome::Response(allowed) = session.authorized_request("test", &mcp_post()).await.unwrap() else {
        panic!("expected an answer after the step-up");
    };
    assert_eq!(allowed.status, 200);
}

#[tokio::test]
async fn metadata_older_than_a_day_by_the_session_clock_is_discovered_again() {
    let server = TestServer::start(Options::default());
    let (session, store) = session(&server);
    let clock = Arc::new(TestClock(AtomicI64::new(0)));
    let session = session.with_clock(clock.clone());
    session.login("test", &login_options()).await.unwrap();
    session.logout("test", true).await.unwrap();
    let discovered_at = store.get_metadata("test").unwrap().unwrap().discovered_at;

    server.clear_requests();
    let again = session.login("test", &login_options()).await.unwrap();
    assert!(!again.discovered && !again.registered);

    clock.0.store(25 * 3600 * 1000, Ordering::Relaxed);
    session.logout("test", true).await.unwrap();
    server.clear_requests();
    let renewed = session.login("test", &login_options()).await.unwrap();
    assert!(renewed.discovered && !renewed.registered);
    let now = store.get_metadata("test").unwrap().unwrap().discovered_at;
    assert!(now >= discovered_at + 25 * 3600, "{now} vs {discovered_at}");
}

#[tokio::test]
async fn a_cancelled_login_frees_its_port_and_stores_no_token() {
    let server = TestServer::start(Options::default());
    let (session, store) = session(&server);
    let opts = LoginOptions {
        timeout: Duration::from_secs(20),
        // Nobody opens the URL; the test cancels.
        open_browser: None,
        ..LoginOptions::default()
    };
    let cancel = opts.cancel.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let opts = LoginOptions {
        on_step: Some(Arc::new(move |step| {
            if let mcp_accounts::session::LoginStep::WaitingForBrowser { url } = step
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(url);
            }
        })),
        ..opts
    };
    let login = tokio::spawn({
        let session = session.clone();
        async move { session.login("test", &opts).await }
    });
    let url = Url::parse(&rx.await.unwrap()).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| Url::parse(&v).unwrap())
        .unwrap();
    let port = redirect.port().unwrap();
    cancel.cancel();
    let error = login.await.unwrap().unwrap_err();
    assert!(matches!(error, mcp_accounts::session::Error::Cancelled), "{error:?}");
    // Free: it can be bound again. Tests run side by side and take ephemeral ports too, so another one may
    // hold it for a moment; a port still held by the login would stay taken for the whole second.
    let free = (0..20).any(|_| {
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() || {
            std::thread::sleep(Duration::from_millis(50));
            false
        }
    });
    assert!(free, "port {port} is free");
    assert_eq!(store.get_token("test").unwrap(), None);
}

/// A configured client's secret comes from the session's environment lookup (`with_env`), never from the
/// process environment behind the embedding program's back, and is never stored.
#[tokio::test]
async fn a_configured_clients_secret_comes_from_the_sessions_environment() {
    let port = crate::support::free_port();
    let server = TestServer::start(Options {
        dcr: false,
        preregistered: Some(("my-client", vec![format!("http://127.0.0.1:{port}/callback")])),
        ..Options::default()
    });
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    let mut record = ServerRecord::new(&server.mcp_url()).unwrap();
    record.client_id = Some("my-client".into());
    record.client_secret_env = Some("MCP_ACCOUNTS_TEST_SESSION_SECRET".into());
    record.callback_port = Some(port);
    store.add_server("test", &record).unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(store);
    let http = HttpClient::new(HttpConfig::with_timeout(Duration::from_secs(10))).unwrap();
    let session = Session::new(store.clone(), http.clone());

    let missing = session.login("test", &login_options()).await.unwrap_err();
    assert!(
        missing.to_string().contains("MCP_ACCOUNTS_TEST_SESSION_SECRET"),
        "{missing}"
    );
    assert_eq!(store.get_token("test").unwrap(), None);

    let session = Session::new(store.clone(), http).with_env(Arc::new(|var| {
        (var == "MCP_ACCOUNTS_TEST_SESSION_SECRET").then(|| "s3cr3t".to_owned())
    }));
    let outcome = session.login("test", &login_options()).await.unwrap();
    assert!(!outcome.registered, "the configured client is used");
    assert!(server.registrations().is_empty());
    let client = store.get_client("test").unwrap();
    assert!(
        !format!("{client:?} {:?}", store.get_token("test").unwrap()).contains("s3cr3t"),
        "the secret is not stored"
    );
}
