//! The terminal UI end to end: the real binary in a pseudo-terminal, against the test authorization server
//! with the scripted browser.

use std::time::{Duration, Instant};

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::Sandbox;
use crate::support::pty::{Pty, tui_command};

const WAIT: Duration = Duration::from_secs(15);

fn tui(sb: &Sandbox, browser_mode: &str) -> Pty {
    Pty::spawn(tui_command(sb, browser_mode), 30, 100)
}

/// The list row of `name`.
fn row(screen: &str, name: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")) && l.starts_with('│'))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn log_in_refresh_and_log_out_with_single_keys() {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "demo", &server.mcp_url()]);
    let mut pty = tui(&sb, "normal");
    pty.wait_for("the list", WAIT, |s| row(s, "demo").contains("○ none"));
    // The selected row is drawn reversed without colours of its own; the details show the status in colour.
    let (status_color, badge_inverse) = pty.with_screen(|screen| {
        let (r, c) = find(screen, "not logged in · press l");
        let (br, bc) = find(screen, "○ none");
        (
            screen.cell(r, c).unwrap().fgcolor(),
            screen.cell(br, bc).unwrap().inverse(),
        )
    });
    assert_ne!(status_color, vt100::Color::Default, "the status is coloured");
    assert!(badge_inverse, "the selected row is reversed");

    pty.send("l");
    pty.wait_for("the login to finish", WAIT, |s| row(s, "demo").contains("● valid"));
    let screen = pty.contents();
    let demo = row(&screen, "demo");
    assert!(demo.contains("59m") || demo.contains("1h"), "time left: {demo}");
    assert!(screen.contains("demo: logged in; expires in"), "{screen}");
    assert!(screen.contains("Scopes        mcp:tools"), "{screen}");
    let (r, c) = pty.with_screen(|s| find(s, "valid · "));
    let green = pty.with_screen(|s| s.cell(r, c).unwrap().fgcolor());
    assert_eq!(green, vt100::Color::Idx(2), "valid is green");

    pty.send("r");
    pty.wait_text("demo: refreshed; expires in", WAIT);
    assert_eq!(server.refreshes(), 1);

    pty.send("x");
    pty.wait_text("Log out of demo?", WAIT);
    pty.send("y");
    pty.wait_text("demo: logged out; the token was revoked at the server", WAIT);
    pty.wait_for("the badge to go back to none", WAIT, |s| {
        row(s, "demo").contains("○ none")
    });
    assert_eq!(server.revocations(), ["refresh_token", "access_token"]);

    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    pty.with_screen(|s| {
        assert!(!s.alternate_screen(), "the alternate screen was left");
        assert!(!s.hide_cursor(), "the cursor is visible again");
    });
    for secret in server.issued_secrets() {
        assert!(!pty.contents().contains(&secret));
    }
}

fn find(screen: &vt100::Screen, text: &str) -> (u16, u16) {
    let (rows, cols) = screen.size();
    let (rows, cols) = (u16::from(rows), u16::from(cols));
    for r in 0..rows {
        let line: String = screen.contents_between(r, 0, r, cols);
        if let Some(byte) = line.find(text) {
            return (r, line[..byte].chars().count() as u16);
        }
    }
    panic!("{text:?} not on screen:\n{}", screen.contents());
}

#[test]
fn v_verifies_the_account_and_the_details_show_the_server_and_the_connected_clients() {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "demo", &server.mcp_url()]);
    assert_eq!(sb.login("demo", "normal").code, 0);
    sb.ok(&["connect", "cursor", "demo", "--command", "/opt/bin/mcp-accounts"]);
    let mut pty = tui(&sb, "normal");
    pty.wait_for("the list", WAIT, |s| row(s, "demo").contains("● valid"));
    pty.wait_text("Clients       cursor", WAIT);
    assert!(pty.contents().contains("Verified      not yet · press v to verify"));
    pty.send("v");
    pty.wait_text("demo: works: test-server 1.2.3, MCP 2025-11-25, 1 tool", WAIT);
    pty.wait_text("Verified      test-server 1.2.3, MCP 2025-11-25, 1", WAIT);
    let (methods, ..) = server.mcp_log();
    assert_eq!(methods, crate::support::auth_server::VERIFY_OLDER_SERVER);
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn a_waiting_login_copies_its_url_opens_the_browser_again_and_takes_a_pasted_url() {
    use base64::Engine;
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "demo", &server.mcp_url()]);
    let paste_file = sb.path("pasted-url");
    let mut cmd = tui_command(&sb, "paste");
    cmd.env("SCRIPTED_BROWSER_PASTE", &paste_file);
    let mut pty = Pty::spawn(cmd, 30, 100);
    pty.wait_for("the list", WAIT, |s| row(s, "demo").contains("○ none"));
    pty.send("c");
    pty.wait_text("no login of demo is waiting for the browser", WAIT);
    pty.send("l");
    pty.wait_text("Open this URL if no browser appeared (Esc cancels; c", WAIT);
    let first = sb.browser_log(1);
    assert!(first.contains("left the callback"), "{first}");

    // c: the authorization URL goes to the clipboard through OSC 52.
    pty.send("c");
    pty.wait_text("copied the login URL to the clipboard", WAIT);
    let raw = String::from_utf8_lossy(&pty.raw()).into_owned();
    let start = raw.find("\x1b]52;c;").expect("an OSC 52 sequence") + 7;
    let end = start + raw[start..].find('\x07').unwrap();
    let copied = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..end])
        .unwrap();
    let copied = String::from_utf8(copied).unwrap();
    assert!(copied.starts_with(&format!("{}/authorize?", server.base())), "{copied}");

    // o: the browser again (it leaves the callback for pasting once more).
    std::fs::remove_file(&paste_file).unwrap();
    pty.send("o");
    let second = sb.browser_log(2);
    assert_eq!(second.lines().filter(|l| *l == "done").count(), 2, "{second}");

    // u: the URL alone on the screen, without borders around it.
    pty.send("u");
    pty.wait_text("The login URL (select it with the mouse; Esc closes):", WAIT);
    let screen = pty.contents();
    let url_line = screen
        .lines()
        .find(|l| l.starts_with("http://127.0.0.1"))
        .unwrap_or_default();
    assert!(copied.starts_with(url_line.trim_end()), "{url_line:?}");
    pty.send("\x1b");
    pty.wait_for("the URL to close", WAIT, |s| !s.contains("The login URL (select it"));

    // p: paste what the browser ended on; the login finishes without the callback being reached.
    let pasted = std::fs::read_to_string(&paste_file).unwrap();
    pty.send("p");
    pty.wait_text("Paste the URL the browser ended on", WAIT);
    pty.send(pasted.trim());
    pty.send("\r");
    pty.wait_for("the login to finish", WAIT, |s| row(s, "demo").contains("● valid"));
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    assert!(
        !sb.browser_log(2).contains("/callback"),
        "the callback port was never reached"
    );
}

#[test]
fn a_login_to_a_server_that_never_answers_leaves_the_ui_responsive() {
    // Accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let sb = Sandbox::new();
    sb.ok(&["add", "silent", &format!("http://127.0.0.1:{port}/mcp")]);
    sb.ok(&["add", "other", "https://other.example.com/mcp"]);
    let mut pty = tui(&sb, "normal");
    pty.wait_for("the list", WAIT, |s| row(s, "silent").contains("none"));
    // The list is sorted: "other" first. Select "silent" and start the login.
    pty.send("j");
    pty.wait_text("╭ silent", WAIT);
    pty.send("l");
    pty.wait_for("the login to start", WAIT, |s| row(s, "silent").contains("login"));

    let started = Instant::now();
    pty.send("k");
    let moved = pty.wait_text("╭ other", WAIT);
    pty.send("?");
    let help = pty.wait_text("╭ Keys", WAIT);
    assert!(
        moved < Duration::from_secs(1) && help < Duration::from_secs(1),
        "{moved:?} {help:?}"
    );
    pty.send("\x1b");
    pty.wait_for("the help to close", WAIT, |s| !s.contains("╭ Keys"));
    pty.send("q");
    assert_eq!(pty.wait_exit(Duration::from_secs(5)), 0);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "quit did not wait for the network"
    );
    drop(silent);
}

#[test]
fn esc_cancels_a_login_and_frees_its_port() {
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "demo", &server.mcp_url()]);
    let mut pty = tui(&sb, "ignore");
    pty.wait_for("the list", WAIT, |s| row(s, "demo").contains("none"));
    pty.send("l");
    pty.wait_text("Open this URL if no browser appeared", WAIT);
    let log = sb.path("browser.log");
    let start = Instant::now();
    let port: u16 = loop {
        if let Some(port) = std::fs::read_to_string(&log).ok().and_then(|l| {
            l.split("on port ")
                .nth(1)
                .and_then(|p| p.lines().next()?.trim().parse().ok())
        }) {
            break port;
        }
        assert!(start.elapsed() < WAIT, "the browser never reached the callback");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_err(),
        "the callback port is in use"
    );
    pty.send("\x1b");
    pty.wait_text("demo: login cancelled; nothing changed", WAIT);
    let free = Instant::now();
    while std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        assert!(
            free.elapsed() < Duration::from_secs(2),
            "port {port} is still taken after cancelling"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn add_and_delete_a_server_from_the_ui() {
    let sb = Sandbox::new();
    let mut pty = tui(&sb, "normal");
    pty.wait_text("No MCP servers yet.", WAIT);
    pty.send("a");
    pty.wait_text("Add a server", WAIT);
    pty.send("notes\thttp://example.com/mcp\r");
    pty.wait_text("plain http:// is only allowed", WAIT);
    // Fix the URL: clear the field and type it again.
    pty.send(&"\x7f".repeat(40));
    pty.send("https://notes.example.com/mcp\r");
    pty.wait_for("the new server", WAIT, |s| row(s, "notes").contains("none"));
    assert!(pty.contents().contains("notes: added https://notes.example.com/mcp"));
    pty.send("d");
    pty.wait_text("Delete notes?", WAIT);
    pty.send("y");
    pty.wait_text("No MCP servers yet.", WAIT);
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    assert_eq!(sb.ok(&["list", "--json"]).json(), serde_json::json!([]));
}

#[test]
fn no_color_means_no_colour() {
    let sb = Sandbox::new();
    sb.ok(&["add", "demo", "https://demo.example.com/mcp"]);
    let mut cmd = tui_command(&sb, "normal");
    cmd.env("NO_COLOR", "1");
    let mut pty = Pty::spawn(cmd, 24, 80);
    pty.wait_for("the list", WAIT, |s| row(s, "demo").contains("○ none"));
    pty.with_screen(|s| {
        let (rows, cols) = s.size();
        for r in 0..u16::from(rows) {
            for c in 0..u16::from(cols) {
                let cell = s.cell(r, c).unwrap();
                assert_eq!(cell.fgcolor(), vt100::Color::Default, "colour at {r},{c}");
                assert_eq!(cell.bgcolor(), vt100::Color::Default, "background at {r},{c}");
            }
        }
        // The selection is still visible, in reverse video.
        let (r, c) = find(s, "○ none");
        assert!(s.cell(r, c + 2).unwrap().inverse(), "the selected row is reversed");
    });
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
}
