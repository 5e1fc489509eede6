//! The account store: the SQLite key-value table and the typed records over it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mcp_accounts::oauth::discovery::{Discovery, DiscoveryMode, legacy_default_metadata};
use mcp_accounts::oauth::{ClientRegistration, ClientSource};
use mcp_accounts::secret::Secret;
use mcp_accounts::store::{
    KvStore, KvStoreExt, KvTokenStore, LeaseKind, OpenMode, ServerRecord, SqliteKv, StoreError, StoredToken,
    TokenStore, Write,
};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn token(access: &str, refresh: Option<&str>) -> StoredToken {
    StoredToken {
        access_token: Secret::new(access),
        refresh_token: refresh.map(Secret::new),
        token_type: "Bearer".into(),
        scopes: vec!["mcp:tools".into()],
        requested_scopes: vec![],
        expires_at: Some(2_000_000_000),
        issuer: "https://as.example".into(),
        resource: "https://mcp.example/mcp".into(),
        obtained_at: 1_700_000_000,
        last_refresh: None,
        generation: 0,
        identity: None,
    }
}

fn client(id: &str) -> ClientRegistration {
    ClientRegistration {
        client_id: id.into(),
        client_secret: Some(Secret::new("client-secret")),
        client_secret_expires_at: Some(0),
        client_id_issued_at: Some(1),
        token_endpoint_auth_method: Some("none".into()),
        issuer: Some("https://as.example".into()),
        redirect_uri: "http://127.0.0.1:4567/callback".into(),
        registered_at: 1,
        source: ClientSource::Dynamic,
        registration_response: Some(serde_json::json!({"client_id": id, "extra": [1, 2]}).into()),
    }
}

fn discovery() -> Discovery {
    let url = url::Url::parse("https://mcp.example/mcp").unwrap();
    Discovery {
        server_url: url.to_string(),
        resource: url.to_string(),
        mode: DiscoveryMode::LegacyDefaults,
        probe_status: Some(401),
        challenge: None,
        protected_resource_url: None,
        protected_resource: None,
        authorization_server_url: None,
        authorization_server: legacy_default_metadata(&url),
        attempts: vec![],
        discovered_at: 5,
    }
}

fn server(url: &str) -> ServerRecord {
    ServerRecord {
        url: url.into(),
        client_id: None,
        client_secret_env: None,
        scopes: vec![],
        callback_port: None,
        client_metadata_url: None,
        added_at: 1,
    }
}

#[test]
fn kv_round_trip_overwrite_and_delete() {
    let kv = SqliteKv::open_in_memory().unwrap();
    assert_eq!(kv.get("a").unwrap(), None);
    kv.set("a", r#"{"v":1}"#).unwrap();
    assert_eq!(kv.get("a").unwrap().as_deref(), Some(r#"{"v":1}"#));
    kv.set("a", r#"{"v":2}"#).unwrap();
    assert_eq!(kv.get("a").unwrap().as_deref(), Some(r#"{"v":2}"#));
    assert!(kv.delete("a").unwrap());
    assert!(!kv.delete("a").unwrap());
    assert_eq!(kv.get("a").unwrap(), None);

    kv.set_json("typed", &vec![1, 2, 3]).unwrap();
    assert_eq!(kv.get_json::<Vec<i32>>("typed").unwrap(), Some(vec![1, 2, 3]));
    kv.set("typed", "not json").unwrap();
    let err = kv.get_json::<Vec<i32>>("typed").unwrap_err();
    assert!(err.to_string().contains("stored record typed is unreadable"), "{err}");
}

#[test]
fn token_store_round_trips_every_record() {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    store.add_server("s", &server("https://mcp.example/mcp")).unwrap();
    assert_eq!(store.get_server("s").unwrap().unwrap().url, "https://mcp.example/mcp");

    assert_eq!(store.get_token("s").unwrap(), None);
    store.set_token("s", &token("at-1", Some("rt-1"))).unwrap();
    assert_eq!(store.get_token("s").unwrap(), Some(token("at-1", Some("rt-1"))));
    store.set_token("s", &token("at-2", None)).unwrap();
    assert_eq!(store.get_token("s").unwrap(), Some(token("at-2", None)));
    store.delete_token("s").unwrap();
    assert_eq!(store.get_token("s").unwrap(), None);

    store.set_client("s", &client("c1")).unwrap();
    let back = store.get_client("s").unwrap().unwrap();
    assert!(back == client("c1"));
    assert_eq!(back.redirect_port(), Some(4567));
    store.delete_client("s").unwrap();
    assert!(store.get_client("s").unwrap().is_none());

    store.set_metadata("s", &discovery()).unwrap();
    assert_eq!(store.get_metadata("s").unwrap(), Some(discovery()));
}

#[test]
fn debug_output_never_shows_secrets() {
    let text = format!("{:?} {:?}", token("at-secret-1", Some("rt-secret-2")), client("c1"));
    assert!(!text.contains("at-secret-1") && !text.contains("rt-secret-2") && !text.contains("client-secret"));
    assert!(
        !text.contains("extra"),
        "the raw registration response is not printed: {text}"
    );
}

#[test]
fn add_refuses_duplicates_and_remove_deletes_everything() {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    store.add_server("s", &server("https://a.example")).unwrap();
    let err = store.add_server("s", &server("https://b.example")).unwrap_err();
    assert!(err.to_string().contains("already exists"));
    assert_eq!(store.get_server("s").unwrap().unwrap().url, "https://a.example");

    store
        .save_login("s", &discovery(), &client("c"), &token("at", Some("rt")))
        .unwrap();
    store.add_server("other", &server("https://o.example")).unwrap();
    store.set_token("other", &token("keep", None)).unwrap();
    assert!(store.remove_server("s").unwrap());
    assert!(!store.remove_server("s").unwrap());
    for prefix in ["server:s", "oauth_token:s", "oauth_client:s", "oauth_metadata:s"] {
        assert_eq!(store.kv().get(prefix).unwrap(), None, "{prefix} left behind");
    }
    assert_eq!(store.server_names().unwrap(), ["other"]);
    assert!(store.get_token("other").unwrap().is_some());
}

#[test]
fn a_failing_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let kv = SqliteKv::open(&path, OpenMode::ReadWrite).unwrap();
    kv.set("k", "\"old\"").unwrap();
    // A trigger makes the second write of the batch fail, as a full disk or a crash would.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
    )
    .unwrap();
    drop(conn);
    let result = kv.apply(&[
        Write::Set("k".into(), "\"new\"".into()),
        Write::Set("boom".into(), "1".into()),
    ]);
    assert!(result.is_err());
    assert_eq!(kv.get("k").unwrap().as_deref(), Some("\"old\""));
    assert_eq!(kv.get("boom").unwrap(), None);
}

#[test]
fn save_login_writes_all_three_records_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let store = KvTokenStore::new(SqliteKv::open(&path, OpenMode::ReadWrite).unwrap());
    store
        .save_login("s", &discovery(), &client("c-old"), &token("at-old", Some("rt-old")))
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE UPDATE ON kv WHEN NEW.key = 'oauth_token:s' BEGIN SELECT RAISE(ABORT, 'x'); END;",
    )
    .unwrap();
    drop(conn);
    assert!(
        store
            .save_login("s", &discovery(), &client("c-new"), &token("at-new", None))
            .is_err()
    );
    assert_eq!(store.get_client("s").unwrap().unwrap().client_id, "c-old");
    assert_eq!(store.get_token("s").unwrap(), Some(token("at-old", Some("rt-old"))));
}

#[test]
fn replace_token_only_replaces_what_was_read() {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    store.set_token("s", &token("at-1", Some("rt-1"))).unwrap();
    assert!(
        store
            .replace_token("s", &token("at-1", Some("rt-1")), &token("at-2", Some("rt-2")))
            .unwrap()
    );
    // A second refresher that read at-1 must not overwrite at-2.
    assert!(
        !store
            .replace_token("s", &token("at-1", Some("rt-1")), &token("at-3", Some("rt-3")))
            .unwrap()
    );
    assert_eq!(store.get_token("s").unwrap(), Some(token("at-2", Some("rt-2"))));
    store.delete_token("s").unwrap();
    assert!(
        !store
            .replace_token("s", &token("at-2", Some("rt-2")), &token("at-4", None))
            .unwrap()
    );
    assert_eq!(store.get_token("s").unwrap(), None);
}

#[test]
fn refresh_lease_has_one_owner_until_it_expires() {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    assert!(
        store
            .try_acquire_lease(LeaseKind::Refresh, "s", "a", 1_000, 500)
            .unwrap()
    );
    assert!(
        !store
            .try_acquire_lease(LeaseKind::Refresh, "s", "b", 1_200, 500)
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease(LeaseKind::Refresh, "s", "a", 1_200, 500)
            .unwrap(),
        "the owner may renew"
    );
    // a's lease now runs to 1_700; after that a crashed owner no longer blocks anyone.
    assert!(
        !store
            .try_acquire_lease(LeaseKind::Refresh, "s", "b", 1_699, 500)
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease(LeaseKind::Refresh, "s", "b", 1_700, 500)
            .unwrap()
    );
    store.release_lease(LeaseKind::Refresh, "s", "a").unwrap();
    assert!(
        !store
            .try_acquire_lease(LeaseKind::Refresh, "s", "c", 1_800, 500)
            .unwrap(),
        "only the owner releases"
    );
    store.release_lease(LeaseKind::Refresh, "s", "b").unwrap();
    assert!(
        store
            .try_acquire_lease(LeaseKind::Refresh, "s", "c", 1_800, 500)
            .unwrap()
    );
}

#[test]
fn new_database_is_private_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/accounts.db");
    let kv = SqliteKv::open(&path, OpenMode::ReadWrite).unwrap();
    kv.set("k", "1").unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.path().join("nested")), 0o700);
    let wal = dir.path().join("nested/deeper/accounts.db-wal");
    assert!(wal.exists(), "WAL mode is on");
    assert_eq!(mode(&wal), 0o600);
    drop(kv);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
    let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn migrates_an_empty_file_and_tightens_a_loose_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    fs::write(&path, b"").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let mut warnings = Vec::new();
    let kv = SqliteKv::open_reporting(&path, OpenMode::ReadWrite, &mut warnings).unwrap();
    kv.set("k", "1").unwrap();
    assert_eq!(kv.get("k").unwrap().as_deref(), Some("1"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("0644") && warnings[0].contains("0600"),
        "{warnings:?}"
    );
}

#[test]
fn reopening_keeps_data_and_read_only_mode_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    assert!(matches!(
        SqliteKv::open(&path, OpenMode::ReadOnly),
        Err(StoreError::Missing { .. })
    ));
    assert!(!path.exists());
    SqliteKv::open(&path, OpenMode::ReadWrite)
        .unwrap()
        .set("k", "\"v\"")
        .unwrap();
    let ro = SqliteKv::open(&path, OpenMode::ReadOnly).unwrap();
    assert_eq!(ro.get("k").unwrap().as_deref(), Some("\"v\""));
    assert!(ro.set("k", "\"w\"").is_err());
    assert_eq!(ro.integrity_check().unwrap(), "ok");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let content = b"these are my notes, not a database\n".repeat(100);
    fs::write(&path, &content).unwrap();
    for mode in [OpenMode::ReadWrite, OpenMode::ReadOnly] {
        let err = SqliteKv::open(&path, mode).unwrap_err();
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
        assert!(
            err.to_string().contains("notes.txt"),
            "the message names the file: {err}"
        );
    }
    assert_eq!(fs::read(&path).unwrap(), content);
    assert!(!dir.path().join("notes.txt-wal").exists());
}

#[test]
fn a_corrupt_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let kv = SqliteKv::open(&path, OpenMode::ReadWrite).unwrap();
    kv.set("k", "1").unwrap();
    drop(kv);
    // Keep the header, scribble over the schema page.
    let mut bytes = fs::read(&path).unwrap();
    for b in &mut bytes[100..1000] {
        *b = 0xA5;
    }
    fs::write(&path, &bytes).unwrap();
    let err = SqliteKv::open(&path, OpenMode::ReadWrite).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("a.db") && (text.contains("corrupt") || text.contains("not an SQLite")),
        "{text}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    SqliteKv::open(&path, OpenMode::ReadWrite).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteKv::open(&path, OpenMode::ReadWrite).unwrap_err();
    assert!(err.to_string().contains("newer mcp-accounts"), "{err}");
}

#[test]
fn two_connections_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let one = KvTokenStore::new(SqliteKv::open(&path, OpenMode::ReadWrite).unwrap());
    let two = KvTokenStore::new(SqliteKv::open(&path, OpenMode::ReadWrite).unwrap());
    one.set_token("s", &token("from-one", None)).unwrap();
    assert_eq!(two.get_token("s").unwrap(), Some(token("from-one", None)));
    assert!(
        one.try_acquire_lease(LeaseKind::Refresh, "s", "one", 0, 10_000)
            .unwrap()
    );
    assert!(
        !two.try_acquire_lease(LeaseKind::Refresh, "s", "two", 1, 10_000)
            .unwrap()
    );
}

#[test]
fn the_lease_of_a_process_that_is_gone_is_free_at_once() {
    let store = KvTokenStore::new(SqliteKv::open_in_memory().unwrap());
    // A lease left by a crashed process (a pid that does not run), valid for another minute.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let lease = format!(r#"{{"owner":"crashed","pid":{dead_pid},"expires_at_ms":60000}}"#);
    store.kv().set("lease:refresh:s", &lease).unwrap();
    assert!(
        store
            .try_acquire_lease(LeaseKind::Refresh, "s", "me", 1_000, 500)
            .unwrap()
    );
    // A lease of a live process (this one) still holds.
    assert!(
        !store
            .try_acquire_lease(LeaseKind::Refresh, "s", "other", 1_100, 500)
            .unwrap()
    );
}
