//! Discovery through the real binary: every variant the spec allows, what `discover` prints, and the
//! metadata that is refused.

use std::time::Duration;

use crate::support::auth_server::{Metadata, Options, Prm};
use crate::support::bin::{Run, Sandbox};
use crate::support::flow::{client_requests, list_row, mcp_call, setup, token_of};

#[test]
fn every_discovery_variant_logs_in() {
    let variants: Vec<(&str, Options, &str)> = vec![
        (
            "PRM via the header only",
            Options {
                prm: Prm::HeaderOnly,
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "PRM at the path well-known URL only",
            Options {
                prm: Prm::PathOnly,
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "PRM at the root well-known URL only",
            Options {
                prm: Prm::RootOnly,
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "issuer with a path",
            Options {
                issuer_path: "/tenant1",
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "OIDC discovery only",
            Options {
                metadata: Metadata::OidcOnly,
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "OIDC append form with an issuer path",
            Options {
                metadata: Metadata::OidcOnly,
                issuer_path: "/tenant1",
                ..Options::default()
            },
            "protected_resource",
        ),
        (
            "legacy: no PRM, metadata at the origin",
            Options {
                prm: Prm::None,
                ..Options::default()
            },
            "legacy_metadata",
        ),
        (
            "legacy: no PRM, no metadata",
            Options {
                prm: Prm::None,
                metadata: Metadata::None,
                ..Options::default()
            },
            "legacy_defaults",
        ),
        (
            "RFC 9207 iss in the response",
            Options {
                send_iss: true,
                ..Options::default()
            },
            "protected_resource",
        ),
    ];
    for (label, opts, mode) in variants {
        let (sb, server) = setup(opts);
        let discovered = sb.run(&["discover", "test", "--json"]);
        assert_eq!(discovered.code, 0, "{label}: {discovered}");
        let d = discovered.json();
        assert_eq!(d["mode"], mode, "{label}");
        assert_eq!(d["authorization_server"]["issuer"], server.issuer(), "{label}");
        assert_eq!(d["resource"], server.mcp_url(), "{label}");
        let login = sb.login("test", "normal");
        assert_eq!(login.code, 0, "{label}: {login}");
        assert_eq!(list_row(&sb)["status"], "valid", "{label}");
        assert_eq!(mcp_call(&server, &token_of(&sb)), 200, "{label}");
    }
}

#[test]
fn discover_prints_what_was_found() {
    let (sb, server) = setup(Options {
        issuer_path: "/tenant1",
        send_iss: true,
        ..Options::default()
    });
    let text = sb.ok(&["discover", "test"]).stdout;
    for expected in [
        format!("issuer                  {}", server.issuer()),
        "PKCE S256               yes".to_owned(),
        "iss in response         yes".to_owned(),
        format!("revocation endpoint     {}/tenant1/revoke", server.base()),
        "found through           protected resource metadata (RFC 9728)".to_owned(),
        "scope asked for (401)   mcp:tools".to_owned(),
        format!(
            "200   {}/.well-known/oauth-authorization-server/tenant1  (used)",
            server.base()
        ),
    ] {
        assert!(text.contains(&expected), "lacks {expected:?}:\n{text}");
    }
    let json = sb.ok(&["discover", "test", "--json"]).json();
    assert_eq!(json["protected_resource"]["authorization_servers"][0], server.issuer());
    assert_eq!(
        json["authorization_server"]["code_challenge_methods_supported"][0],
        "S256"
    );
}

#[test]
fn a_server_without_s256_is_refused() {
    let (sb, server) = setup(Options {
        pkce_methods: vec!["plain"],
        ..Options::default()
    });
    assert!(
        sb.ok(&["discover", "test"])
            .stdout
            .contains("PKCE S256               no")
    );
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    assert!(
        login
            .stderr
            .lines()
            .last()
            .unwrap()
            .contains("does not support PKCE S256"),
        "{login}"
    );
    assert!(server.registrations().is_empty(), "refused before registering");

    let (sb, _server) = setup(Options {
        pkce_methods: vec![],
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert!(
        login
            .stderr
            .lines()
            .last()
            .unwrap()
            .contains("code_challenge_methods_supported: absent"),
        "{login}"
    );
}

#[test]
fn misconfigured_and_hostile_metadata_is_refused() {
    let cases: Vec<(Options, &str)> = vec![
        (
            Options {
                wrong_issuer: true,
                ..Options::default()
            },
            "names issuer \"https://evil.example\"",
        ),
        (
            Options {
                insecure_token_endpoint: true,
                ..Options::default()
            },
            "token_endpoint: http://evil.example/token",
        ),
        (
            Options {
                oversized_metadata: Some(2 * 1024 * 1024),
                ..Options::default()
            },
            "more than 1048576 bytes",
        ),
    ];
    for (opts, needle) in cases {
        let (sb, _server) = setup(opts);
        for args in [
            &["discover", "test"][..],
            &["login", "test", "--no-browser", "--timeout", "5"],
        ] {
            let run = sb.run(args);
            assert_eq!(run.code, 1, "{args:?}: {run}");
            let line = run.stderr.lines().last().unwrap();
            assert!(line.starts_with("error: ") && line.contains(needle), "{args:?}: {line}");
        }
        assert_eq!(list_row(&sb)["status"], "none");
    }
}

#[test]
fn a_slow_server_times_out() {
    let (sb, _server) = setup(Options {
        latency: Duration::from_secs(3),
        ..Options::default()
    });
    let started = std::time::Instant::now();
    let run = Run::from(
        sb.cmd(&["discover", "test"])
            .env("MCP_ACCOUNTS_HTTP_TIMEOUT", "0.5")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.one_error_line().contains("did not answer within"), "{run}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[test]
fn an_unreachable_server_is_one_clear_line() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sb = Sandbox::new();
    sb.ok(&["add", "gone", &format!("http://127.0.0.1:{closed}/mcp")]);
    for args in [
        &["discover", "gone"][..],
        &["login", "gone", "--no-browser", "--timeout", "5"],
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{run}");
        let line = run.stderr.lines().last().unwrap();
        assert!(
            line.starts_with("error: cannot reach http://127.0.0.1:") && line.contains("refused"),
            "{line}"
        );
    }
    assert_eq!(list_row(&sb)["status"], "none");
}

#[test]
fn metadata_older_than_a_day_is_discovered_again() {
    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    sb.ok(&["logout", "test", "--local"]);
    let store = mcp_accounts::store::KvTokenStore::new(
        mcp_accounts::store::SqliteKv::open(&sb.db, mcp_accounts::store::OpenMode::ReadWrite).unwrap(),
    );
    use mcp_accounts::store::TokenStore;
    let mut metadata = store.get_metadata("test").unwrap().unwrap();
    metadata.discovered_at -= 25 * 3600;
    store.set_metadata("test", &metadata).unwrap();
    server.clear_requests();
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(
        client_requests(&server),
        [
            "POST /mcp",
            "GET /.well-known/oauth-protected-resource/mcp",
            "GET /.well-known/oauth-authorization-server",
            "POST /token"
        ],
        "discovered again, registration reused"
    );
    let renewed = store.get_metadata("test").unwrap().unwrap();
    assert!(renewed.discovered_at > metadata.discovered_at + 24 * 3600);
}
