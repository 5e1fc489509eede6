//! Interop: the real binary logs in to the OAuth example server of the official MCP TypeScript SDK
//! (`@modelcontextprotocol/sdk`, pinned in tests/interop/package-lock.json), a server nobody here wrote.
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
