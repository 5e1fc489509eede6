//! Interop: the real binary logs in to servers nobody here wrote: the OAuth example server of the official
//! MCP TypeScript SDK (`@modelcontextprotocol/sdk`, pinned in tests/interop/package-lock.json), and an
//! authorization server built on the MCP Python SDK's auth framework (`mcp` 2.3.0 on PyPI, the base of
//! FastMCP; tests/interop/python, pinned in requirements.txt, installed into a venv under target/).
//!
//! The test installs the package itself (`npm ci`) when `node_modules` is missing or older than the lock
//! file, starts the example on free ports bound to 127.0.0.1 (a `--require` preload pins `listen`), and
//! stops it by its pid when the test ends, also when it fails. Skipped, with a message, only when `node`
//! is not installed.
//!
//! The example's registration endpoint allows 20 registrations per hour: everything happens in one test
//! against one server process, which registers a handful of times.

use std::time::Instant;

use crate::support::bin::{Run, Sandbox};
use crate::support::py_sdk::{PythonServer, venv_python};
use crate::support::ts_sdk::{ExampleServer, have, install_packages, interop_dir};

/// An MCP `initialize` request with a bearer token, as an MCP client sends it; the HTTP status and body.
fn initialize(url: &str, token: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "mcp-accounts-interop", "version": "1"}}
            }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    })
}

fn login(sb: &Sandbox, name: &str) -> Run {
    sb.login(name, "normal")
}

#[test]
fn logs_in_to_the_typescript_sdk_example_server() {
    if !have("node") {
        eprintln!("SKIPPED: node is not installed, so the MCP TypeScript SDK example server cannot run");
        return;
    }
    let started = Instant::now();
    let dir = interop_dir();
    install_packages(&dir);
    let server = ExampleServer::start(&dir);
    let sb = Sandbox::new();
    let url = server.mcp_url("localhost");
    sb.ok(&["add", "ts", &url]);

    // What the server publishes.
    let d = sb.ok(&["discover", "ts", "--json"]).json();
    let issuer = format!("http://localhost:{}/", server.auth_port);
    assert_eq!(d["mode"], "protected_resource");
    assert_eq!(d["resource"], url);
    assert_eq!(d["protected_resource"]["resource"], url);
    assert_eq!(
        d["protected_resource"]["authorization_servers"],
        serde_json::json!([issuer])
    );
    assert_eq!(
        d["protected_resource"]["scopes_supported"],
        serde_json::json!(["mcp:tools"])
    );
    assert_eq!(
        d["authorization_server"]["issuer"], issuer,
        "an issuer with a trailing slash"
    );
    assert_eq!(
        d["authorization_server"]["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        d["authorization_server"]["revocation_endpoint"],
        serde_json::Value::Null
    );
    assert!(
        d["authorization_server"]["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("refresh_token"))
    );

    // Log in with the scripted browser.
    let run = login(&sb, "ts");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("no refresh token"), "{run}");
    let row = sb.ok(&["list", "--json"]).json()[0].clone();
    assert_eq!(row["status"], "valid");
    let secs = row["expires_in_secs"].as_i64().unwrap();
    assert!((3590..=3600).contains(&secs), "about an hour ahead: {secs}");
    assert_eq!(row["scopes"], serde_json::json!(["mcp:tools"]));
    assert_eq!(row["issuer"], issuer);
    assert_eq!(row["has_refresh_token"], false);
    let client_id = row["client_id"].as_str().unwrap().to_owned();

    // The token works for a real MCP request (--oauth-strict checked its resource).
    let token = sb.ok(&["token", "ts"]).stdout.trim().to_owned();
    assert!(!token.is_empty());
    let (status, body) = initialize(&url, &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"serverInfo\""), "{body}");

    // The server answers an invalid token with 500, not 401; discovery never sends a token, so it is unaffected.
    let (status, _) = initialize(&url, "not-a-token");
    assert_eq!(status, 500);

    // No refresh token was issued although refresh_token is listed: refreshing says to log in.
    let refresh = sb.run(&["refresh", "ts"]);
    assert_eq!(refresh.code, 1, "{refresh}");
    assert!(
        refresh
            .one_error_line()
            .contains("issued no refresh token; run: mcp-accounts login ts")
    );

    // No revocation endpoint: logout deletes here and says so.
    let logout = sb.ok(&["logout", "ts"]);
    assert!(
        logout
            .stdout
            .contains("deleted here only (the authorization server has no revocation endpoint)")
    );
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "none");

    // Logging in again reuses the registration (the example allows 20 per hour).
    assert_eq!(login(&sb, "ts").code, 0);
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["client_id"], client_id);

    // The same server added by its address rather than its name.
    let by_ip = server.mcp_url("127.0.0.1");
    sb.ok(&["add", "ts-ip", &by_ip]);
    let run = login(&sb, "ts-ip");
    assert_eq!(run.code, 0, "{run}");
    let token = sb.ok(&["token", "ts-ip"]).stdout.trim().to_owned();
    assert_eq!(initialize(&by_ip, &token).0, 200);

    eprintln!("interop: the whole test took {:?}", started.elapsed());
}

/// The Python SDK's servers take only confidential clients (`client_secret_post`/`client_secret_basic`)
/// and want a `client_secret` at /revoke: logout works only when the client registered the way the server
/// advertises.
#[test]
fn logs_in_refreshes_and_logs_out_at_a_python_sdk_server() {
    if !have("python3") {
        eprintln!("SKIPPED: python3 is not installed, so the MCP Python SDK server cannot run");
        return;
    }
    let Some(python) = venv_python() else {
        eprintln!("SKIPPED: python3 -m venv does not work here");
        return;
    };
    let server = PythonServer::start(&python);
    let sb = Sandbox::new();
    sb.ok(&["add", "py", &server.mcp_url()]);
    let d = sb.ok(&["discover", "py", "--json"]).json();
    assert_eq!(
        d["authorization_server"]["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post", "client_secret_basic"])
    );
    let first_login = login(&sb, "py");
    assert_eq!(first_login.code, 0, "{first_login}");
    assert!(first_login.stdout.contains("scopes: mcp:tools"), "{first_login}");
    let first = sb.ok(&["token", "py"]).stdout.trim().to_owned();
    assert_eq!(initialize(&server.mcp_url(), &first).0, 200);

    let refreshed = sb.run(&["refresh", "py"]);
    assert_eq!(refreshed.code, 0, "{refreshed}");
    let second = sb.ok(&["token", "py"]).stdout.trim().to_owned();
    assert_ne!(first, second);
    assert_eq!(initialize(&server.mcp_url(), &second).0, 200);

    let logout = sb.run(&["logout", "py"]);
    assert_eq!(logout.code, 0, "{logout}");
    assert!(logout.stdout.contains("revoked at the server"), "{logout}");
    assert_eq!(
        initialize(&server.mcp_url(), &second).0,
        401,
        "the revoked token is refused"
    );
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "none");
    // The registration stays, with its secret: the next login reuses it.
    let again = login(&sb, "py");
    assert_eq!(again.code, 0, "{again}");
    assert!(!again.stderr.contains("registering"), "{again}");
}
