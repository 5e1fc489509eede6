//! `verify NAME` through the real binary: a 2026-07-28 server is asked `server/discover`; an older one
//! answers that with an error and gets `initialize`, and its session is deleted afterwards; a missing login
//! is one line naming the command.

use serde_json::json;

use crate::support::auth_server::{McpTransport, Options, VERIFY_OLDER_SERVER};
use crate::support::flow::setup;

#[test]
fn an_older_server_is_verified_through_initialize_and_its_session_deleted() {
    for transport in [McpTransport::Json, McpTransport::EventStream] {
        let (sb, server) = setup(Options {
            mcp_transport: transport,
            ..Options::default()
        });
        assert_eq!(sb.login("test", "normal").code, 0);
        let run = sb.ok(&["verify", "test"]);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert!(
            lines[0].starts_with("test works: an authenticated MCP request was answered in "),
            "{run}"
        );
        assert_eq!(lines[1], "server      test-server 1.2.3");
        assert_eq!(lines[2], "protocol    2025-11-25 (by initialize)");
        assert_eq!(lines[3], "tools       1");
        assert_eq!(lines[4], "resources   not offered");
        assert_eq!(lines[5], "prompts     not offered");
        let (methods, sessions, _, deletes, _) = server.mcp_log();
        assert_eq!(methods, VERIFY_OLDER_SERVER, "{transport:?}");
        assert!(sessions[2].is_some() && sessions[3] == sessions[2], "{sessions:?}");
        assert_eq!(deletes, 1);
    }
}

/// Against a server that also speaks the older revisions, and against one that speaks only 2026-07-28 and
/// refuses a request without the modern `_meta` and headers (and names itself in the result's `_meta`).
#[test]
fn a_2026_07_28_server_is_verified_by_server_discover() {
    for only in [false, true] {
        let (sb, server) = setup(Options {
            mcp_modern: true,
            mcp_modern_only: only,
            ..Options::default()
        });
        assert_eq!(sb.login("test", "normal").code, 0);
        let v = sb.ok(&["verify", "test", "--json"]).json();
        assert_eq!(v["server_name"], "test-server", "modern only: {only}");
        assert_eq!(v["server_version"], "2.0.0");
        assert_eq!(v["protocol_version"], "2026-07-28");
        assert_eq!(v["handshake"], "server/discover");
        assert_eq!(
            (v["tools"].clone(), v["resources"].clone(), v["prompts"].clone()),
            (json!(1), json!(null), json!(2))
        );
        let (methods, sessions, versions, deletes, _) = server.mcp_log();
        assert_eq!(methods, ["server/discover", "tools/list", "prompts/list"]);
        assert!(sessions.iter().all(Option::is_none), "no session in 2026-07-28");
        assert!(
            versions.iter().all(|v| v.as_deref() == Some("2026-07-28")),
            "{versions:?}"
        );
        assert_eq!(deletes, 0);
    }
}

#[test]
fn an_account_that_cannot_be_verified_says_what_to_run() {
    let (sb, _server) = setup(Options::default());
    let run = sb.run(&["verify", "test"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.one_error_line(),
        "error: test is not logged in; run: mcp-accounts login test"
    );
    let (sb, _server) = setup(Options {
        required_scope: Some("mcp:admin"),
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    let run = sb.run(&["verify", "test"]);
    assert_eq!(run.code, 1);
    assert!(
        run.one_error_line()
            .ends_with("wants the scope(s) mcp:admin for this request; run: mcp-accounts login test --scope mcp:admin"),
        "{run}"
    );
}

/// A server that polls (2025-11-25) cuts each answer's event stream after an event with an id and a
/// `retry`; verify resumes each with a GET naming that id, after the delay, and gets every answer.
#[test]
fn an_event_stream_cut_before_its_answer_is_resumed() {
    let (sb, server) = setup(Options {
        mcp_transport: McpTransport::EventStream,
        sse_polling: Some(200),
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    let v = sb.ok(&["verify", "test", "--json"]).json();
    assert_eq!(v["handshake"], "initialize", "{v}");
    assert_eq!(v["tools"], 1, "{v}");
    let resumed = server.sse_resumed_after();
    assert_eq!(
        resumed.len(),
        3,
        "server/discover (refused), initialize, tools/list: {resumed:?}"
    );
    assert!(
        resumed
            .iter()
            .all(|after| *after >= std::time::Duration::from_millis(200))
    );
}
