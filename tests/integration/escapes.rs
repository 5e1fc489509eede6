//! A hostile server puts terminal escapes (ESC, OSC 52, C1, bidi and format characters) in every string it
//! sends, one string at a time: every command and the TUI run against it, and no byte of it reaches the
//! terminal (stdout, stderr, the pseudo-terminal stream) or the database.

use std::time::{Duration, Instant};

use crate::support::auth_server::{Doc, Options, Poison, TestServer};
use crate::support::bin::{Run, Sandbox};
use crate::support::pty::{Pty, tui_command};

/// The first character a terminal could act on, other than newline and tab: controls (C0, DEL, C1) and
/// the format, bidi and separator characters that reorder or hide text.
fn first_unsafe(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{feff}')
            || ('\u{200b}'..='\u{200f}').contains(&c)
            || ('\u{2028}'..='\u{202e}').contains(&c)
            || ('\u{2060}'..='\u{206f}').contains(&c)
    })
}

fn assert_safe(text: &str, what: &str) {
    if let Some((at, c)) = first_unsafe(text) {
        let from = text[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
        panic!("{what}: {c:?} at byte {at}, after {:?}", &text[from..at]);
    }
}

/// The pseudo-terminal stream: the TUI's own control sequences are CSI (`ESC [` parameters, a final
/// letter); anything else (OSC, DCS, a lone ESC, BEL, C1, bidi) came from somewhere else.
fn assert_safe_stream(raw: &[u8], what: &str) {
    let text = String::from_utf8_lossy(raw);
    let mut rest = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            rest.push(c);
            continue;
        }
        assert_eq!(chars.next(), Some('['), "{what}: an escape that is not CSI");
        // Parameter and intermediate bytes, then one final byte.
        loop {
            match chars.next() {
                Some('\u{30}'..='\u{3f}' | '\u{20}'..='\u{2f}') => {}
                Some('\u{40}'..='\u{7e}') => break,
                other => panic!("{what}: a malformed CSI sequence ending in {other:?}"),
            }
        }
    }
    // \r is how a terminal program moves to the line start.
    assert_safe(&rest.replace('\r', ""), what);
}

/// Every key stored, and every string inside each stored JSON value (escapes decoded).
fn assert_nothing_stored(sb: &Sandbox, what: &str) {
    use mcp_accounts::store::KvStore;
    let kv = mcp_accounts::store::SqliteKv::open(&sb.db, mcp_accounts::store::OpenMode::ReadOnly).unwrap();
    for (key, json) in kv.scan_prefix("").unwrap() {
        assert_safe(&key, &format!("{what}: the key {key:?}"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut strings = Vec::new();
        walk(&value, &mut strings);
        for s in strings {
            assert_safe(&s, &format!("{what}: stored in {key}"));
        }
    }
}

fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            walk(v, out)
        }),
        _ => {}
    }
}

/// Run a command; whatever it did, nothing it wrote may carry the payload, and it must not panic.
fn run(sb: &Sandbox, args: &[&str], what: &str) -> Run {
    let mut cmd = sb.cmd_browser(args, "normal");
    cmd.env("MCP_ACCOUNTS_HTTP_TIMEOUT", "5");
    let run = Run::from(cmd.output().unwrap());
    let what = format!("{what}: {args:?}");
    assert_safe(&run.stdout, &format!("{what} stdout"));
    assert_safe(&run.stderr, &format!("{what} stderr"));
    assert!(!run.stderr.contains("panicked"), "{what}: {run}");
    assert!(run.code == 0 || run.code == 1, "{what}: exit {}: {run}", run.code);
    run
}

const WAIT: Duration = Duration::from_secs(20);

/// The TUI: discover, log in, refresh and log out with its keys, then quit.
fn run_tui(sb: &Sandbox, what: &str) {
    let mut cmd = tui_command(sb, "normal");
    cmd.env("MCP_ACCOUNTS_HTTP_TIMEOUT", "5");
    let mut pty = Pty::spawn(cmd, 30, 120);
    pty.wait_text("1 server loaded", WAIT);
    // Send keys and wait for one of the texts that end the work they start.
    let step = |pty: &mut Pty, keys: &str, ends: &[&str]| {
        pty.send(keys);
        pty.wait_for(&format!("{what}: {keys:?} to end in one of {ends:?}"), WAIT, |s| {
            ends.iter().any(|e| s.contains(e))
        });
    };
    step(&mut pty, "D", &["test: discovered", "test: discovery failed"]);
    // A login whose answer was refused (a poisoned state) or whose URL no browser took keeps waiting:
    // cancel it (Esc on its own, then wait for it to be read before the next key).
    // The account is logged in by now: l asks first, and y answers.
    step(
        &mut pty,
        "ly",
        &["test: logged in", "test: login failed", "still waiting", "copy the URL"],
    );
    let screen = pty.contents();
    if !screen.contains("test: logged in") && !screen.contains("test: login failed") {
        pty.send("\u{1b}");
        pty.wait_text("test: login cancelled", WAIT);
    }
    step(
        &mut pty,
        "r",
        &[
            "test: refreshed",
            "test: refresh failed",
            "test is not logged in; press l",
        ],
    );
    // Its own line: the refresh's "not logged in" line is still on the screen.
    pty.send("x");
    pty.wait_for(&format!("{what}: x to ask or refuse"), WAIT, |s| {
        s.contains("Log out of test?") || s.lines().any(|l| l.trim_end().ends_with("test is not logged in"))
    });
    if pty.contents().contains("Log out of test?") {
        step(&mut pty, "y", &["test: logged out", "test: logout failed"]);
    }
    pty.send("q");
    let code = pty.wait_exit(WAIT);
    assert_eq!(code, 0, "{what}: the TUI quit");
    assert_safe_stream(&pty.raw(), &format!("{what}: the TUI's terminal stream"));
}

/// One poisoned string: every command, the TUI, the database.
fn run_case(poison: Poison) -> Option<usize> {
    let what = format!("{:?} string {}", poison.doc, poison.index);
    let server = TestServer::start(Options {
        send_iss: true,
        ..Options::default()
    });
    server.poison(Some(poison));
    let sb = Sandbox::new();
    let url = server.mcp_url();
    run(&sb, &["add", "test", &url], &what);
    run(&sb, &["discover", "test"], &what);
    run(&sb, &["discover", "test", "--json"], &what);
    run(&sb, &["login", "test", "--timeout", "3"], &what);
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["--list"],
        &["status"],
        &["status", "--json"],
        &["token", "test"],
        &["refresh", "test"],
        &["refresh", "--all"],
    ] {
        run(&sb, args, &what);
    }
    assert_nothing_stored(&sb, &what);
    run_tui(&sb, &what);
    assert_nothing_stored(&sb, &what);
    run(&sb, &["login", "test", "--timeout", "3"], &what);
    run(&sb, &["logout", "test"], &what);
    run(&sb, &["list"], &what);
    assert_nothing_stored(&sb, &what);
    assert!(
        server.poison_applied(),
        "{what}: the poisoned answer was never asked for"
    );
    server.poison_strings(poison.doc)
}

/// Poison each string of `doc` in turn (and a field of its own with a poisoned name).
fn every_string_of(doc: Doc) {
    let started = Instant::now();
    let mut index = 0;
    loop {
        let strings = run_case(Poison { doc, index }).expect("the document was served");
        index += 1;
        if index > strings {
            break;
        }
    }
    eprintln!("{doc:?}: {index} poisoned answers in {:?}", started.elapsed());
    assert!(index >= 2, "{doc:?} had strings to poison");
}

#[test]
fn the_challenge() {
    every_string_of(Doc::Challenge);
}

#[test]
fn the_resource_metadata() {
    every_string_of(Doc::ResourceMetadata);
}

#[test]
fn the_authorization_server_metadata() {
    every_string_of(Doc::ServerMetadata);
}

#[test]
fn the_registration() {
    every_string_of(Doc::Registration);
}

#[test]
fn a_registration_error() {
    every_string_of(Doc::RegistrationError);
}

#[test]
fn the_authorization_response() {
    every_string_of(Doc::Authorization);
}

#[test]
fn the_token_response() {
    every_string_of(Doc::Token);
}

#[test]
fn a_token_error() {
    every_string_of(Doc::TokenError);
}

#[test]
fn a_revocation_error() {
    every_string_of(Doc::RevocationError);
}

/// The other end: records written before the ingest rules existed (or by anything else with access to
/// the file) may hold escapes. `list`, `status` and the TUI print them made safe; `--json` keeps them,
/// escaped as `\uXXXX`.
#[test]
fn escapes_already_stored_never_reach_the_terminal() {
    use mcp_accounts::secret::Secret;
    use mcp_accounts::store::{KvTokenStore, OpenMode, RefreshRecord, SqliteKv, StoredToken, TokenStore};
    const PAYLOAD: &str = "\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\u{7}\u{9b}2J\u{202e}\u{2066}\u{200b}\u{2028}";
    let sb = Sandbox::new();
    sb.ok(&["add", "test", "https://mcp.example.com/mcp"]);
    let store = KvTokenStore::new(SqliteKv::open(&sb.db, OpenMode::ReadWrite).unwrap());
    let now = mcp_accounts::clock::unix_now();
    let token = StoredToken {
        access_token: Secret::new("at"),
        refresh_token: Some(Secret::new("rt")),
        token_type: format!("Bearer{PAYLOAD}"),
        scopes: vec![format!("mcp:tools{PAYLOAD}"), PAYLOAD.to_owned()],
        requested_scopes: vec![PAYLOAD.to_owned()],
        expires_at: Some(now + 3600),
        issuer: format!("https://as.example.com/{PAYLOAD}"),
        resource: format!("https://mcp.example.com/mcp{PAYLOAD}"),
        obtained_at: now,
        last_refresh: Some(RefreshRecord {
            at: now,
            ok: false,
            error: Some(format!("the server said {PAYLOAD}")),
        }),
        generation: 1,
        identity: None,
    };
    store.set_token("test", &token).unwrap();
    drop(store);

    let what = "stored escapes";
    for args in [&["list"][..], &["--list"], &["status"], &["status", "test"]] {
        run(&sb, args, what);
    }
    for args in [&["list", "--json"][..], &["status", "--json"]] {
        let printed = run(&sb, args, what);
        let mut strings = Vec::new();
        walk(&printed.json(), &mut strings);
        assert!(
            strings.iter().any(|s| s.contains(PAYLOAD)),
            "{args:?}: the characters are kept, escaped: {}",
            printed.stdout
        );
    }
    let mut cmd = tui_command(&sb, "normal");
    cmd.env("MCP_ACCOUNTS_HTTP_TIMEOUT", "5");
    let mut pty = Pty::spawn(cmd, 30, 120);
    pty.wait_text("1 server loaded", WAIT);
    pty.wait_text("Scopes", WAIT);
    pty.send("L");
    pty.wait_text("Activity", WAIT);
    pty.send("\u{1b}");
    std::thread::sleep(Duration::from_millis(100));
    pty.send("q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    assert_safe_stream(&pty.raw(), &format!("{what}: the TUI's terminal stream"));
}
