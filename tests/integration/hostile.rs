//! Hostile and broken servers. Each case expects a clear one-line error, no panic, bounded time and memory,
//! and nothing stored lost: an account that was logged in stays exactly as it was.

use std::time::Duration;

use crate::support::auth_server::{Hostile, Options, TestServer};
use crate::support::bin::{Run, Sandbox, run_measured};
use crate::support::flow::records;

/// A server, and an account "test" logged in to it before it turns hostile.
fn logged_in() -> (Sandbox, TestServer) {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "test", &server.mcp_url()]);
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    (sb, server)
}

/// Run a command that must fail cleanly: exit 1, last stderr line an error containing `needle`, no panic,
/// within `secs` seconds and 100 MB.
fn fails(sb: &Sandbox, args: &[&str], needle: &str, secs: u64) -> Run {
    let mut cmd = sb.cmd_browser(args, "normal");
    cmd.env("MCP_ACCOUNTS_HTTP_TIMEOUT", "2");
    let (run, elapsed, rss_kib) = run_measured(&mut cmd);
    eprintln!("{args:?}: exit {} in {elapsed:?}, peak RSS {rss_kib} KiB", run.code);
    assert_eq!(run.code, 1, "{args:?}: {run}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(needle),
        "{args:?}: {last:?} lacks {needle:?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run}");
    assert!(!last.chars().any(|c| c.is_control()), "{last:?}");
    assert!(elapsed < Duration::from_secs(secs), "{args:?} took {elapsed:?}");
    assert!(rss_kib < 64 * 1024, "{args:?} used {rss_kib} KiB");
    run
}

fn discover_fails(hostile: Hostile, needle: &str) {
    let (sb, server) = logged_in();
    let before = records(&sb, "test");
    server.set_hostile(Some(hostile));
    fails(&sb, &["discover", "test"], needle, 10);
    assert_eq!(records(&sb, "test"), before, "nothing stored changed");
}

#[test]
fn metadata_that_is_not_json() {
    discover_fails(
        Hostile::MetadataBody("<html>oops</html>"),
        "authorization server metadata is not valid JSON",
    );
}

#[test]
fn metadata_of_the_wrong_shape() {
    discover_fails(
        Hostile::MetadataBody(r#"{"issuer": 42, "authorization_endpoint": ["x"]}"#),
        "a field has the wrong type or value",
    );
    discover_fails(
        Hostile::MetadataBody(r#"[1, 2, 3]"#),
        "authorization server metadata is not valid JSON",
    );
}

#[test]
fn an_authorization_endpoint_that_is_not_a_web_page_is_never_opened() {
    for url in [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html,<b>x</b>",
    ] {
        let (sb, server) = logged_in();
        server.set_hostile(Some(Hostile::AuthorizationEndpoint(url)));
        let before = records(&sb, "test");
        fails(&sb, &["discover", "test"], "scheme is not allowed", 10);
        sb.ok(&["logout", "test", "--local"]);
        let _ = std::fs::remove_file(sb.path("browser.log"));
        // Without stored metadata the login discovers afresh, and refuses before any browser starts.
        let kv = mcp_accounts::store::SqliteKv::open(&sb.db, mcp_accounts::store::OpenMode::ReadWrite).unwrap();
        mcp_accounts::store::KvStore::delete(&kv, "oauth_metadata:test").unwrap();
        fails(&sb, &["login", "test", "--timeout", "5"], "scheme is not allowed", 10);
        assert!(!sb.path("browser.log").exists(), "{url}: a browser was started");
        assert_eq!(records(&sb, "test")[0], before[0]);
    }
}

#[test]
fn a_100_megabyte_body_is_cut_off() {
    for with_length in [true, false] {
        discover_fails(
            Hostile::HugeMetadata {
                bytes: 100 * 1024 * 1024,
                with_length,
            },
            "sent more than 1048576 bytes; refused",
        );
    }
}

#[test]
fn a_body_that_trickles_forever_times_out() {
    discover_fails(Hostile::TrickleMetadata, "did not answer within 2 s");
}

#[test]
fn redirects_on_token_and_registration_endpoints_are_refused() {
    let (sb, server) = logged_in();
    let before = records(&sb, "test");
    server.set_hostile(Some(Hostile::TokenRedirect));
    fails(
        &sb,
        &["refresh", "test"],
        "redirects are not followed for token requests",
        10,
    );
    let after = records(&sb, "test");
    assert_eq!(after[0], before[0]);
    let token: serde_json::Value = serde_json::from_str(after[3].1.as_ref().unwrap()).unwrap();
    let kept: serde_json::Value = serde_json::from_str(before[3].1.as_ref().unwrap()).unwrap();
    assert_eq!(token["access_token"], kept["access_token"], "the token is kept");
    assert_eq!(token["refresh_token"], kept["refresh_token"]);
    assert_eq!(token["last_refresh"]["ok"], false, "the failure is noted");

    server.set_hostile(Some(Hostile::RegistrationRedirect));
    sb.ok(&["add", "fresh", &server.mcp_url()]);
    fails(
        &sb,
        &["login", "fresh", "--timeout", "5"],
        "redirects are not followed for client registration",
        10,
    );
    assert_eq!(records(&sb, "fresh")[3].1, None);
}

#[test]
fn a_registration_without_client_id_is_refused() {
    let (sb, server) = logged_in();
    server.set_hostile(Some(Hostile::RegistrationBody(
        r#"{"client_name": "x", "redirect_uris": []}"#,
    )));
    sb.ok(&["add", "fresh", &server.mcp_url()]);
    fails(
        &sb,
        &["login", "fresh", "--timeout", "5"],
        "missing field `client_id`",
        10,
    );
    assert_eq!(records(&sb, "fresh")[2].1, None, "no registration stored");
}

#[test]
fn broken_token_responses_are_refused_and_the_token_kept() {
    let cases = [
        (
            r#"{"token_type": "Bearer", "expires_in": 3600}"#,
            "missing field `access_token`",
        ),
        (
            r#"{"access_token": "x", "token_type": "Bearer", "expires_in": -5}"#,
            "the token response is not valid",
        ),
        (
            r#"{"access_token": "x", "token_type": "mac"}"#,
            "MCP needs a Bearer token",
        ),
        (r#"{"access_token": "", "token_type": "Bearer"}"#, "empty access_token"),
        ("not json at all", "the token response is not valid (malformed JSON"),
    ];
    for (body, needle) in cases {
        let (sb, server) = logged_in();
        let before = records(&sb, "test");
        server.set_hostile(Some(Hostile::TokenBody(body)));
        let run = fails(&sb, &["refresh", "test"], needle, 10);
        let after = records(&sb, "test");
        let token = |r: &Vec<(String, Option<String>)>| -> serde_json::Value {
            serde_json::from_str(r[3].1.as_ref().unwrap()).unwrap()
        };
        assert_eq!(
            token(&after)["access_token"],
            token(&before)["access_token"],
            "{body}: {run}"
        );
        assert_eq!(
            token(&after)["refresh_token"],
            token(&before)["refresh_token"],
            "{body}"
        );
    }
}

#[test]
fn a_huge_expires_in_is_capped_not_overflowed() {
    let (sb, server) = logged_in();
    server.set_hostile(Some(Hostile::TokenBody(
        r#"{"access_token": "forever", "token_type": "Bearer", "expires_in": 18446744073709551615}"#,
    )));
    sb.ok(&["refresh", "test"]);
    let row = sb.ok(&["list", "--json"]).json()[0].clone();
    assert_eq!(row["status"], "valid");
    let secs = row["expires_in_secs"].as_i64().unwrap();
    assert!(secs > 9 * 365 * 86_400 && secs <= 10 * 365 * 86_400, "{secs}");
}

#[test]
fn html_and_escapes_in_error_description_are_escaped_on_the_page_and_sanitized_in_the_terminal() {
    let (sb, server) = logged_in();
    sb.ok(&["logout", "test", "--local"]);
    server.set_hostile(Some(Hostile::AuthorizeError(
        "<script>alert('pwned')</script>\x1b[2J\x1b]0;evil title\x07 and more",
    )));
    let run = fails(
        &sb,
        &["login", "test", "--timeout", "10"],
        "refused by the authorization server: access_denied",
        15,
    );
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.contains("<script>alert('pwned')</script>"),
        "shown as text: {last}"
    );
    assert!(
        !run.stderr.contains('\x1b') && !run.stderr.contains('\x07'),
        "no escape sequence reaches the terminal"
    );
    // The first run is the login of `logged_in`.
    let log = sb.browser_log(2);
    assert!(log.contains("400 /callback"), "{log}");
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "none");
}

#[test]
fn a_server_that_fails_then_recovers_keeps_the_token_and_a_later_refresh_works() {
    let (sb, server) = logged_in();
    let token = sb.ok(&["token", "test"]).stdout;
    server.fail_token_requests(2);
    for _ in 0..2 {
        fails(&sb, &["refresh", "test"], "answered HTTP 500", 10);
        assert_eq!(sb.ok(&["token", "test"]).stdout, token, "the token is kept");
    }
    let row = sb.ok(&["list", "--json"]).json()[0].clone();
    assert_eq!(row["status"], "valid");
    assert!(row["last_error"].as_str().unwrap().contains("HTTP 500"), "{row}");
    sb.ok(&["refresh", "test"]);
    assert_ne!(sb.ok(&["token", "test"]).stdout, token);
    assert_eq!(
        sb.ok(&["list", "--json"]).json()[0]["last_error"],
        serde_json::Value::Null
    );
}
