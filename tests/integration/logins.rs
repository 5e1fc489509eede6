//! Logins that never harm an account, through the real binary: an abandoned or killed login leaves every
//! record as it was; one login per account at a time across processes; logout works against servers that
//! only take confidential clients (as the MCP Python SDK's do); an answer that is not this login's is said
//! at once, and none is taken before the login's `state` exists.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::Sandbox;
use crate::support::flow::{list_row, mcp_call, records, setup, token_of};

/// Start `cmd` with stderr piped and read its lines until one contains `needle`: the child, still
/// running, and that line (`None`: stderr ended first).
fn spawn_until(cmd: &mut std::process::Command, needle: &str) -> (std::process::Child, Option<String>) {
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.map_while(Result::ok).find(|line| line.contains(needle));
    (child, line)
}

/// The callback port of the stored registration.
fn registered_port(sb: &Sandbox) -> u16 {
    let client = records(sb, "test")[2].1.clone().unwrap();
    let client: serde_json::Value = serde_json::from_str(&client).unwrap();
    let uri = url::Url::parse(client["redirect_uri"].as_str().unwrap()).unwrap();
    uri.port().unwrap()
}

#[test]
fn an_abandoned_or_killed_login_leaves_the_account_as_it_was() {
    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    let before = records(&sb, "test");

    // The stored callback port is busy, so the login takes another port and registers a new client;
    // then nobody completes it.
    let busy = std::net::TcpListener::bind(("127.0.0.1", registered_port(&sb))).unwrap();
    let abandoned = sb.run(&["login", "test", "--no-browser", "--timeout", "2"]);
    assert_eq!(abandoned.code, 1, "{abandoned}");
    assert!(
        abandoned.stderr.contains("no browser callback within 2 s"),
        "{abandoned}"
    );
    assert_eq!(server.registrations().len(), 2, "the abandoned login did register");
    assert_eq!(records(&sb, "test"), before, "and stored nothing of it");
    drop(busy);

    // A login killed while it waits for the browser.
    let (mut killed, _) = spawn_until(
        &mut sb.cmd_browser(&["login", "test", "--timeout", "30"], "ignore"),
        "waiting for the browser",
    );
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert_eq!(records(&sb, "test"), before, "a killed login stored nothing");

    // The account still works: its refresh token belongs to the stored client.
    let refreshed = sb.run(&["refresh", "test"]);
    assert_eq!(refreshed.code, 0, "{refreshed}");
    assert_eq!(mcp_call(&server, &token_of(&sb)), 200);
}

#[test]
fn one_login_per_account_at_a_time_and_a_crashed_one_does_not_block() {
    let (sb, server) = setup(Options::default());
    let (mut first, _) = spawn_until(
        &mut sb.cmd(&["login", "test", "--no-browser", "--timeout", "30"]),
        "waiting for the browser",
    );
    let second = sb.run(&["login", "test", "--no-browser", "--timeout", "2"]);
    assert_eq!(second.code, 1, "{second}");
    assert_eq!(
        second.one_error_line(),
        format!("error: login for test is already in progress (pid {})", first.id())
    );
    assert_eq!(server.registrations().len(), 1, "the second login did not register");

    // The first one crashes: its lease does not outlive it.
    first.kill().unwrap();
    first.wait().unwrap();
    let third = sb.login("test", "normal");
    assert_eq!(third.code, 0, "{third}");
    assert_eq!(list_row(&sb)["status"], "valid");
}

#[test]
fn logout_revokes_at_servers_that_take_only_confidential_clients() {
    // The MCP Python SDK's authorization servers list only these, and their /revoke wants a client_secret.
    let python_like = Options {
        auth_methods: vec!["client_secret_post", "client_secret_basic"],
        revocation_requires_secret: true,
        ..Options::default()
    };
    // A server that takes HTTP Basic only: the secret never travels in a body.
    let basic_only = Options {
        auth_methods: vec!["client_secret_basic"],
        ..Options::default()
    };
    for (opts, method) in [(python_like, "client_secret_post"), (basic_only, "client_secret_basic")] {
        let (sb, server) = setup(opts);
        let login = sb.login("test", "normal");
        assert_eq!(login.code, 0, "{method}: {login}");
        assert_eq!(server.registrations()[0]["token_endpoint_auth_method"], method);
        let refreshed = sb.run(&["refresh", "test"]);
        assert_eq!(refreshed.code, 0, "{method}: {refreshed}");
        let token = token_of(&sb);
        let logout = sb.run(&["logout", "test"]);
        assert_eq!(logout.code, 0, "{method}: {logout}");
        assert!(logout.stdout.contains("revoked at the server"), "{method}: {logout}");
        assert_eq!(server.revocations(), ["refresh_token", "access_token"]);
        assert_eq!(mcp_call(&server, &token), 401, "{method}: the revoked token is refused");
    }
}

#[test]
fn an_answer_that_is_not_this_logins_is_said_at_once() {
    let (sb, _server) = setup(Options::default());
    let started = Instant::now();
    let (mut login, said) = spawn_until(
        &mut sb.cmd_browser(&["login", "test", "--timeout", "30"], "wrong-state"),
        "does not belong to this login",
    );
    let elapsed = started.elapsed();
    login.kill().unwrap();
    login.wait().unwrap();
    let said = said.expect("the refusal is printed");
    assert!(said.contains("refused") && said.contains("still waiting"), "{said}");
    assert!(
        elapsed < Duration::from_secs(10),
        "said after {elapsed:?}, not at the timeout"
    );
}

#[test]
fn no_answer_is_taken_before_the_login_has_its_state() {
    // Slow responses keep the login in discovery and registration while its callback port is open.
    let port = crate::support::free_port();
    let server = TestServer::start(Options {
        latency: Duration::from_millis(700),
        ..Options::default()
    });
    let sb = Sandbox::new();
    sb.ok(&["add", "test", &server.mcp_url(), "--callback-port", &port.to_string()]);
    let mut login = sb
        .cmd(&["login", "test", "--no-browser", "--timeout", "10"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the callback listens (after discovery, before the registration answers).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break s;
        }
        assert!(Instant::now() < deadline, "the callback never listened");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        !server.requests().iter().any(|r| r.ends_with("/authorize")),
        "the browser step has not started"
    );
    stream.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    write!(
        stream,
        "GET /callback?code=forged&state=guess HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    // Refused as not this login's, and the login goes on (it does not end on the forged answer).
    std::thread::sleep(Duration::from_millis(500));
    let still_waiting = login.try_wait().unwrap().is_none();
    login.kill().unwrap();
    login.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("another sign-in attempt"), "{answer}");
    assert!(still_waiting, "the forged answer ended the login");
    assert!(
        !server.requests().contains(&"POST /token".to_owned()),
        "no code redeemed"
    );
}

#[test]
fn browser_may_name_arguments_and_several_programs_and_a_failed_start_is_one_line() {
    let (sb, _server) = crate::support::flow::setup(crate::support::auth_server::Options::default());
    let browser = crate::support::scripted_browser();
    // The first program does not exist; the second gets the URL where its %s is.
    let mut cmd = sb.cmd_browser(&["login", "test", "--timeout", "20"], "normal");
    cmd.env(
        "BROWSER",
        format!("/no/such/browser --new-tab:{} %s", browser.display()),
    );
    let run = crate::support::bin::Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 0, "{run}");

    sb.ok(&["logout", "test", "--local"]);
    let mut cmd = sb.cmd(&["login", "test", "--timeout", "1"]);
    cmd.env("BROWSER", "/no/such/browser");
    let run = crate::support::bin::Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("could not open a browser"))
        .unwrap_or_else(|| panic!("{run}"));
    assert_eq!(
        line,
        "could not open a browser (/no/such/browser: no such file or directory); open the URL yourself"
    );
}
