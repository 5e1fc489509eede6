//! `mcp-accounts proxy NAME` through the real binary, against the test server's MCP endpoint: messages
//! both ways over JSON answers, event streams and the older HTTP+SSE transport, the session and version
//! headers, the session deleted on exit, a refresh when the server stops taking a token, an error naming
//! the login command when nothing else helps, and step-up.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::auth_server::{McpTransport, Options, TestServer};
use crate::support::bin::Sandbox;
use crate::support::flow::setup;
use crate::support::stdio::Proxy;

fn logged_in(opts: Options) -> (Sandbox, TestServer) {
    let (sb, server) = setup(opts);
    let run = sb.login("test", "normal");
    assert_eq!(run.code, 0, "{run}");
    (sb, server)
}

fn initialize() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "proxy-test", "version": "1"}})
}

#[test]
fn messages_go_both_ways_over_json_answers_and_event_streams() {
    for transport in [McpTransport::Json, McpTransport::EventStream] {
        let (sb, server) = logged_in(Options {
            mcp_transport: transport,
            ..Options::default()
        });
        let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
        proxy.send(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize(),
            "x-unknown-field": {"kept": true}}),
        );
        let (init, before) = proxy.until_answer(&json!(1), Duration::from_secs(10));
        assert_eq!(init["result"]["serverInfo"]["name"], "test-server", "{transport:?}");
        if transport == McpTransport::EventStream {
            // What the server sent before its answer, in the same stream, arrives first.
            assert_eq!(before[0]["method"], "notifications/message", "{before:?}");
        }
        proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        proxy.send(&json!({"jsonrpc": "2.0", "id": "two", "method": "tools/list"}));
        let (tools, mut unasked) = proxy.until_answer(&json!("two"), Duration::from_secs(10));
        assert_eq!(tools["result"]["tools"][0]["name"], "echo");
        proxy.send(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": "hi"}}}));
        let (call, more) = proxy.until_answer(&json!(3), Duration::from_secs(10));
        unasked.extend(more);
        assert_eq!(call["result"]["content"][0]["text"], "echo: hi");
        let unknown = proxy.call(4, "no/such", json!({}));
        assert_eq!(
            unknown["error"]["code"], -32601,
            "the server's own error passes unchanged"
        );
        if transport == McpTransport::EventStream {
            // The GET stream carries what the server sends unasked.
            let list_changed = |m: &Value| m["method"] == "notifications/tools/list_changed";
            let deadline = Instant::now() + Duration::from_secs(5);
            while !unasked.iter().any(list_changed) && Instant::now() < deadline {
                unasked.push(proxy.recv(Duration::from_secs(5)));
            }
            assert!(
                unasked.iter().any(list_changed),
                "the GET stream's notification arrived: {unasked:?}"
            );
        }
        let (code, took, stderr) = proxy.close();
        assert_eq!(code, 0, "{stderr}");
        assert!(took < Duration::from_secs(3), "exited {took:?} after stdin closed");

        let (methods, sessions, versions, deletes, get_streams) = server.mcp_log();
        assert_eq!(
            methods,
            [
                "initialize",
                "notifications/initialized",
                "tools/list",
                "tools/call",
                "no/such"
            ]
        );
        assert_eq!(sessions[0], None, "no session id before the server gave one");
        let session = sessions[1].clone().expect("the session id is sent after initialize");
        assert!(
            sessions[1..].iter().all(|s| s.as_ref() == Some(&session)),
            "{sessions:?}"
        );
        assert_eq!(versions[0], None);
        assert!(
            versions[1..].iter().all(|v| v.as_deref() == Some("2025-06-18")),
            "{versions:?}"
        );
        assert_eq!(deletes, 1, "the session was deleted on exit");
        let expected_gets = usize::from(transport == McpTransport::EventStream);
        assert_eq!(get_streams, expected_gets, "{transport:?}");
    }
}

#[test]
fn a_server_of_the_older_http_sse_transport_is_reached_too() {
    let (sb, server) = logged_in(Options {
        mcp_transport: McpTransport::HttpSse,
        ..Options::default()
    });
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    let init = proxy.call(1, "initialize", initialize());
    assert_eq!(init["result"]["serverInfo"]["version"], "1.2.3");
    proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let call = proxy.call(2, "tools/call", json!({"name": "echo", "arguments": {"text": "old"}}));
    assert_eq!(call["result"]["content"][0]["text"], "echo: old");
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    let (methods, ..) = server.mcp_log();
    assert_eq!(methods, ["initialize", "notifications/initialized", "tools/call"]);
}

#[test]
fn a_token_the_server_stops_taking_is_refreshed_and_the_request_still_succeeds() {
    let (sb, server) = logged_in(Options::default());
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    assert!(proxy.call(1, "initialize", initialize())["result"].is_object());
    let before = crate::support::flow::token_of(&sb);
    server.expire_access_tokens();
    let call = proxy.call(2, "tools/call", json!({"name": "echo", "arguments": {"text": "later"}}));
    assert_eq!(call["result"]["content"][0]["text"], "echo: later");
    assert_eq!(server.refreshes(), 1);
    assert_ne!(crate::support::flow::token_of(&sb), before, "the new token is stored");
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn when_no_login_can_help_the_request_gets_an_error_naming_the_command_at_once() {
    let (sb, _server) = logged_in(Options {
        refuse_every_token: true,
        ..Options::default()
    });
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    let started = Instant::now();
    proxy.send(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}));
    let (answer, _) = proxy.until_answer(&json!(7), Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("run: mcp-accounts login test"), "{message}");

    // A line that is not JSON is answered with a parse error, and the proxy goes on.
    proxy.send_raw("{not json");
    assert_eq!(proxy.recv(Duration::from_secs(2))["error"]["code"], -32700);
    let (code, _, _) = proxy.close();
    assert_eq!(code, 0);

    // Not logged in at all: the same kind of answer.
    sb.ok(&["logout", "test", "--local"]);
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    let answer = proxy.call(1, "initialize", initialize());
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("test is not logged in; run: mcp-accounts login test"),
        "{answer}"
    );
}

#[test]
fn a_request_that_needs_more_scopes_steps_up_in_the_browser_or_says_which() {
    let opts = || Options {
        required_scope: Some("mcp:admin"),
        ..Options::default()
    };
    // Without a browser: the error names the scopes and the command.
    let (sb, server) = logged_in(opts());
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test", "--no-browser"]));
    let answer = proxy.call(1, "tools/list", json!({}));
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("mcp:admin") && message.contains("run: mcp-accounts login test --scope mcp:admin"),
        "{message}"
    );
    drop(proxy);
    assert_eq!(server.authorize_scopes().len(), 1, "no second login without a browser");

    // With one: a new authorization with the union of the scopes, then the request succeeds.
    let mut proxy = Proxy::start(sb.cmd_browser(&["proxy", "test"], "normal"));
    let answer = proxy.call(1, "tools/list", json!({}));
    assert_eq!(answer["result"]["tools"][0]["name"], "echo", "{answer}");
    assert_eq!(server.authorize_scopes()[1], "mcp:tools mcp:admin");
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wants the scope(s) mcp:admin"), "{stderr}");
}

#[test]
fn a_request_of_the_server_reaches_the_client_and_its_answer_goes_back() {
    let (sb, server) = logged_in(Options {
        mcp_transport: McpTransport::EventStream,
        ..Options::default()
    });
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    assert!(proxy.call(1, "initialize", initialize())["result"].is_object());
    proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    // The server's ping comes on the GET stream; the client answers it on stdin.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let message = proxy.recv(deadline.saturating_duration_since(Instant::now()));
        if message["method"] == "ping" {
            assert_eq!(message["id"], "server-ping-1");
            break;
        }
    }
    proxy.send(&json!({"jsonrpc": "2.0", "id": "server-ping-1", "result": {}}));
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    let (methods, sessions, ..) = server.mcp_log();
    assert_eq!(methods, ["initialize", "notifications/initialized", "(answer)"]);
    assert_eq!(sessions[2], sessions[1], "the answer goes in the same session");
}

/// A server that forgets its sessions (a restart) answers 404 to the old session id. The proxy begins a
/// new session with the client's own `initialize` and `notifications/initialized` and sends the request
/// again, so the client's call succeeds without the client knowing; for both kinds of answer.
#[test]
fn a_session_the_server_ended_is_begun_again_and_the_request_goes_through() {
    for transport in [McpTransport::Json, McpTransport::EventStream] {
        let (sb, server) = logged_in(Options {
            mcp_transport: transport,
            ..Options::default()
        });
        let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
        assert!(proxy.call(1, "initialize", initialize())["result"].is_object());
        proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        assert!(proxy.call(2, "tools/list", json!({}))["result"].is_object());
        server.end_mcp_sessions();
        let call = proxy.call(
            3,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "after a restart"}}),
        );
        assert_eq!(
            call["result"]["content"][0]["text"], "echo: after a restart",
            "{transport:?}: {call}"
        );
        assert!(proxy.call(4, "tools/list", json!({}))["result"].is_object());
        // Again, with two requests on their way at once: one new session, both answered.
        server.end_mcp_sessions();
        proxy.send(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}));
        proxy.send(&json!({"jsonrpc": "2.0", "id": 6, "method": "tools/list"}));
        // They may come back in either order, with the server's notifications among them.
        let mut answered = Vec::new();
        while answered.len() < 2 {
            let message = proxy.recv(Duration::from_secs(10));
            if message.get("method").is_some() {
                continue; // what the server says on the way
            }
            assert!(message["result"].is_object(), "{transport:?}: {message}");
            answered.push(message["id"].clone());
        }
        answered.sort_by_key(|id| id.as_i64());
        assert_eq!(answered, [json!(5), json!(6)]);
        let (code, _, stderr) = proxy.close();
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("the server ended the MCP session (HTTP 404); beginning a new one"),
            "{stderr}"
        );

        let (methods, sessions, versions, deletes, _) = server.mcp_log();
        assert_eq!(
            methods.iter().filter(|m| *m == "initialize").count(),
            3,
            "{transport:?}: {methods:?}"
        );
        assert_eq!(
            methods[..8],
            [
                "initialize",
                "notifications/initialized",
                "tools/list",
                "tools/call",
                "initialize",
                "notifications/initialized",
                "tools/call",
                "tools/list"
            ],
            "{transport:?}"
        );
        let (old, new) = (sessions[1].clone().unwrap(), sessions[5].clone().unwrap());
        assert_ne!(old, new);
        assert_eq!(
            sessions[3].as_deref(),
            Some(old.as_str()),
            "the request that got the 404"
        );
        assert_eq!(sessions[4], None, "the new initialize goes without a session id");
        assert!(
            sessions[5..8].iter().all(|s| s.as_deref() == Some(new.as_str())),
            "{sessions:?}"
        );
        assert_eq!(versions[4], None);
        assert!(
            versions[5..8].iter().all(|v| v.as_deref() == Some("2025-06-18")),
            "{versions:?}"
        );
        assert_eq!(deletes, 1, "the new session is deleted on exit");
    }
}

/// A client of the `initialize` era behind the proxy, a server of the 2026-07-28 era only in front: the
/// server refuses `initialize` (400), so the proxy answers it from `server/discover` and adds the modern
/// `_meta` and headers to every later request, which the server checks. The client sees an ordinary
/// session; the server sees modern requests and no session.
#[test]
fn a_client_of_the_initialize_era_reaches_a_server_of_the_modern_era_only() {
    let (sb, server) = logged_in(Options {
        mcp_modern_only: true,
        ..Options::default()
    });
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    let init = proxy.call(1, "initialize", initialize());
    assert_eq!(
        init["result"]["protocolVersion"], "2025-06-18",
        "the client's own: {init}"
    );
    assert_eq!(init["result"]["serverInfo"]["version"], "2.0.0", "from server/discover");
    assert!(init["result"]["capabilities"]["prompts"].is_object(), "{init}");
    proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let tools = proxy.call(2, "tools/list", json!({}));
    assert_eq!(tools["result"]["tools"][0]["name"], "echo", "{tools}");
    let call = proxy.call(
        3,
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "modern"}}),
    );
    assert_eq!(call["result"]["content"][0]["text"], "echo: modern", "{call}");
    let prompts = proxy.call(4, "prompts/list", json!({"cursor": null}));
    assert_eq!(
        prompts["result"]["prompts"].as_array().map(Vec::len),
        Some(2),
        "{prompts}"
    );
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("the server speaks MCP 2026-07-28 only"), "{stderr}");

    let (methods, sessions, versions, deletes, get_streams) = server.mcp_log();
    assert_eq!(
        methods,
        [
            "initialize",
            "server/discover",
            "tools/list",
            "tools/call",
            "prompts/list"
        ]
    );
    assert!(sessions.iter().all(Option::is_none), "no session: {sessions:?}");
    assert!(
        versions[1..].iter().all(|v| v.as_deref() == Some("2026-07-28")),
        "{versions:?}"
    );
    assert_eq!((deletes, get_streams), (0, 0), "nothing to delete, no GET stream");
}

/// A server that polls (2025-11-25): it cuts each request's event stream after an event with an id and a
/// `retry` of 300 ms, and gives the answer on a GET with that `Last-Event-ID`. The proxy waits the 300 ms,
/// resumes, and the client gets every answer as if nothing had been cut.
#[test]
fn an_event_stream_cut_before_its_answer_is_resumed_after_the_retry_delay() {
    let (sb, server) = logged_in(Options {
        mcp_transport: McpTransport::EventStream,
        sse_polling: Some(300),
        ..Options::default()
    });
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test"]));
    proxy.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize()}));
    let (init, before) = proxy.until_answer(&json!(1), Duration::from_secs(10));
    assert_eq!(init["result"]["serverInfo"]["name"], "test-server", "{init}");
    assert_eq!(
        before[0]["method"], "notifications/message",
        "what came before the cut: {before:?}"
    );
    proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let call = proxy.call(
        2,
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "polled"}}),
    );
    assert_eq!(call["result"]["content"][0]["text"], "echo: polled", "{call}");
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");

    let resumed = server.sse_resumed_after();
    assert_eq!(resumed.len(), 2, "both answers were asked for again: {resumed:?}");
    assert!(
        resumed.iter().all(|after| *after >= Duration::from_millis(300)),
        "the retry delay was respected: {resumed:?}"
    );
}

/// A token no refresh can save, on a server that moved to another authorization server meanwhile: with a
/// browser, the proxy logs in again (discovering the new server and registering there), and the request
/// goes through. A second such failure within 10 minutes gets the error naming the command instead of
/// another browser window.
#[test]
fn a_token_past_saving_gets_a_new_login_in_the_browser_once() {
    let (sb, server) = logged_in(Options::default());
    let mut proxy = Proxy::start(sb.cmd_browser(&["proxy", "test", "--login-timeout", "20"], "normal"));
    assert!(proxy.call(1, "initialize", initialize())["result"].is_object());
    server.move_authorization_server();
    server.kill_grants();
    server.expire_access_tokens();
    let call = proxy.call(2, "tools/call", json!({"name": "echo", "arguments": {"text": "again"}}));
    assert_eq!(call["result"]["content"][0]["text"], "echo: again", "{call}");
    assert_eq!(
        server.registrations().len(),
        2,
        "registered with the new authorization server"
    );
    assert_eq!(server.authorize_scopes().len(), 2, "one new login");
    assert_eq!(
        crate::support::flow::list_row(&sb)["issuer"],
        format!("{}/as2", server.base())
    );

    server.kill_grants();
    server.expire_access_tokens();
    let started = Instant::now();
    let answer = proxy.call(3, "tools/list", json!({}));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("run: mcp-accounts login test"),
        "{answer}"
    );
    assert_eq!(server.authorize_scopes().len(), 2, "no second browser login");
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("; logging in again in the browser"), "{stderr}");
}

#[test]
fn a_header_given_on_the_command_line_goes_with_every_request() {
    let (sb, server) = logged_in(Options::default());
    let mut proxy = Proxy::start(sb.cmd(&["proxy", "test", "--header", "X-Tenant: acme"]));
    assert!(proxy.call(1, "initialize", initialize())["result"].is_object());
    proxy.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert!(proxy.call(2, "tools/list", json!({}))["result"].is_object());
    let (code, _, stderr) = proxy.close();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.mcp_tenants(), vec![Some("acme".to_owned()); 3]);
}

#[test]
fn bad_proxy_arguments_fail_before_reading_anything() {
    let (sb, _server) = setup(Options::default());
    let run = sb.run(&["proxy", "nope"]);
    assert_eq!(run.code, 1);
    assert!(run.one_error_line().contains("no server named \"nope\""), "{run}");
    let run = sb.run(&["proxy", "test", "--header", "Authorization: Bearer x"]);
    assert_eq!(run.code, 2);
    assert!(run.one_error_line().contains("cannot be set"), "{run}");
}
