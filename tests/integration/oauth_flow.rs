//! The OAuth engine through the real binary, against the test authorization server and the scripted browser:
//! login, list, token, refresh, logout; every discovery variant; the ways a login can go wrong.

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::{Run, Sandbox};
use crate::support::flow::{client_requests, list_row, mcp_call, setup, token_of};

#[test]
fn login_list_token_refresh_logout() {
    let (sb, server) = setup(Options::default());
    let mut printed = String::new();

    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    printed.push_str(&login.to_string());
    assert!(
        login.stderr.contains("/authorize?"),
        "the URL is printed to stderr: {login}"
    );
    assert!(login.stdout.starts_with("logged in to test: expires in "), "{login}");
    assert!(login.stdout.ends_with("; scopes: mcp:tools\n"), "{login}");
    assert_eq!(
        client_requests(&server),
        [
            "POST /mcp",
            "GET /.well-known/oauth-protected-resource/mcp",
            "GET /.well-known/oauth-authorization-server",
            "POST /register",
            "POST /token"
        ],
        "a first login takes 5 requests"
    );
    let registration = &server.registrations()[0];
    assert_eq!(registration["token_endpoint_auth_method"], "none");
    assert_eq!(registration["application_type"], "native");
    assert_eq!(
        registration["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    let redirect = registration["redirect_uris"][0].as_str().unwrap();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"),
        "{redirect}"
    );

    let row = list_row(&sb);
    assert_eq!(row["status"], "valid");
    let secs = row["expires_in_secs"].as_i64().unwrap();
    assert!((3590..=3600).contains(&secs), "{secs}");
    assert_eq!(row["scopes"], serde_json::json!(["mcp:tools"]));
    assert_eq!(row["has_refresh_token"], true);
    assert_eq!(row["issuer"], server.issuer());
    printed.push_str(&sb.ok(&["list"]).to_string());

    let first = token_of(&sb);
    assert!(first.starts_with("at-"), "{first}");
    assert!(server.accepts(&first));
    assert_eq!(mcp_call(&server, &first), 200);

    let refreshed = sb.ok(&["refresh", "test"]);
    printed.push_str(&refreshed.to_string());
    assert!(
        refreshed.stdout.starts_with("refreshed test: expires in"),
        "{refreshed}"
    );
    assert_eq!(server.refreshes(), 1);
    let second = token_of(&sb);
    assert_ne!(first, second, "refresh rotated the access token");
    assert_eq!(mcp_call(&server, &second), 200);

    server.clear_requests();
    let logout = sb.ok(&["logout", "test"]);
    printed.push_str(&logout.to_string());
    assert!(logout.stdout.contains("revoked at the server"), "{logout}");
    assert_eq!(server.revocations(), ["refresh_token", "access_token"]);
    assert_eq!(client_requests(&server), ["POST /revoke", "POST /revoke"]);
    assert!(!server.accepts(&second));
    assert_eq!(mcp_call(&server, &second), 401, "the server rejects the revoked token");
    assert_eq!(list_row(&sb)["status"], "none");
    let gone = sb.run(&["token", "test"]);
    assert_eq!(gone.code, 1);
    assert!(gone.one_error_line().contains("run: mcp-accounts login test"), "{gone}");

    // A re-login with the stored metadata and registration: one request of ours (plus the browser).
    server.clear_requests();
    let again = sb.login("test", "normal");
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(client_requests(&server), ["POST /token"]);
    assert_eq!(server.registrations().len(), 1, "the registration was reused");
    printed.push_str(&again.to_string());

    for secret in server.issued_secrets() {
        assert!(!printed.contains(&secret), "a token was printed: {secret}");
    }
}

#[test]
fn a_stale_registration_is_replaced_once() {
    let (sb, server) = setup(Options {
        invalid_client_once: true,
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert_eq!(server.registrations().len(), 2, "registered again after invalid_client");
    assert_eq!(mcp_call(&server, &token_of(&sb)), 200);
    let client_id = list_row(&sb)["client_id"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("client-"), "{client_id}");
}

#[test]
fn a_busy_callback_port_takes_another_port_and_registers_again() {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    sb.ok(&["add", "test", &server.mcp_url(), "--callback-port", &port]);
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    let redirect = server.registrations()[0]["redirect_uris"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!redirect.contains(&format!(":{port}/")), "{redirect}");

    // A pre-registered client has exactly one redirect URI: a busy port is an error that names it.
    let pre_server = TestServer::start(Options {
        preregistered: Some(("preset", vec![format!("http://127.0.0.1:{port}/callback")])),
        dcr: false,
        ..Options::default()
    });
    sb.ok(&[
        "add",
        "pre",
        &pre_server.mcp_url(),
        "--client-id",
        "preset",
        "--callback-port",
        &port,
    ]);
    let failed = sb.login("pre", "normal");
    assert_eq!(failed.code, 1, "{failed}");
    let line = failed.stderr.lines().last().unwrap();
    assert!(
        line.contains(&format!("callback port {port}")) && line.contains("in use"),
        "{line}"
    );
    drop(busy);
    let ok = sb.login("pre", "normal");
    assert_eq!(ok.code, 0, "{ok}");
    assert_eq!(list_row(&sb)["client_id"], "preset");
}

#[test]
fn the_stored_registration_port_is_reused() {
    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    sb.ok(&["logout", "test"]);
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(server.registrations().len(), 1);
}

#[test]
fn a_forged_or_missing_state_is_refused() {
    for mode in ["wrong-state", "no-state"] {
        let (sb, server) = setup(Options::default());
        let login = Run::from(
            sb.cmd_browser(&["login", "test", "--timeout", "2"], mode)
                .output()
                .unwrap(),
        );
        assert_eq!(login.code, 1, "{mode}: {login}");
        let line = login.stderr.lines().last().unwrap();
        assert!(
            line.contains("1 answer(s) for another login attempt were refused (state mismatch)"),
            "{mode}: {line}"
        );
        assert_eq!(list_row(&sb)["status"], "none");
        assert!(
            !server.requests().contains(&"POST /token".to_owned()),
            "{mode}: no code was redeemed"
        );
        let log = sb.browser_log(1);
        assert!(log.contains("400 /callback"), "the browser was told it failed: {log}");
    }
}

#[test]
fn favicon_and_stray_requests_do_not_end_the_login() {
    let (sb, _server) = setup(Options::default());
    let login = sb.login("test", "extra");
    assert_eq!(login.code, 0, "{login}");
    let log = sb.browser_log(1);
    assert!(
        log.contains("404 /favicon.ico") && log.contains("404 /callback") && log.contains("200 /callback"),
        "{log}"
    );
}

#[test]
fn a_replayed_callback_is_refused() {
    let (sb, _server) = setup(Options::default());
    let login = sb.login("test", "twice");
    assert_eq!(login.code, 0, "{login}");
    let log = sb.browser_log(1);
    let callbacks: Vec<&str> = log.lines().filter(|l| l.ends_with("/callback")).collect();
    // The replay reaches a closed port or an "already handled" page: never a second login.
    assert_eq!(callbacks[0], "200 /callback", "{log}");
    assert!(callbacks.len() == 1 || callbacks[1] == "409 /callback", "{log}");
}

#[test]
fn nobody_at_the_browser_times_out_and_frees_the_port() {
    let (sb, _server) = setup(Options::default());
    let run = Run::from(
        sb.cmd_browser(&["login", "test", "--timeout", "2"], "ignore")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .contains("no browser callback within 2 s"),
        "{run}"
    );
    let port: u16 = run
        .stderr
        .split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|p| p.parse().ok())
        .expect("the URL names the port");
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "port {port} is free again"
    );
}

#[test]
fn the_token_command_refreshes_when_less_than_a_minute_is_left() {
    let (sb, server) = setup(Options {
        token_ttl_secs: 30,
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(list_row(&sb)["status"], "expiring");
    let first = token_of(&sb);
    assert_eq!(
        server.refreshes(),
        1,
        "a 30 s token is refreshed before it is handed out"
    );
    assert!(server.accepts(&first));
    assert_eq!(sb.ok(&["status", "test"]).code, 0);
}

#[test]
fn without_a_refresh_token_an_expired_account_needs_a_login() {
    let (sb, server) = setup(Options {
        issue_refresh_token: false,
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(list_row(&sb)["has_refresh_token"], false);
    let run = sb.run(&["refresh", "test"]);
    assert_eq!(run.code, 1);
    assert!(
        run.one_error_line()
            .contains("issued no refresh token; run: mcp-accounts login test"),
        "{run}"
    );
    assert_eq!(server.refreshes(), 0);
}

#[test]
fn a_dead_grant_means_login_and_keeps_the_access_token() {
    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    let before = token_of(&sb);
    server.kill_grants();
    let run = sb.run(&["refresh", "test"]);
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(
        line.contains("rejected the refresh token (invalid_grant") && line.contains("run: mcp-accounts login test"),
        "{line}"
    );
    let row = list_row(&sb);
    assert_eq!(row["has_refresh_token"], false);
    assert!(row["last_error"].as_str().unwrap().contains("invalid_grant"), "{row}");
    assert_eq!(token_of(&sb), before, "the access token is kept until it expires");
}

#[test]
fn a_failed_refresh_keeps_everything_and_a_later_one_works() {
    let (sb, server) = setup(Options {
        token_500_times: 1,
        ..Options::default()
    });
    // The first token request (the login) fails with a 500: a clear error, nothing stored.
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    assert!(
        login.stderr.lines().last().unwrap().contains("answered HTTP 500"),
        "{login}"
    );
    assert_eq!(list_row(&sb)["status"], "none");
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(sb.ok(&["refresh", "test"]).code, 0);
    assert_eq!(server.refreshes(), 1);
}

#[test]
fn logout_without_a_revocation_endpoint_deletes_here_and_says_so() {
    let (sb, server) = setup(Options {
        revocation: false,
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    let token = token_of(&sb);
    let out = sb.ok(&["logout", "test"]).stdout;
    assert_eq!(
        out,
        "logged out of test: the token was deleted here only (the authorization server has no revocation endpoint)\n"
    );
    assert!(server.accepts(&token), "nobody told the server");
    assert_eq!(list_row(&sb)["status"], "none");
    assert_eq!(
        sb.ok(&["logout", "test"]).stdout,
        "test was not logged in; nothing to do\n"
    );
    // The registration stays for the next login.
    assert_eq!(
        list_row(&sb)["client_id"].as_str().map(|c| c.starts_with("client-")),
        Some(true)
    );
}

#[test]
fn refresh_all_refreshes_every_logged_in_account() {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    for name in ["a", "b", "c"] {
        sb.ok(&["add", name, &server.mcp_url()]);
    }
    sb.ok(&["add", "never", &server.mcp_url()]);
    for name in ["a", "b", "c"] {
        assert_eq!(sb.login(name, "normal").code, 0);
    }
    let run = sb.ok(&["refresh", "--all"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{run}");
    for (line, name) in lines.iter().zip(["a", "b", "c"]) {
        assert!(line.starts_with(&format!("refreshed {name}: expires in")), "{line}");
    }
    assert_eq!(lines[3], "skipped never: not logged in");
    assert_eq!(server.refreshes(), 3);
}

#[test]
fn a_pre_registered_client_skips_registration_and_keeps_its_secret_out_of_the_store() {
    let port = crate::support::free_port();
    let server = TestServer::start(Options {
        dcr: false,
        preregistered: Some(("my-client", vec![format!("http://127.0.0.1:{port}/callback")])),
        ..Options::default()
    });
    let sb = Sandbox::new();
    sb.ok(&[
        "add",
        "test",
        &server.mcp_url(),
        "--client-id",
        "my-client",
        "--client-secret-env",
        "MY_SECRET",
        "--callback-port",
        &port.to_string(),
    ]);
    let missing = sb.login("test", "normal");
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("MY_SECRET, which is not set"), "{missing}");
    let run = Run::from(
        sb.cmd_browser(&["login", "test", "--timeout", "20"], "normal")
            .env("MY_SECRET", "s3cr3t-value")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(server.registrations().is_empty());
    let db = std::fs::read(&sb.db).unwrap();
    let wal = std::fs::read(sb.db.with_extension("db-wal")).unwrap_or_default();
    let haystack = [db, wal].concat();
    assert!(
        !haystack.windows(12).any(|w| w == b"s3cr3t-value"),
        "the secret is not stored"
    );
}

#[test]
fn no_browser_only_prints_the_url() {
    let (sb, _server) = setup(Options::default());
    let run = Run::from(
        sb.cmd_browser(&["login", "test", "--no-browser", "--timeout", "1"], "normal")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("/authorize?response_type=code"), "{run}");
    assert!(!sb.path("browser.log").exists(), "no browser was started");
}

#[test]
fn http_trace_shows_requests_but_no_secrets() {
    let (sb, server) = setup(Options::default());
    let run = Run::from(
        sb.cmd_browser(&["login", "test", "--timeout", "20"], "normal")
            .env("MCP_ACCOUNTS_TRACE_HTTP", "1")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run}");
    let traced: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("http: ")).collect();
    assert_eq!(traced.len(), 5, "{run}");
    assert!(
        traced[4].starts_with("http: POST ") && traced[4].contains("/token -> 200"),
        "{traced:?}"
    );
    let refresh = Run::from(
        sb.cmd(&["refresh", "test"])
            .env("MCP_ACCOUNTS_TRACE_HTTP", "1")
            .output()
            .unwrap(),
    );
    let all = format!("{run}{refresh}");
    for secret in server.issued_secrets() {
        assert!(!all.contains(&secret), "printed {secret}");
    }
}

#[test]
fn without_dynamic_registration_the_user_is_told_to_configure_a_client() {
    let (sb, server) = setup(Options {
        dcr: false,
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    let line = login.stderr.lines().last().unwrap();
    assert!(
        line.contains("offers no dynamic client registration") && line.contains("--client-id ID"),
        "{line}"
    );
    assert!(!server.requests().iter().any(|r| r.contains("/register")));
}

#[test]
fn an_iss_from_another_server_is_refused() {
    let (sb, server) = setup(Options {
        wrong_iss: true,
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    assert!(login.stderr.lines().last().unwrap().contains("RFC 9207"), "{login}");
    assert!(
        !server.requests().contains(&"POST /token".to_owned()),
        "the code was not redeemed"
    );
    assert_eq!(list_row(&sb)["status"], "none");
}

/// Everything the MCP TypeScript SDK's example server does differently from a textbook server (see
/// tests/interop.rs for the real one), kept covered here without Node.
#[test]
fn a_server_that_behaves_like_the_typescript_sdk_example() {
    let (sb, server) = setup(Options {
        issuer_trailing_slash: true,
        localhost_urls: true,
        issue_refresh_token: false,
        revocation: false,
        lowercase_bearer: true,
        invalid_token_500: true,
        registration_limit: Some(1),
        challenge_scope: None,
        scopes_supported: vec!["mcp:tools"],
        ..Options::default()
    });
    assert!(
        server.mcp_url().starts_with("http://localhost:"),
        "{}",
        server.mcp_url()
    );
    assert!(server.issuer().ends_with('/'));
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert!(login.stdout.contains("no refresh token; scopes: mcp:tools"), "{login}");
    let row = list_row(&sb);
    assert_eq!(
        (row["status"].as_str(), row["issuer"].as_str()),
        (Some("valid"), Some(server.issuer().as_str()))
    );
    assert_eq!(mcp_call(&server, &token_of(&sb)), 200);
    assert_eq!(mcp_call(&server, "garbage"), 500);
    assert!(
        sb.run(&["refresh", "test"])
            .one_error_line()
            .contains("issued no refresh token")
    );
    assert!(sb.ok(&["logout", "test"]).stdout.contains("no revocation endpoint"));
    // A second registration would be refused (429): the stored one is reused.
    let again = sb.login("test", "normal");
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(server.registrations().len(), 1);
}
