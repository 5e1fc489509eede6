//! Helpers of the tests that log in through the real binary.

use super::auth_server::{Options, TestServer};
use super::bin::Sandbox;

/// Requests the client made (the browser's GET of /authorize is not one of them).
pub fn client_requests(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| !r.ends_with("/authorize"))
        .collect()
}

pub fn setup(opts: Options) -> (Sandbox, TestServer) {
    let server = TestServer::start(opts);
    let sb = Sandbox::new();
    sb.ok(&["add", "test", &server.mcp_url()]);
    (sb, server)
}

pub fn token_of(sb: &Sandbox) -> String {
    sb.ok(&["token", "test"]).stdout.trim().to_owned()
}

pub fn list_row(sb: &Sandbox) -> serde_json::Value {
    sb.ok(&["list", "--json"]).json()[0].clone()
}

/// POST an MCP request with the token, as an MCP client would.
pub fn mcp_call(server: &TestServer, token: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/mcp", server.base()))
            .bearer_auth(token)
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

/// Every record of account `name`, as stored (JSON text), by key.
pub fn records(sb: &Sandbox, name: &str) -> Vec<(String, Option<String>)> {
    use mcp_accounts::store::KvStore;
    let kv = mcp_accounts::store::SqliteKv::open(&sb.db, mcp_accounts::store::OpenMode::ReadOnly).unwrap();
    ["server:", "oauth_metadata:", "oauth_client:", "oauth_token:"]
        .iter()
        .map(|prefix| {
            let key = format!("{prefix}{name}");
            let value = kv.get(&key).unwrap();
            (key, value)
        })
        .collect()
}
