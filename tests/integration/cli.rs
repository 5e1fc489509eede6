//! The headless commands that never touch the network, through the real binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::bin::{Sandbox, as_unprivileged, read_only_commands};
use mcp_accounts::secret::Secret;
use mcp_accounts::store::{KvStore, KvTokenStore, OpenMode, SqliteKv, Store, StoredToken, TokenStore};

fn now() -> i64 {
    mcp_accounts::clock::unix_now()
}

fn open(sb: &Sandbox) -> Store {
    KvTokenStore::new(SqliteKv::open(&sb.db, OpenMode::ReadWrite).unwrap())
}

fn token(access: &str, refresh: Option<&str>, expires_at: Option<i64>) -> StoredToken {
    StoredToken {
        access_token: Secret::new(access),
        refresh_token: refresh.map(Secret::new),
        token_type: "Bearer".into(),
        scopes: vec!["mcp:tools".into(), "files:read".into()],
        requested_scopes: vec![],
        expires_at,
        issuer: "https://as.example".into(),
        resource: "https://mcp.example/mcp".into(),
        obtained_at: now(),
        last_refresh: None,
        generation: 0,
        identity: None,
    }
}

/// Every row of the database, to show that a failed command wrote nothing.
fn dump(sb: &Sandbox) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let mut stmt = conn.prepare("SELECT key, value FROM kv ORDER BY key").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn add_list_status_remove() {
    let sb = Sandbox::new();
    // A database path that was chosen (--db) and does not exist is said so, not listed as empty.
    for args in [&["list"][..], &["list", "--json"], &["status"]] {
        let missing = sb.run(args);
        assert_eq!(missing.code, 1, "{args:?}: {missing}");
        assert_eq!(
            missing.one_error_line(),
            format!(
                "error: there is no database at {}; check the path, or add a server to create it there",
                sb.db.display()
            )
        );
    }
    assert!(!sb.db.exists(), "listing does not create a database");

    let added = sb.ok(&["add", "github", "HTTPS://Api.GitHub.com/MCP/"]);
    assert!(
        added.stdout.contains("added github (https://api.github.com/MCP)"),
        "{added}"
    );
    sb.ok(&[
        "add",
        "local",
        "http://127.0.0.1:8080/mcp",
        "--scope",
        "mcp:tools",
        "--callback-port",
        "33418",
    ]);
    sb.ok(&[
        "add",
        "pre",
        "https://pre.example/mcp",
        "--client-id",
        "abc",
        "--client-secret-env",
        "PRE_SECRET",
    ]);

    let list = sb.ok(&["list"]).stdout;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines[0], "NAME    URL                         STATUS  EXPIRES  SCOPES");
    assert_eq!(lines[1], "github  https://api.github.com/MCP  none    -");
    assert_eq!(lines[2], "local   http://127.0.0.1:8080/mcp   none    -");
    assert_eq!(lines[3], "pre     https://pre.example/mcp     none    -");
    assert_eq!(sb.ok(&["--list"]).stdout, list, "--list is list");
    assert_eq!(sb.ok(&[]).stdout, list, "without a terminal, no command means list");

    let json = sb.ok(&["list", "--json"]).json();
    assert_eq!(sb.ok(&["--list", "--json"]).json(), json);
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[0]["name"], "github");
    assert_eq!(json[0]["status"], "none");
    assert_eq!(json[0]["expires_at"], serde_json::Value::Null);
    assert_eq!(json[2]["client_id"], "abc");
    let fields: Vec<&str> = json[0].as_object().unwrap().keys().map(String::as_str).collect();
    for field in [
        "name",
        "url",
        "status",
        "expires_at",
        "expires_in_secs",
        "scopes",
        "issuer",
        "client_id",
        "has_refresh_token",
        "last_error",
    ] {
        assert!(fields.contains(&field), "list --json lacks {field}: {fields:?}");
    }

    let status = sb.run(&["status"]);
    assert_eq!(status.code, 1, "accounts that need a login: {status}");
    assert!(
        status.stdout.contains("github: none — run: mcp-accounts login github"),
        "{status}"
    );
    let one = sb.run(&["status", "local", "--json"]);
    assert_eq!(one.code, 1);
    assert_eq!(one.json()[0]["usable"], false);

    let stored = open(&sb).get_server("local").unwrap().unwrap();
    assert_eq!(stored.scopes, ["mcp:tools"]);
    assert_eq!(stored.callback_port, Some(33418));
    assert_eq!(
        open(&sb)
            .get_server("pre")
            .unwrap()
            .unwrap()
            .client_secret_env
            .as_deref(),
        Some("PRE_SECRET")
    );

    let removed = sb.ok(&["remove", "github"]);
    assert_eq!(removed.stdout, "removed github\n");
    assert_eq!(sb.names(), ["local", "pre"]);
}

#[test]
fn status_and_expiry_come_from_stored_tokens() {
    let sb = Sandbox::new();
    for name in ["valid", "expiring", "expired", "dead", "forever", "none"] {
        sb.ok(&["add", name, &format!("https://{name}.example/mcp")]);
    }
    let store = open(&sb);
    let t = now();
    store
        .set_token(
            "valid",
            &token("at-valid", Some("rt-valid"), Some(t + 3 * 3600 + 5 * 60 + 10)),
        )
        .unwrap();
    store
        .set_token("expiring", &token("at-expiring", None, Some(t + 2 * 60 + 10)))
        .unwrap();
    store
        .set_token(
            "expired",
            &token("at-expired", Some("rt-expired"), Some(t - 2 * 86_400 - 30)),
        )
        .unwrap();
    // Away from the half-minute, since spans are rounded to the nearest minute.
    store.set_token("dead", &token("at-dead", None, Some(t - 70))).unwrap();
    store.set_token("forever", &token("at-forever", None, None)).unwrap();

    let list = sb.ok(&["list"]).stdout;
    let row = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap()
            .to_owned()
    };
    assert!(row("valid").contains("valid     in 3h 5m"), "{list}");
    assert!(row("expiring").contains("expiring  in 2m"), "{list}");
    assert!(row("expired").contains("expired   expired 2d ago"), "{list}");
    assert!(row("dead").contains("expired   expired 1m ago"), "{list}");
    assert!(row("forever").contains("valid     no expiry"), "{list}");
    assert!(row("valid").ends_with("mcp:tools files:read"), "{list}");

    let json = sb.ok(&["list", "--json"]).json();
    let by_name = |name: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let valid = by_name("valid");
    assert_eq!(valid["status"], "valid");
    assert_eq!(valid["has_refresh_token"], true);
    assert_eq!(valid["issuer"], "https://as.example");
    let expires_at = valid["expires_at"].as_str().unwrap();
    let parsed = time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(
        (parsed.unix_timestamp() - (t + 3 * 3600 + 5 * 60 + 10)).abs() <= 1,
        "{expires_at}"
    );
    let secs = valid["expires_in_secs"].as_i64().unwrap();
    assert!((11_100..=11_110).contains(&secs), "{secs}");
    assert_eq!(by_name("expiring")["status"], "expiring");
    assert_eq!(by_name("expired")["status"], "expired");
    assert_eq!(by_name("none")["status"], "none");

    // valid, expiring, and expired-with-refresh-token are usable; the rest need a login.
    for usable in ["valid", "expiring", "expired", "forever"] {
        assert_eq!(sb.run(&["status", usable]).code, 0, "{usable}");
    }
    for needs_action in ["dead", "none"] {
        let run = sb.run(&["status", needs_action]);
        assert_eq!(run.code, 1, "{needs_action}");
        assert!(
            run.stdout.contains(&format!("run: mcp-accounts login {needs_action}")),
            "{run}"
        );
    }
    assert_eq!(sb.run(&["status"]).code, 1);
    // Each status line says the expiry once, as a sentence would.
    let lines = sb.run(&["status"]).stdout;
    assert!(lines.contains("valid: valid, expires in 3h 5m\n"), "{lines}");
    assert!(lines.contains("expired: expired 2d ago\n"), "{lines}");
    assert!(
        lines.contains("dead: expired 1m ago — run: mcp-accounts login dead\n"),
        "{lines}"
    );
}

#[test]
fn no_listing_ever_prints_a_token_or_secret() {
    let sb = Sandbox::new();
    sb.ok(&["add", "a", "https://a.example/mcp"]);
    sb.ok(&[
        "add",
        "b",
        "https://b.example/mcp",
        "--client-id",
        "cid",
        "--client-secret-env",
        "B_SECRET",
    ]);
    let store = open(&sb);
    store
        .set_token(
            "a",
            &token("ACCESS-TOKEN-123", Some("REFRESH-TOKEN-456"), Some(now() + 3600)),
        )
        .unwrap();
    store
        .set_token("b", &token("ACCESS-TOKEN-789", None, Some(now() - 10)))
        .unwrap();
    let client = mcp_accounts::oauth::ClientRegistration {
        client_id: "dyn-client".into(),
        client_secret: Some(Secret::new("CLIENT-SECRET-000")),
        client_secret_expires_at: None,
        client_id_issued_at: None,
        token_endpoint_auth_method: None,
        issuer: Some("https://as.example".into()),
        redirect_uri: "http://127.0.0.1:1/callback".into(),
        registered_at: 0,
        source: mcp_accounts::oauth::ClientSource::Dynamic,
        registration_response: Some(serde_json::json!({"registration_access_token": "REG-TOKEN-111"}).into()),
    };
    store.set_client("a", &client).unwrap();
    for args in read_only_commands("a") {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = sb.run(&args);
        let all = format!("{}{}", run.stdout, run.stderr);
        for secret in ["ACCESS-TOKEN", "REFRESH-TOKEN", "CLIENT-SECRET", "REG-TOKEN"] {
            assert!(!all.contains(secret), "{args:?} printed {secret}:\n{run}");
        }
    }
    let json = sb.ok(&["list", "--json"]).json();
    assert_eq!(json[0]["client_id"], "dyn-client");
}

#[test]
fn bad_input_is_one_line_with_the_right_exit_code_and_writes_nothing() {
    let sb = Sandbox::new();
    // Before any database exists: nothing may be created.
    let cases: &[(&[&str], i32, &str)] = &[
        (&["add", "bad name", "https://a.example"], 2, "invalid server name"),
        (&["add", "", "https://a.example"], 2, "it is empty"),
        (&["add", &"x".repeat(65), "https://a.example"], 2, "longer than 64"),
        (&["add", "ok", "mcp.example.com/mcp"], 2, "not an absolute URL"),
        (&["add", "ok", "/relative/path"], 2, "not an absolute URL"),
        (&["add", "ok", "ht!tp://garbage"], 2, "not an absolute URL"),
        (&["add", "ok", "https://exa mple.com/mcp"], 2, "not a valid URL"),
        (
            &["add", "ok", "http://mcp.example.com/mcp"],
            2,
            "only allowed to this machine",
        ),
        (&["add", "ok", "ftp://mcp.example.com/mcp"], 2, "scheme is not allowed"),
        (
            &["add", "ok", "https://user:pw@mcp.example.com"],
            2,
            "user name or password",
        ),
        (
            &["add", "ok", "https://a.example", "--scope", "two words"],
            2,
            "invalid scope",
        ),
        (
            &["add", "ok", "https://a.example", "--callback-port", "0"],
            2,
            "callback-port",
        ),
        (
            &["add", "ok", "https://a.example", "--client-secret-env", "X"],
            2,
            "--client-id",
        ),
        (&["add", "ok"], 2, "<URL>"),
        (&["--frobnicate"], 2, "--frobnicate"),
        (&["list", "--frobnicate"], 2, "--frobnicate"),
        (&["frobnicate"], 2, "frobnicate"),
        (&["--json"], 2, "--list"),
        (&["remove", "ghost"], 1, "no server named \"ghost\""),
        (&["status", "ghost"], 1, "there is no database at"),
        (&["token", "ghost"], 1, "no server named \"ghost\""),
        (&["login", "ghost"], 1, "no server named \"ghost\""),
        (&["remove", "bad/name"], 2, "invalid server name"),
    ];
    for (args, code, needle) in cases {
        let run = sb.run(args);
        assert_eq!(run.code, *code, "{args:?}:\n{run}");
        let line = run.one_error_line();
        assert!(line.contains(needle), "{args:?}: {line:?} lacks {needle:?}");
        assert!(!sb.db.exists(), "{args:?} created the database");
    }

    // With a database: a failing command changes nothing.
    sb.ok(&["add", "keep", "https://keep.example/mcp"]);
    let before = dump(&sb);
    for (args, code, _) in cases {
        let run = sb.run(args);
        assert_eq!(run.code, *code, "{args:?}:\n{run}");
    }
    let dup = sb.run(&["add", "keep", "https://other.example/mcp"]);
    assert_eq!(dup.code, 1);
    assert!(dup.one_error_line().contains("already exists"), "{dup}");
    assert_eq!(dump(&sb), before);
}

#[test]
fn help_and_version() {
    let sb = Sandbox::new();
    let help = sb.ok(&["--help"]);
    for command in [
        "list", "add", "remove", "discover", "login", "refresh", "logout", "token", "status",
    ] {
        assert!(help.stdout.contains(command), "help lacks {command}:\n{help}");
    }
    assert!(sb.ok(&["--version"]).stdout.starts_with("mcp-accounts "));
    assert!(sb.ok(&["add", "--help"]).stdout.contains("--client-secret-env"));
}

#[test]
fn database_location_from_env_and_xdg() {
    let sb = Sandbox::new();
    let xdg = sb.path("xdg-home");
    let run = |envs: &[(&str, &std::path::Path)], args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
        cmd.args(args)
            .env_remove("MCP_ACCOUNTS_DB")
            .env("HOME", sb.dir.path())
            .env("XDG_DATA_HOME", &xdg);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        crate::support::bin::Run::from(cmd.output().unwrap())
    };
    assert_eq!(run(&[], &["add", "x", "https://x.example"]).code, 0);
    let default = xdg.join("mcp-accounts/accounts.db");
    assert!(default.exists());
    assert_eq!(
        fs::metadata(default.parent().unwrap()).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let env_db = sb.path("env.db");
    assert_eq!(
        run(&[("MCP_ACCOUNTS_DB", &env_db)], &["add", "y", "https://y.example"]).code,
        0
    );
    assert!(env_db.exists());
    let listed = run(&[("MCP_ACCOUNTS_DB", &env_db)], &["list", "--json"]);
    assert_eq!(listed.stdout.matches("\"name\"").count(), 1);
    // --db wins over the environment.
    let flag_db = sb.path("flag.db");
    let flag_db_arg = flag_db.to_str().unwrap().to_owned();
    assert_eq!(
        run(
            &[("MCP_ACCOUNTS_DB", &env_db)],
            &["--db", &flag_db_arg, "add", "z", "https://z.example"]
        )
        .code,
        0
    );
    assert!(flag_db.exists());
    assert!(
        !run(&[("MCP_ACCOUNTS_DB", &env_db)], &["list"])
            .stdout
            .contains("z.example")
    );
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_kept() {
    let sb = Sandbox::new();
    fs::create_dir_all(sb.db.parent().unwrap()).unwrap();
    let content = b"{\"this is\": \"my json config, not sqlite\"}\n".repeat(50);
    fs::write(&sb.db, &content).unwrap();
    for args in [
        &["list"][..],
        &["add", "a", "https://a.example"],
        &["status"],
        &["token", "a"],
        &["remove", "a"],
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{args:?}: {run}");
        let line = run.one_error_line();
        assert!(
            line.contains("accounts.db") && line.contains("not an SQLite database"),
            "{line}"
        );
    }
    assert_eq!(fs::read(&sb.db).unwrap(), content);
}

#[test]
fn a_corrupt_database_is_reported_and_kept() {
    let sb = Sandbox::new();
    sb.ok(&["add", "a", "https://a.example"]);
    let mut bytes = fs::read(&sb.db).unwrap();
    for b in &mut bytes[100..2000] {
        *b = 0x5A;
    }
    fs::write(&sb.db, &bytes).unwrap();
    for args in [&["list"][..], &["add", "b", "https://b.example"]] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{run}");
        let line = run.one_error_line();
        assert!(line.contains("accounts.db"), "{line}");
    }
    assert_eq!(fs::read(&sb.db).unwrap(), bytes);
}

#[test]
fn an_unreadable_record_marks_its_account_only() {
    let sb = Sandbox::new();
    sb.ok(&["add", "good", "https://good.example/mcp"]);
    sb.ok(&["add", "badtoken", "https://bt.example/mcp"]);
    let kv = SqliteKv::open(&sb.db, OpenMode::ReadWrite).unwrap();
    // As a newer version might write them: a server record of another shape, a token that is not JSON.
    kv.set(
        "server:newer",
        r#"{"url_v2":{"href":"https://n.example"},"added_at":"yesterday"}"#,
    )
    .unwrap();
    kv.set("oauth_token:badtoken", "{truncated").unwrap();
    drop(kv);
    let list = sb.ok(&["list"]).stdout;
    assert!(
        list.lines().any(|l| l.starts_with("good ") && l.contains("none")),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("newer ") && l.contains("error")),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("badtoken ") && l.contains("error")),
        "{list}"
    );
    let json = sb.ok(&["list", "--json"]).json();
    let newer = json.as_array().unwrap().iter().find(|a| a["name"] == "newer").unwrap();
    assert_eq!(newer["status"], "error");
    assert!(
        newer["last_error"].as_str().unwrap().contains("server:newer"),
        "{newer}"
    );
    assert_eq!(sb.run(&["status"]).code, 1);
}

#[test]
fn unwritable_places_give_clear_errors() {
    let sb = Sandbox::new();
    sb.ok(&["add", "a", "https://a.example"]);
    let data = sb.db.parent().unwrap().to_owned();
    // Hand the files to `nobody` and take away write permission, then run as `nobody`.
    let chown = |path: &std::path::Path| {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; chown only reads it.
        unsafe { libc::chown(c.as_ptr(), 65534, 65534) };
    };
    fs::set_permissions(sb.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    chown(&data);
    chown(&sb.db);
    fs::set_permissions(&sb.db, fs::Permissions::from_mode(0o400)).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o500)).unwrap();

    let Some(mut add) = as_unprivileged(&sb.cmd(&["add", "b", "https://b.example"])) else {
        eprintln!("skipped: cannot run as an unprivileged user here");
        return;
    };
    let run = crate::support::bin::Run::from(add.output().unwrap());
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(line.contains("accounts.db"), "{line}");

    let mut list = as_unprivileged(&sb.cmd(&["list", "--json"])).unwrap();
    let run = crate::support::bin::Run::from(list.output().unwrap());
    // Reading a read-only database in a read-only directory still works.
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()[0]["name"], "a");

    // A new database in a directory nobody may write to.
    let fresh = sb.path("locked");
    fs::create_dir(&fresh).unwrap();
    fs::set_permissions(&fresh, fs::Permissions::from_mode(0o555)).unwrap();
    let target = fresh.join("sub/accounts.db");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
    cmd.arg("--db").arg(&target).args(["add", "c", "https://c.example"]);
    let run = crate::support::bin::Run::from(as_unprivileged(&cmd).unwrap().output().unwrap());
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(
        line.contains("cannot create the database directory") && line.contains("locked/sub"),
        "{line}"
    );

    fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn loose_permissions_are_tightened_with_a_warning() {
    let sb = Sandbox::new();
    let xdg = sb.path("xdg");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
        cmd.args(args)
            .env_remove("MCP_ACCOUNTS_DB")
            .env("HOME", sb.dir.path())
            .env("XDG_DATA_HOME", &xdg);
        crate::support::bin::Run::from(cmd.output().unwrap())
    };
    assert_eq!(run(&["add", "a", "https://a.example"]).code, 0);
    let dir = xdg.join("mcp-accounts");
    let db = dir.join("accounts.db");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    let second = run(&["add", "b", "https://b.example"]);
    assert_eq!(second.code, 0, "{second}");
    let warnings: Vec<&str> = second.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{second}");
    assert!(warnings.iter().all(|w| w.starts_with("warning: ")), "{second}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("mcp-accounts had mode 0755") && w.contains("0700")),
        "{second}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("accounts.db had mode 0644") && w.contains("0600")),
        "{second}"
    );
    assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(
        run(&["add", "c", "https://c.example"]).stderr,
        "",
        "no warning once tightened"
    );
}
