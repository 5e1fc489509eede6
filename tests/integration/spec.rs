//! What MCP 2026-07-28 asks of a client, through the real binary: a refused redirect URI retried once and
//! otherwise explained; credentials and tokens of one authorization server never used with another; `iss`
//! mismatch hides the error text; `offline_access` only where listed; client ID metadata documents; scopes
//! added with `login --scope`.

use crate::support::auth_server::{Hostile, Options};
use crate::support::bin::Sandbox;
use crate::support::flow::{list_row, mcp_call, setup, token_of};

#[test]
fn a_refused_redirect_uri_is_retried_once_with_localhost_and_otherwise_explained() {
    let (sb, server) = setup(Options {
        refuse_redirect_host: Some("127.0.0.1"),
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert!(
        login.stderr.contains("refused the redirect URI http://127.0.0.1:")
            && login.stderr.contains("registering with http://localhost:"),
        "{login}"
    );
    let redirect = server.registrations()[0]["redirect_uris"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    assert_eq!(mcp_call(&server, &token_of(&sb)), 200);

    let (sb, server) = setup(Options {
        refuse_redirect_host: Some("*"),
        ..Options::default()
    });
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    let line = login.stderr.lines().last().unwrap();
    assert!(
        line.contains("refused to register the redirect URIs http://127.0.0.1:")
            && line.contains(" and http://localhost:")
            && line.contains("invalid_redirect_uri")
            && line.contains("--client-id"),
        "{line}"
    );
    assert!(server.registrations().is_empty());
}

#[test]
fn nothing_of_one_authorization_server_is_used_with_another() {
    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    let old_issuer = server.issuer();
    server.move_authorization_server();
    sb.ok(&["discover", "test"]);
    for args in [&["token", "test"][..], &["refresh", "test"]] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{args:?}: {run}");
        let line = run.one_error_line();
        assert!(
            line.contains("now uses another authorization server") && line.contains("run: mcp-accounts login test"),
            "{args:?}: {line}"
        );
    }
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert_eq!(server.registrations().len(), 2, "registered again with the new server");
    let row = list_row(&sb);
    assert_eq!(row["issuer"], format!("{}/as2", server.base()));
    assert_ne!(row["issuer"], old_issuer);
    assert_eq!(mcp_call(&server, &token_of(&sb)), 200);
}

#[test]
fn an_error_from_the_wrong_issuer_is_not_shown() {
    let (sb, server) = setup(Options {
        send_iss: true,
        wrong_iss: true,
        ..Options::default()
    });
    server.set_hostile(Some(Hostile::AuthorizeError("PLANTED-DESCRIPTION the server says")));
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 1, "{login}");
    assert!(login.stderr.lines().last().unwrap().contains("RFC 9207"), "{login}");
    assert!(!login.stderr.contains("PLANTED-DESCRIPTION"), "{login}");
    assert!(!login.stderr.contains("access_denied"), "{login}");
}

#[test]
fn offline_access_is_asked_for_only_where_the_authorization_server_lists_it() {
    let (sb, server) = setup(Options {
        as_scopes_supported: Some(vec!["mcp:tools", "offline_access"]),
        ..Options::default()
    });
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(server.authorize_scopes(), ["mcp:tools offline_access"]);
    let grant_types = &server.registrations()[0]["grant_types"];
    assert!(grant_types.as_array().unwrap().iter().any(|g| g == "refresh_token"));

    let (sb, server) = setup(Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(server.authorize_scopes(), ["mcp:tools"]);
}

#[test]
fn a_client_id_metadata_document_is_the_client_where_the_server_accepts_one() {
    let document = "https://client.example/mcp-accounts.json";
    let (sb, server) = setup(Options {
        cimd: true,
        ..Options::default()
    });
    sb.ok(&["remove", "test"]);
    sb.ok(&["add", "test", &server.mcp_url(), "--client-metadata-url", document]);
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert!(server.registrations().is_empty(), "no registration");
    assert_eq!(list_row(&sb)["client_id"], document);
    assert_eq!(sb.run(&["refresh", "test"]).code, 0);
    assert!(sb.ok(&["logout", "test"]).stdout.contains("revoked at the server"));

    // A server without them: a note, then the usual registration.
    let (sb, server) = setup(Options::default());
    sb.ok(&["remove", "test"]);
    sb.ok(&["add", "test", &server.mcp_url(), "--client-metadata-url", document]);
    let login = sb.login("test", "normal");
    assert_eq!(login.code, 0, "{login}");
    assert!(
        login.stderr.contains("does not accept client ID metadata documents"),
        "{login}"
    );
    assert_eq!(server.registrations().len(), 1);

    let sb = Sandbox::new();
    for bad in ["http://client.example/c.json", "https://client.example/", "not a url"] {
        let run = sb.run(&["add", "x", "https://mcp.example/mcp", "--client-metadata-url", bad]);
        assert_eq!(run.code, 2, "{bad}: {run}");
        assert!(run.one_error_line().contains("client ID metadata document"), "{run}");
    }
}

#[test]
fn login_scope_adds_to_the_scopes_asked_for_and_they_are_kept() {
    let (sb, server) = setup(Options::default());
    let login = sb.run_with_browser(&["login", "test", "--scope", "notes:write", "--timeout", "20"]);
    assert_eq!(login.code, 0, "{login}");
    assert!(login.stdout.contains("scopes: mcp:tools notes:write"), "{login}");
    sb.ok(&["logout", "test", "--local"]);
    // A later login without --scope still asks for them (the stored token remembers)… unless logged out.
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(server.authorize_scopes(), ["mcp:tools notes:write", "mcp:tools"]);
    let login = sb.run_with_browser(&["login", "test", "--scope", "extra:one", "--timeout", "20"]);
    assert_eq!(login.code, 0, "{login}");
    assert_eq!(server.authorize_scopes()[2], "mcp:tools extra:one");
    assert_eq!(sb.login("test", "normal").code, 0);
    assert_eq!(
        server.authorize_scopes()[3],
        "mcp:tools extra:one",
        "kept for the next login"
    );
    let bad = sb.run(&["login", "test", "--scope", "two words"]);
    assert_eq!(bad.code, 2, "{bad}");
}
