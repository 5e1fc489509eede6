//! The official MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, pinned in
//! tests/conformance/package-lock.json) against our client: every client authorization scenario it has;
//! and from its pre-release 0.2.0-alpha.12 (pinned beside it as `conformance-next`), the authorization
//! scenarios of 2026-07-28 that 0.1.16 lacks, whose servers speak only that revision (so they test the
//! proxy's bridge from `initialize` to it too). The MCP requests go through `mcp-accounts proxy`, so
//! `auth/scope-step-up` and `auth/scope-retry-limit` test the proxy's step-up on a 403, and
//! `auth/authorization-server-migration` its new login when a token is past saving.
//!
//! Per scenario the suite starts an MCP server and an authorization server and runs
//! tests/conformance/client.py, which is made of mcp-accounts' own commands, with the server URL (always
//! `http://localhost:PORT`). The suite's servers listen on every interface (it reads the port back right
//! after `listen(0)`, which a listen pinned to 127.0.0.1 cannot give it), but nothing talks to them except
//! over loopback. A scenario passes when the suite says so: no failed
//! check, no warning. Node 20 lacks the `fs.globSync` the suite imports; tests/conformance/node20.mjs gives
//! it one. The test installs the suite itself (`npm ci`) when needed; it is skipped, with a message, only
//! when `node` or `python3` is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::ts_sdk::{have, install_packages};

/// Every scenario that runs, and what passing it proves.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "auth/metadata-default",
        "PRM at the path well-known URL from the 401 header; RFC 8414 metadata",
    ),
    (
        "auth/metadata-var1",
        "PRM without the header; OpenID discovery at the root",
    ),
    (
        "auth/metadata-var2",
        "PRM only at the root; RFC 8414 metadata of an issuer with a path",
    ),
    (
        "auth/metadata-var3",
        "PRM at a custom URL from the header; OpenID discovery appended to the issuer path",
    ),
    (
        "auth/basic-cimd",
        "a client ID metadata document as client_id where the server supports them",
    ),
    (
        "auth/scope-from-www-authenticate",
        "the scope of the 401 challenge is asked for",
    ),
    (
        "auth/scope-from-scopes-supported",
        "without a challenge scope, all of PRM scopes_supported",
    ),
    (
        "auth/scope-omitted-when-undefined",
        "no scope parameter when nothing names one",
    ),
    (
        "auth/scope-step-up",
        "a 403 insufficient_scope through the proxy: a new login with the union of scopes, then the call",
    ),
    ("auth/scope-retry-limit", "no endless authorizations when a 403 insists"),
    (
        "auth/token-endpoint-auth-basic",
        "client_secret_basic where that is all the server takes",
    ),
    (
        "auth/token-endpoint-auth-post",
        "client_secret_post where that is all the server takes",
    ),
    (
        "auth/token-endpoint-auth-none",
        "a public client where the server takes one",
    ),
    (
        "auth/pre-registration",
        "a pre-registered client id and secret, HTTP Basic, no registration",
    ),
    (
        "auth/2025-03-26-oauth-metadata-backcompat",
        "no PRM: metadata at the server's origin, issuer with a path",
    ),
    (
        "auth/2025-03-26-oauth-endpoint-fallback",
        "no PRM, no metadata: /authorize, /token, /register",
    ),
    (
        "auth/resource-mismatch",
        "PRM for another resource is refused before any authorization",
    ),
    (
        "auth/offline-access-scope",
        "offline_access asked for where the authorization server lists it",
    ),
    (
        "auth/offline-access-not-supported",
        "offline_access never asked for where it is not listed",
    ),
];

/// The 2026-07-28 scenarios of the pre-release, and what passing each proves.
pub const NEXT_SCENARIOS: &[(&str, &str)] = &[
    (
        "auth/authorization-server-migration",
        "a server that moves to another authorization server: discovered again, registered there, no client id of the old one used",
    ),
    (
        "auth/iss-supported",
        "the iss of the response is checked where the server sends it",
    ),
    (
        "auth/iss-not-advertised",
        "no iss expected where the server does not promise it",
    ),
    (
        "auth/iss-supported-missing",
        "a promised iss that is missing stops the login",
    ),
    ("auth/iss-wrong-issuer", "an iss of another issuer stops the login"),
    (
        "auth/iss-unexpected",
        "an iss the server did not promise, and that is wrong, stops the login",
    ),
    (
        "auth/iss-normalized",
        "an iss is compared exactly, not after normalizing",
    ),
    (
        "auth/metadata-issuer-mismatch",
        "metadata naming another issuer is refused",
    ),
];

/// Scenarios run at once (each is a node process, our client and two servers).
const PARALLEL: usize = 4;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Run one scenario of the suite in `package` (under node_modules); `Err` holds what the suite printed.
fn run_scenario(dir: &Path, package: &str, scenario: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let output = Command::new("node")
        .arg("--import")
        .arg(dir.join("node20.mjs"))
        .arg(dir.join("node_modules").join(package).join("dist/index.js"))
        .args(["client", "--command", "python3 client.py", "--scenario", scenario])
        .env("MCP_ACCOUNTS_BIN", env!("CARGO_BIN_EXE_mcp-accounts"))
        .env_remove("MCP_ACCOUNTS_DB")
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(dir)
        .output()
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && text.contains("OVERALL: PASSED") {
        Ok(started.elapsed())
    } else {
        Err(text)
    }
}

#[test]
fn every_auth_scenario_of_the_official_conformance_suite_passes() {
    if !have("node") || !have("python3") {
        eprintln!("conformance: skipped, node or python3 is not installed");
        return;
    }
    let dir = conformance_dir();
    install_packages(&dir);
    let release = SCENARIOS
        .iter()
        .map(|(name, _)| ("@modelcontextprotocol/conformance", *name));
    let next = NEXT_SCENARIOS.iter().map(|(name, _)| ("conformance-next", *name));
    let queue = Mutex::new(release.chain(next).collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let Some((package, scenario)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let result = run_scenario(&dir, package, scenario);
                    results.lock().unwrap().push((format!("{package} {scenario}"), result));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut failed = Vec::new();
    for (scenario, result) in &results {
        match result {
            Ok(took) => eprintln!("conformance: {scenario} passed in {took:?}"),
            Err(output) => failed.push(format!("=== {scenario}\n{output}")),
        }
    }
    assert_eq!(results.len(), SCENARIOS.len() + NEXT_SCENARIOS.len());
    assert!(
        failed.is_empty(),
        "{} scenario(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
