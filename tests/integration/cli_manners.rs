//! The command line's manners, through the real binary: usage errors that keep clap's suggestions, a
//! misspelled account name that gets the closest one, a chosen database path that is not made up as it
//! goes, completions and the manual, colour only where wanted.

use std::fs;

use crate::support::bin::{Run, Sandbox};

#[test]
fn usage_errors_keep_the_suggestions_and_a_misspelled_name_gets_one_too() {
    let sb = Sandbox::new();
    let cases = [
        (
            vec!["lis"],
            "error: unrecognized subcommand 'lis'; a similar subcommand exists: 'list' (see: mcp-accounts --help)",
        ),
        (
            vec!["list", "--jsn"],
            "error: unexpected argument '--jsn' found; a similar argument exists: '--json' (see: mcp-accounts list --help)",
        ),
        (
            vec!["login"],
            "error: the following required arguments were not provided: <NAME> (see: mcp-accounts login --help)",
        ),
    ];
    for (args, expected) in cases {
        let run = sb.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run}");
        assert_eq!(run.one_error_line(), expected, "{args:?}");
    }
    sb.ok(&["add", "acct-01", "https://a.example/mcp"]);
    for (command, name) in [
        ("token", "acct-1"),
        ("remove", "ACCT-01"),
        ("status", "acct-10"),
        ("verify", "acct-1"),
    ] {
        let run = sb.run(&[command, name]);
        assert_eq!(run.code, 1, "{command}: {run}");
        assert_eq!(
            run.one_error_line(),
            format!("error: no server named \"{name}\"; did you mean acct-01? (see: mcp-accounts list)"),
            "{command}"
        );
    }
    let far = sb.run(&["token", "zzz"]);
    assert_eq!(
        far.one_error_line(),
        "error: no server named \"zzz\"; see: mcp-accounts list"
    );
}

#[test]
fn a_chosen_database_path_is_created_one_directory_deep_and_says_where() {
    let sb = Sandbox::new();
    // The sandbox passes its own --db; these runs choose theirs through MCP_ACCOUNTS_DB.
    let with_db = |db: &std::path::Path, args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
        cmd.args(args)
            .env("MCP_ACCOUNTS_DB", db)
            .env("HOME", sb.dir.path())
            .stdin(std::process::Stdio::null());
        Run::from(cmd.output().unwrap())
    };
    let deep = sb.path("typo/more/accounts.db");
    let run = with_db(&deep, &["add", "a", "https://a.example/mcp"]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.one_error_line(),
        format!(
            "error: {} does not exist; check the database path (only its own directory is created)",
            sb.path("typo").display()
        )
    );
    assert!(!sb.path("typo").exists(), "no directory chain was made");
    let added = sb.ok(&["add", "a", "https://a.example/mcp"]);
    assert_eq!(added.stderr, format!("created the database {}\n", sb.db.display()));
    let again = sb.ok(&["add", "b", "https://b.example/mcp"]);
    assert_eq!(again.stderr, "", "said once, when it was created");

    // A file that is not a database, chosen with --db: the hint does not say to pass --db.
    let junk = sb.path("junk.db");
    std::fs::write(&junk, "not sqlite at all, just text that is long enough").unwrap();
    let run = with_db(&junk, &["list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.one_error_line()
            .ends_with("move it away or check the --db path (or MCP_ACCOUNTS_DB)"),
        "{run}"
    );
}

/// What bash offers for the last of `words` with the script `completions bash` printed loaded, as the
/// Tab key would ask for it.
fn bash_completes(sb: &Sandbox, script: &std::path::Path, words: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let driver = r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_clap_complete_mcp_accounts mcp-accounts "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let mut bash = std::process::Command::new("bash");
    bash.arg("-c")
        .arg(driver)
        .arg("bash")
        .arg(script)
        .args(words)
        .env_remove("MCP_ACCOUNTS_DB")
        .env("HOME", sb.dir.path())
        .env("XDG_DATA_HOME", sb.dir.path().join("xdg"))
        .envs(env.iter().copied());
    let out = bash.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "a completion prints no error");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The completion script calls the program back, so subcommands, options and values complete from the
/// parser's own definitions, and account names from the database the line names (`--db`, else
/// MCP_ACCOUNTS_DB) as it is when Tab is pressed.
#[test]
fn completions_offer_the_account_names_of_the_database() {
    let sb = Sandbox::new();
    for name in ["acct-01", "acct-02", "work"] {
        sb.ok(&["add", name, "https://a.example/mcp"]);
    }
    let script = sb.path("completion.bash");
    fs::write(&script, sb.ok(&["completions", "bash"]).stdout).unwrap();
    let db = sb.db.to_str().unwrap();
    let complete = |words: &[&str]| bash_completes(&sb, &script, words, &[]);

    assert_eq!(
        complete(&["mcp-accounts", "--db", db, "login", "ac"]),
        ["acct-01", "acct-02"]
    );
    let after_client = complete(&["mcp-accounts", "--db", db, "connect", "cursor", ""]);
    assert_eq!(
        after_client[..3],
        ["acct-01", "acct-02", "work"],
        "the names, then the options: {after_client:?}"
    );
    assert_eq!(complete(&["mcp-accounts", "--db", db, "refresh", "w"]), ["work"]);
    assert_eq!(
        bash_completes(
            &sb,
            &script,
            &["mcp-accounts", "verify", "w"],
            &[("MCP_ACCOUNTS_DB", db)]
        ),
        ["work"],
        "the database of MCP_ACCOUNTS_DB"
    );
    let subcommands = complete(&["mcp-accounts", "lo"]);
    assert!(
        subcommands.contains(&"login".to_owned()) && subcommands.contains(&"logout".to_owned()),
        "{subcommands:?}"
    );
    assert_eq!(complete(&["mcp-accounts", "connect", "cu"]), ["cursor"]);
    assert_eq!(
        complete(&["mcp-accounts", "token", "work", "--format", "h"]),
        ["headers-json"]
    );
    assert_eq!(
        complete(&["mcp-accounts", "login", "work", "--callback-p"]),
        ["--callback-port"]
    );

    // No database there: nothing offered, nothing said, nothing created.
    let missing = sb.path("typo/accounts.db");
    assert!(complete(&["mcp-accounts", "--db", missing.to_str().unwrap(), "login", "a"]).is_empty());
    assert!(!sb.path("typo").exists());

    // The other shells' scripts call the same program back with their own name; fish's answer is one line
    // per name.
    let program = env!("CARGO_BIN_EXE_mcp-accounts");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let text = sb.ok(&["completions", shell]).stdout;
        assert!(text.contains(program) && text.contains(shell), "{shell}: {text}");
    }
    let fish = std::process::Command::new(program)
        .args(["--", "mcp-accounts", "--db", db, "remove", "acct"])
        .env("COMPLETE", "fish")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&fish.stdout), "acct-01\nacct-02\n");
    assert_eq!(sb.run(&["completions", "tcsh"]).code, 2);
}

#[test]
fn the_manual_comes_from_the_same_definitions() {
    let sb = Sandbox::new();
    let man = sb.ok(&["man"]).stdout;
    assert!(
        man.starts_with(".ie") && man.contains(".TH mcp-accounts 1"),
        "{}",
        &man[..80]
    );
    assert!(man.contains("proxy") && man.contains("MCP_ACCOUNTS_DB"));
}

#[test]
fn list_and_status_colour_the_status_only_when_asked_or_on_a_terminal() {
    let sb = Sandbox::new();
    sb.ok(&["add", "a", "https://a.example/mcp"]);
    let list = sb.ok(&["list", "--color", "always"]).stdout;
    assert_eq!(
        list.lines().nth(1),
        Some("a     https://a.example/mcp  \x1b[2mnone\x1b[0m    -")
    );
    // status exits 1: the account needs a login.
    let status = sb.run(&["status", "--color", "always"]);
    assert!(
        status
            .stdout
            .starts_with("a: \x1b[2mnone\x1b[0m — run: mcp-accounts login a"),
        "{status}"
    );
    // Piped (auto), NO_COLOR with auto, and never: no escape at all.
    let mut no_color = sb.cmd(&["list", "--color", "auto"]);
    no_color.env("NO_COLOR", "1");
    let outputs = [
        sb.ok(&["list"]).stdout,
        Run::from(no_color.output().unwrap()).stdout,
        sb.run(&["status", "--color", "never"]).stdout,
    ];
    for out in outputs {
        assert!(!out.contains('\x1b'), "{out:?}");
    }
}

#[test]
fn names_sort_as_a_person_reads_them_and_a_broken_record_names_the_real_url() {
    let sb = Sandbox::new();
    for name in ["Zed", "alpha", "github"] {
        sb.ok(&["add", name, &format!("https://{}.example/mcp", name.to_lowercase())]);
    }
    assert_eq!(sb.names(), ["alpha", "github", "Zed"]);

    use mcp_accounts::store::KvStore;
    let kv = mcp_accounts::store::SqliteKv::open(&sb.db, mcp_accounts::store::OpenMode::ReadWrite).unwrap();
    kv.set("oauth_token:github", "{\"not\": \"a token\"}").unwrap();
    drop(kv);
    let status = sb.run(&["status", "github"]);
    assert_eq!(status.code, 1);
    assert!(
        status
            .stdout
            .contains("run: mcp-accounts remove github && mcp-accounts add github https://github.example/mcp"),
        "{status}"
    );
}

#[test]
fn a_logout_that_cannot_reach_the_server_says_how_to_delete_here_only() {
    let (sb, server) = crate::support::flow::setup(crate::support::auth_server::Options::default());
    assert_eq!(sb.login("test", "normal").code, 0);
    drop(server);
    let run = sb.run(&["logout", "test"]);
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(line.starts_with("error: cannot reach "), "{line}");
    assert!(
        line.ends_with("; the token is still stored here; to delete it here only: mcp-accounts logout test --local"),
        "{line}"
    );
    assert_eq!(
        sb.ok(&["list", "--json"]).json()[0]["status"],
        "valid",
        "nothing was deleted"
    );
    sb.ok(&["logout", "test", "--local"]);
    assert_eq!(sb.ok(&["list", "--json"]).json()[0]["status"], "none");
}
