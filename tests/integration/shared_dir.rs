//! A database in a directory another local user can write to (issue 12): with `--db`, `MCP_ACCOUNTS_DB` or
//! `XDG_DATA_HOME` pointing there, every way that user could get at the tokens is refused with one line
//! naming the file, and the tokens we do store there are never readable by them. The other user is
//! `nobody` (the tests run as root here; elsewhere they say they are skipped).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::{Run, Sandbox, as_unprivileged, running_as_root};

const NOBODY: u32 = 65534;

/// A directory in /tmp that everyone may write to: sticky (mode 1777) like /tmp itself, or not.
struct Shared {
    dir: tempfile::TempDir,
}

impl Shared {
    fn new(mode: u32) -> Shared {
        let dir = tempfile::Builder::new().prefix("shared-").tempdir_in("/tmp").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode)).unwrap();
        Shared { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Run a program as the other user.
fn as_other(program: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args);
    Run::from(as_unprivileged(&cmd).unwrap().output().unwrap())
}

/// Whether a second user is available: root, with setpriv to become `nobody`.
fn second_user() -> bool {
    let ok = running_as_root() && as_unprivileged(&Command::new("true")).is_some();
    if !ok {
        eprintln!("skipped: needs root and setpriv to act as a second user");
    }
    ok
}

/// The sandbox's commands, on a database at `db`.
fn sandbox_at(db: &Path) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.db = db.to_owned();
    sb
}

/// The command fails with one line that names `file` and says `why`; nothing else happened.
fn refused(run: &Run, file: &Path, why: &str) {
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(
        line.contains(&file.display().to_string()),
        "{line} names {}",
        file.display()
    );
    assert!(line.contains(why), "{line} says {why:?}");
}

#[test]
fn a_database_of_another_user_is_refused_however_it_is_named() {
    if !second_user() {
        return;
    }
    let shared = Shared::new(0o1777);
    let db = shared.path("accounts.db");
    assert_eq!(as_other("/usr/bin/touch", &[db.to_str().unwrap()]).code, 0);
    let why = format!("belongs to another user (uid {NOBODY})");

    let sb = sandbox_at(&db);
    refused(&sb.run(&["add", "a", "https://a.example"]), &db, &why);
    refused(&sb.run(&["list"]), &db, &why);

    // MCP_ACCOUNTS_DB instead of --db.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
    cmd.arg("list")
        .env("MCP_ACCOUNTS_DB", &db)
        .env("HOME", shared.dir.path());
    refused(&Run::from(cmd.output().unwrap()), &db, &why);

    // XDG_DATA_HOME: the other user made the program's directory first.
    let theirs = shared.path("mcp-accounts");
    assert_eq!(as_other("/usr/bin/mkdir", &[theirs.to_str().unwrap()]).code, 0);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
    cmd.args(["add", "a", "https://a.example"])
        .env_remove("MCP_ACCOUNTS_DB")
        .env("HOME", shared.dir.path())
        .env("XDG_DATA_HOME", shared.dir.path());
    refused(
        &Run::from(cmd.output().unwrap()),
        &theirs,
        &format!("is a directory of another user (uid {NOBODY})"),
    );
    assert_eq!(fs::read_dir(&theirs).unwrap().count(), 0, "nothing was created in it");
    assert_eq!(fs::metadata(&db).unwrap().len(), 0, "their file is untouched");
    assert_eq!(fs::metadata(&db).unwrap().uid(), NOBODY);
}

#[test]
fn a_symbolic_link_at_the_database_path_is_refused() {
    if !second_user() {
        return;
    }
    let shared = Shared::new(0o1777);
    let db = shared.path("accounts.db");
    let target = shared.path("theirs.db");
    assert_eq!(
        as_other("/usr/bin/ln", &["-s", target.to_str().unwrap(), db.to_str().unwrap()]).code,
        0
    );
    let sb = sandbox_at(&db);
    refused(&sb.run(&["add", "a", "https://a.example"]), &db, "is a symbolic link");
    assert!(!target.exists(), "nothing was created through the link");

    // Our own link is refused too: it could be changed under us.
    let mine = Shared::new(0o700);
    let real = mine.path("real.db");
    std::os::unix::fs::symlink(&real, mine.path("accounts.db")).unwrap();
    let sb = sandbox_at(&mine.path("accounts.db"));
    refused(&sb.run(&["list"]), &mine.path("accounts.db"), "is a symbolic link");
    assert!(!real.exists());
}

#[test]
fn a_wal_or_shm_file_of_another_user_is_refused() {
    if !second_user() {
        return;
    }
    for side in ["-wal", "-shm"] {
        let shared = Shared::new(0o1777);
        let db = shared.path("accounts.db");
        let sb = sandbox_at(&db);
        sb.ok(&["add", "a", "https://a.example"]);
        let planted = shared.path(&format!("accounts.db{side}"));
        assert!(
            !planted.exists(),
            "{side} is gone when no process has the database open"
        );
        assert_eq!(as_other("/usr/bin/touch", &[planted.to_str().unwrap()]).code, 0);
        let why = format!("belongs to another user (uid {NOBODY})");
        refused(&sb.run(&["list"]), &planted, &why);
        refused(&sb.run(&["add", "b", "https://b.example"]), &planted, &why);
        assert_eq!(
            fs::metadata(&planted).unwrap().len(),
            0,
            "{side}: nothing written to it"
        );
        fs::remove_file(&planted).unwrap();
        let list = sb.run(&["list", "--json"]);
        assert_eq!(
            list.json().as_array().unwrap().len(),
            1,
            "{side}: our account is intact: {list}"
        );
    }
}

#[test]
fn a_directory_anyone_may_write_to_without_the_sticky_bit_is_refused() {
    if !second_user() {
        return;
    }
    let shared = Shared::new(0o777);
    let db = shared.path("accounts.db");
    let sb = sandbox_at(&db);
    refused(
        &sb.run(&["add", "a", "https://a.example"]),
        shared.dir.path(),
        "is a directory others may write to (mode 0777)",
    );
    assert!(!db.exists(), "no database was created");
}

#[test]
fn tokens_in_a_sticky_shared_directory_are_never_readable_by_the_other_user() {
    if !second_user() {
        return;
    }
    let server = TestServer::start(Options::default());
    let shared = Shared::new(0o1777);
    let db = shared.path("accounts.db");
    let sb = sandbox_at(&db);
    sb.ok(&["add", "a", &server.mcp_url()]);
    assert_eq!(sb.login("a", "normal").code, 0);

    // While a login waits for the browser the database is open, with its -wal and -shm beside it.
    let mut waiting = sb
        .cmd_browser(&["login", "a", "--timeout", "20"], "ignore")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| shared.path(&format!("accounts.db{s}")))
        .collect();
    let started = Instant::now();
    while !files.iter().all(|f| f.exists()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the database files never all appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for file in &files {
        let meta = fs::symlink_metadata(file).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600, "{}", file.display());
        assert_eq!(meta.uid(), 0, "{}", file.display());
        let read = as_other("/usr/bin/cat", &[file.to_str().unwrap()]);
        assert_ne!(read.code, 0, "{} was readable by the other user", file.display());
        assert!(read.stderr.contains("Permission denied"), "{read}");
    }
    // They cannot take the files away either (the directory is sticky).
    let remove = as_other("/usr/bin/rm", &["-f", files[0].to_str().unwrap()]);
    assert_ne!(remove.code, 0, "{remove}");
    waiting.kill().unwrap();
    waiting.wait().unwrap();
    let token = sb.run(&["token", "a"]);
    assert_eq!(token.code, 0, "{token}");
    assert!(server.accepts(token.stdout.trim()));
}

#[test]
fn a_file_whose_mode_cannot_be_made_private_is_refused() {
    if !second_user() {
        return;
    }
    // A read-only file system: nobody, not even root, can change the mode there.
    let Some(mount) = crate::security::Tmpfs::mount("1m") else {
        return;
    };
    let db = mount.path().join("accounts.db");
    let sb = sandbox_at(&db);
    sb.ok(&["add", "a", "https://a.example"]);
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    mount.remount_read_only();
    refused(
        &sb.run(&["list"]),
        &db,
        "has mode 0644, readable by others, and it cannot be made private",
    );
}
