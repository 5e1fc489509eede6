//! A real MCP client through the proxy: the TypeScript SDK's `Client` with `StdioClientTransport` spawns
//! `mcp-accounts proxy NAME`, as a desktop client does with `npx mcp-remote URL`. Against the SDK's own
//! example server (lists tools, calls one); against the test server with a token that the server stops
//! taking mid-session (the proxy refreshes, the call succeeds); against a server that refuses every
//! token (the client gets an error naming the login command within 2 s).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::Sandbox;
use crate::support::ts_sdk::{ExampleServer, have, install_packages, interop_dir};

/// Run the SDK client script; with `between`, pause after the first call and run it before the second.
fn ts_client(sb: &Sandbox, name: &str, tool: &str, arguments: &str, between: Option<&dyn Fn()>) -> Value {
    let dir = interop_dir();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("proxy-client.mjs"))
        .args([
            env!("CARGO_BIN_EXE_mcp-accounts"),
            sb.db.to_str().unwrap(),
            name,
            tool,
            arguments,
        ])
        .current_dir(&dir)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", sb.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if between.is_some() {
        cmd.arg("pause");
    }
    let mut child = cmd.spawn().expect("node starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || -> Value {
        let line = lines.next().expect("a report line").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    if let Some(between) = between {
        let ready = next();
        assert_eq!(ready["ready"], true, "{ready}");
        between();
        writeln!(stdin, "go").unwrap();
    }
    let report = next();
    let output = child.wait_with_output().unwrap();
    eprintln!("client stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    report
}

#[test]
fn the_typescript_sdk_client_works_through_the_proxy() {
    if !have("node") {
        eprintln!("SKIPPED: node is not installed, so the MCP TypeScript SDK client cannot run");
        return;
    }
    install_packages(&interop_dir());

    // The SDK's example server, logged in once; the client lists the tools and calls one.
    let server = ExampleServer::start(&interop_dir());
    let sb = Sandbox::new();
    sb.ok(&["add", "example", &server.mcp_url("localhost")]);
    let run = sb.login("example", "normal");
    assert_eq!(run.code, 0, "{run}");
    let report = ts_client(&sb, "example", "greet", r#"{"name":"proxy"}"#, None);
    assert_eq!(report["error"], Value::Null, "{report}");
    assert_eq!(report["server"]["name"], "simple-streamable-http-server", "{report}");
    assert!(
        report["tools"].as_array().unwrap().contains(&Value::from("greet")),
        "{report}"
    );
    assert_eq!(report["first"]["content"][0]["text"], "Hello, proxy!", "{report}");
    // verify speaks to the same server by itself: server/discover is refused, initialize works.
    let verified = sb.ok(&["verify", "example", "--json"]).json();
    assert_eq!(verified["server_name"], "simple-streamable-http-server", "{verified}");
    assert_eq!(verified["handshake"], "initialize");
    assert!(verified["tools"].as_u64().unwrap() >= 1, "{verified}");

    // A token the server stops taking between two calls: the proxy refreshes and the call succeeds.
    let test = TestServer::start(Options::default());
    sb.ok(&["add", "test", &test.mcp_url()]);
    assert_eq!(sb.login("test", "normal").code, 0);
    let expire = || test.expire_access_tokens();
    let report = ts_client(&sb, "test", "echo", r#"{"text":"hi"}"#, Some(&expire));
    assert_eq!(report["error"], Value::Null, "{report}");
    assert_eq!(report["first"]["content"][0]["text"], "echo: hi");
    assert_eq!(report["second"]["content"][0]["text"], "echo: hi");
    assert_eq!(
        test.refreshes(),
        1,
        "one refresh when the server refused the expired token"
    );

    // A server of the 2026-07-28 era only: the SDK client's initialize is answered by the proxy's bridge
    // from server/discover, and its calls reach the server with the modern _meta and headers.
    let modern = TestServer::start(Options {
        mcp_modern_only: true,
        ..Options::default()
    });
    sb.ok(&["add", "modern", &modern.mcp_url()]);
    assert_eq!(sb.login("modern", "normal").code, 0);
    let report = ts_client(&sb, "modern", "echo", r#"{"text":"modern"}"#, None);
    assert_eq!(report["error"], Value::Null, "{report}");
    assert_eq!(report["server"]["version"], "2.0.0", "{report}");
    assert_eq!(report["first"]["content"][0]["text"], "echo: modern", "{report}");
    let (methods, ..) = modern.mcp_log();
    assert_eq!(methods[..2], ["initialize", "server/discover"], "{methods:?}");

    // A server that refuses every token: an error that names the command, within 2 s.
    let refusing = TestServer::start(Options {
        refuse_every_token: true,
        ..Options::default()
    });
    sb.ok(&["add", "refusing", &refusing.mcp_url()]);
    assert_eq!(sb.login("refusing", "normal").code, 0);
    let report = ts_client(&sb, "refusing", "echo", "{}", None);
    let error = report["error"].as_str().expect("the connect failed");
    assert!(error.contains("run: mcp-accounts login refusing"), "{error}");
    let ms = report["error_after_ms"].as_u64().unwrap();
    assert!(ms < 2000, "the error took {ms} ms");
}
