//! Logging in from anywhere, through the real binary: a paste-back login whose callback port is never
//! reached (and a pasted answer of another login refused), a login's own callback port and the `ssh -L`
//! hint, device logins (RFC 8628) with `slow_down` and expiry, and two accounts on one server that ask the
//! server to let the user choose and show who each one is.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::{Run, Sandbox};
use crate::support::flow::setup;

fn wait_for_file(path: &std::path::Path) -> String {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text.trim().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{path:?} never came");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_pasted_url_finishes_a_login_whose_callback_is_never_reached() {
    let (sb, server) = setup(Options::default());
    let paste_file = sb.path("pasted-url");
    let mut cmd = sb.cmd_browser(&["login", "test", "--paste", "--timeout", "20"], "paste");
    cmd.env("SCRIPTED_BROWSER_PASTE", &paste_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let url = wait_for_file(&paste_file);
    assert!(url.contains("/callback?") && url.contains("state="), "{url}");
    let forged = url.replace("state=", "state=forged");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "not a url at all").unwrap();
    writeln!(stdin, "{forged}").unwrap();
    writeln!(stdin, "  {url}  ").unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("logged in to test: expires in"), "{run}");
    assert!(
        run.stderr
            .contains("paste here the URL it ends on (even if that page does not load)"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("not taken: that is not the URL the browser ended on"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("not taken: that URL belongs to another login (its state does not match)"),
        "{run}"
    );
    let log = sb.browser_log(1);
    assert!(
        !log.contains("/callback"),
        "the callback port was never reached:\n{log}"
    );
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "valid");
    assert!(server.refreshes() == 0);
}

#[test]
fn a_login_takes_its_own_callback_port_and_names_the_ssh_forward() {
    let (sb, server) = setup(Options::default());
    let port = crate::support::free_port();
    let run = sb.run_with_browser(&["login", "test", "--callback-port", &port.to_string(), "--timeout", "20"]);
    assert_eq!(run.code, 0, "{run}");
    let registered = server.registrations()[0]["redirect_uris"][0].clone();
    assert_eq!(registered, format!("http://127.0.0.1:{port}/callback"));

    // Over SSH, without a browser: the waiting message names the forward for that port.
    sb.ok(&["logout", "test", "--local"]);
    let port = crate::support::free_port();
    let mut cmd = sb.cmd(&[
        "login",
        "test",
        "--no-browser",
        "--callback-port",
        &port.to_string(),
        "--timeout",
        "1",
    ]);
    cmd.env("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22");
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains(&format!("ssh -L {port}:127.0.0.1:{port} ")),
        "{run}"
    );

    // A port taken by something else is an error for a login that asked for it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port().to_string();
    let run = sb.run_with_browser(&["login", "test", "--callback-port", &busy, "--timeout", "5"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.one_error_line().contains(&busy), "{run}");
}

#[test]
fn a_device_login_waits_for_the_code_honours_slow_down_and_shows_who() {
    let (sb, server) = setup(Options {
        device: true,
        device_slow_down: true,
        ..Options::default()
    });
    let mut cmd = sb.cmd(&["login", "test", "--device", "--no-browser"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    // The first poll gets slow_down, the next authorization_pending; then the user approves.
    while server.device_polls() < 2 {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("no second poll:\n{}", Run::from(child.wait_with_output().unwrap()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let second_poll = started.elapsed();
    server.approve_devices("carol");
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run}");
    assert!(
        second_poll >= Duration::from_secs(6),
        "slow_down adds 5 s to the 1 s interval: {second_poll:?}"
    );
    assert!(
        run.stderr
            .contains("open this page on any device and check that it shows the code WDJB-"),
        "{run}"
    );
    assert!(run.stderr.contains("/device/verify?user_code=WDJB-"), "{run}");
    assert!(
        run.stdout
            .starts_with("logged in to test as carol@example.com (as the server says): expires in"),
        "{run}"
    );
    let row = sb.ok(&["list", "--json"]).json()[0].clone();
    assert_eq!(row["status"], "valid");
    assert_eq!(row["identity"], "carol@example.com");
    assert_eq!(
        server.registrations()[0]["grant_types"][2],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    // The token works like any other.
    assert_eq!(
        crate::support::flow::mcp_call(&server, &crate::support::flow::token_of(&sb)),
        200
    );
}

#[test]
fn a_device_code_nobody_enters_expires_and_nothing_is_stored() {
    let (sb, _server) = setup(Options {
        device: true,
        device_code_ttl_secs: 2,
        ..Options::default()
    });
    // No browser here and no terminal: the device login is chosen by itself where the server offers it.
    let started = Instant::now();
    let run = sb.run(&["login", "test"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(run.stderr.contains("open this page on any device"), "{run}");
    assert!(
        run.stderr
            .trim_end()
            .ends_with("\nerror: the code was not entered within 2 s; start the device login again"),
        "{run}"
    );
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "none");

    // A server without device logins: asking for one says so.
    let (sb, _server) = setup(Options::default());
    let run = sb.run(&["login", "test", "--device"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error: the authorization server"), "{run}");
    assert!(
        run.stderr
            .trim_end()
            .ends_with("offers no device login (no device_authorization_endpoint)"),
        "{run}"
    );
}

/// On a terminal the device login's last line counts the code's time down in place, once a second, and is
/// gone when the login ends: the result takes its place.
#[test]
fn on_a_terminal_the_device_code_counts_down_and_the_line_goes_at_the_end() {
    let (sb, server) = setup(Options {
        device: true,
        device_code_ttl_secs: 90,
        ..Options::default()
    });
    let mut cmd = crate::support::pty::tui_command(&sb, "normal");
    for arg in ["login", "test", "--device", "--no-browser"] {
        cmd.arg(arg);
    }
    let mut pty = crate::support::pty::Pty::spawn(cmd, 24, 100);
    pty.wait_text("open this page on any device", Duration::from_secs(10));
    pty.wait_for("the countdown", Duration::from_secs(5), |s| {
        s.contains(" left (Ctrl-C cancels)")
    });
    let left = |screen: &str| {
        screen
            .lines()
            .find_map(|l| l.strip_prefix("waiting for you to confirm there: "))
            .and_then(|rest| rest.split(' ').next())
            .map(str::to_owned)
    };
    let shown = left(&pty.contents()).expect("the time left");
    assert!(["1:30", "1:29"].contains(&shown.as_str()), "{shown}");
    // A second or two later the same line shows less, and it is still one line.
    pty.wait_for("the next second", Duration::from_secs(3), |s| {
        left(s).is_some_and(|now| now != shown)
    });
    let screen = pty.contents();
    assert_eq!(screen.matches("left (Ctrl-C cancels)").count(), 1, "{screen}");

    server.approve_devices("carol");
    pty.wait_text("logged in to test as carol@example.com", Duration::from_secs(10));
    assert_eq!(pty.wait_exit(Duration::from_secs(5)), 0);
    let screen = pty.contents();
    assert!(!screen.contains("left (Ctrl-C cancels)"), "the line is gone:\n{screen}");
}

/// In the TUI, `e` logs in with a code entered on another device: the details show the page and the
/// code, no browser is started here, and the account turns valid when the code is entered.
#[test]
fn the_tui_logs_in_with_a_code_entered_on_another_device() {
    let (sb, server) = setup(Options {
        device: true,
        ..Options::default()
    });
    let mut pty = crate::support::pty::Pty::spawn(crate::support::pty::tui_command(&sb, "normal"), 30, 100);
    pty.wait_text("not logged in · press l", Duration::from_secs(10));
    pty.send("e");
    pty.wait_text("waiting for the code on another device", Duration::from_secs(10));
    let screen = pty.contents();
    assert!(screen.contains("Code  WDJB-"), "{screen}");
    assert!(screen.contains(" left"), "{screen}");
    assert!(screen.contains("/device/verify?user_code=WDJB-"), "{screen}");
    server.approve_devices("carol");
    pty.wait_text("test: logged in; expires in", Duration::from_secs(15));
    assert!(!sb.path("browser.log").exists(), "no browser was started here");
    pty.send("q");
    assert_eq!(pty.wait_exit(Duration::from_secs(5)), 0);
    let row = sb.ok(&["list", "--json"]).json()[0].clone();
    assert_eq!(row["status"], "valid");
    assert_eq!(row["identity"], "carol@example.com");
}

fn login_as(sb: &Sandbox, name: &str, user: &str, extra: &[&str]) -> Run {
    let mut args = vec!["login", name, "--timeout", "20"];
    args.extend_from_slice(extra);
    let mut cmd = sb.cmd_browser(&args, "normal");
    cmd.env("SCRIPTED_BROWSER_USER", user);
    Run::from(cmd.output().unwrap())
}

#[test]
fn two_accounts_on_one_server_ask_to_choose_and_show_who_each_is() {
    let server = TestServer::start(Options {
        prompt_values: Some(vec!["login", "select_account"]),
        ..Options::default()
    });
    let sb = Sandbox::new();
    sb.ok(&["add", "work", &server.mcp_url()]);
    let second = sb.ok(&["add", "personal", &server.mcp_url()]);
    assert!(
        second.stderr.contains("warning: personal uses the same URL as work; a login to either asks the server to let you choose the account"),
        "{second}"
    );
    let refused = sb.run(&["add", "Work", &server.mcp_url()]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.one_error_line().contains("names that differ only in case"),
        "{refused}"
    );

    assert_eq!(login_as(&sb, "work", "alice", &[]).code, 0);
    let run = login_as(&sb, "personal", "bob", &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .starts_with("logged in to personal as bob@example.com (as the server says)"),
        "{run}"
    );
    let run = login_as(&sb, "work", "alice", &["--prompt", "consent"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        server.authorize_prompts(),
        [None, Some("select_account".to_owned()), Some("consent".to_owned())],
        "the first login of the first account asks nothing; the second account asks to choose"
    );

    let list = sb.ok(&["list"]).stdout;
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("NAME      ACCOUNT            URL"), "{list}");
    assert!(lines[1].starts_with("personal  bob@example.com    "), "{list}");
    assert!(lines[2].starts_with("work      alice@example.com  "), "{list}");
    let status = sb.ok(&["status", "work"]).stdout;
    assert!(
        status.starts_with("work: valid as alice@example.com (as the server says)"),
        "{status}"
    );
    let bad = sb.run(&["login", "work", "--prompt", "always"]);
    assert_eq!(bad.code, 2);

    // Without select_account in the metadata, the prompt is login.
    let plain = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "a", &plain.mcp_url()]);
    sb.ok(&["add", "b", &plain.mcp_url()]);
    assert_eq!(login_as(&sb, "a", "x", &[]).code, 0);
    assert_eq!(login_as(&sb, "b", "y", &[]).code, 0);
    assert_eq!(plain.authorize_prompts(), [None, Some("login".to_owned())]);
}

/// `--prompt none` asks the server not to show anything: with someone signed in to the browser the login
/// goes through; with no one, the server answers `login_required`, and the error says what that means
/// here. The token already stored stays.
#[test]
fn a_silent_login_works_when_signed_in_and_says_why_when_not() {
    let (sb, server) = setup(Options::default());
    let run = login_as(&sb, "test", "alice", &["--prompt", "none"]);
    assert_eq!(run.code, 0, "{run}");
    let token = crate::support::flow::token_of(&sb);

    let run = sb.run_with_browser(&["login", "test", "--prompt", "none", "--timeout", "20"]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        "error: the login was refused by the authorization server: login_required: no one is signed in; the server wants you to sign in or choose in the browser, which --prompt none forbids: run the login without it"
    );
    assert_eq!(
        server.authorize_prompts(),
        [Some("none".to_owned()), Some("none".to_owned())]
    );
    assert_eq!(crate::support::flow::token_of(&sb), token, "the stored login stays");
}
