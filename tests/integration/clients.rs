//! `import` and `connect` through the real binary, against a home directory that holds each client's file
//! in its real shape (tests/fixtures/clients: JSON, JSON with comments, TOML, an `npx mcp-remote` entry,
//! Claude Code's per-project servers and a project `.mcp.json`, a malformed file).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::bin::{Run, Sandbox};

const PROGRAM: &str = "/opt/tools/mcp-accounts";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A sandbox whose home is a copy of the fixture home, and the copied project directory.
fn fixture_home() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clients");
    copy_tree(&fixtures.join("home"), sb.dir.path());
    let project = sb.path("project");
    copy_tree(&fixtures.join("project"), &project);
    (sb, project)
}

fn run_in(sb: &Sandbox, project: &Path, args: &[&str]) -> Run {
    let mut cmd: Command = sb.cmd(args);
    cmd.current_dir(project).env("XDG_CONFIG_HOME", sb.path(".config"));
    Run::from(cmd.output().unwrap())
}

/// Every file under the home, with its bytes (the database aside).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("data") {
                    stack.push(path);
                }
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn import_finds_the_remote_servers_of_every_client_and_changes_none_of_their_files() {
    let (sb, project) = fixture_home();
    sb.ok(&["add", "GitHub", "https://example.com/another/mcp"]);
    let before = snapshot(sb.dir.path());

    let dry = run_in(&sb, &project, &["import"]);
    assert_eq!(dry.code, 0, "{dry}");
    let lines: Vec<&str> = dry.stdout.lines().collect();
    let expect = [
        (
            "add   linear ",
            "https://mcp.linear.app/mcp (claude-code: ~/.claude.json)",
        ),
        (
            "add   sentry ",
            "https://mcp.sentry.dev/sse (claude-code: ~/.claude.json)",
        ),
        (
            "add   github-2 ",
            "https://api.githubcopilot.com/mcp (claude-code: ~/project/.mcp.json; renamed from \"github\")",
        ),
        (
            "add   Notion-work ",
            "https://mcp.notion.com/mcp (claude-desktop: ~/.config/Claude/claude_desktop_config.json; renamed from \"Notion (work)\")",
        ),
        ("add   asana ", "https://mcp.asana.com/sse (cursor: ~/.cursor/mcp.json)"),
        (
            "have  linear ",
            "(cursor: ~/.cursor/mcp.json; the account linear has this URL)",
        ),
        (
            "add   atlassian ",
            "https://mcp.atlassian.com/v1/sse (vscode: ~/.config/Code/User/mcp.json)",
        ),
        ("add   stripe ", "https://mcp.stripe.com (codex: ~/.codex/config.toml)"),
        (
            "add   docs ",
            "https://docs.example.com/mcp (codex: ~/.codex/config.toml)",
        ),
        (
            "add   cloudflare ",
            "https://docs.mcp.cloudflare.com/mcp (gemini: ~/.gemini/settings.json)",
        ),
        (
            "add   paypal ",
            "https://mcp.paypal.com/sse (gemini: ~/.gemini/settings.json)",
        ),
        (
            "add   huggingface ",
            "https://huggingface.co/mcp (zed: ~/.config/zed/settings.json)",
        ),
        ("skipped ~/.codeium/windsurf/mcp_config.json: not valid JSON", ""),
        (
            "11 server(s) to add; nothing was changed. Add them with: mcp-accounts import --apply",
            "",
        ),
    ];
    assert_eq!(lines.len(), expect.len(), "{dry}");
    for (line, (start, contains)) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(start) && line.contains(contains),
            "{line:?} vs {start:?} {contains:?}\n{dry}"
        );
    }
    assert_eq!(
        sb.ok(&["list", "--json"]).json().as_array().unwrap().len(),
        1,
        "a dry run adds nothing"
    );

    let applied = run_in(&sb, &project, &["import", "--apply"]);
    assert_eq!(applied.code, 0, "{applied}");
    assert!(
        applied
            .stdout
            .ends_with("added 11 account(s); log in to each with: mcp-accounts login NAME\n")
    );
    let names = sb.names();
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(names.contains(&"Notion-work".to_owned()) && names.contains(&"github-2".to_owned()));

    // Again: everything is there already.
    let again = run_in(&sb, &project, &["import", "--from", "cursor"]);
    assert_eq!(
        again.stdout.lines().filter(|l| l.starts_with("have")).count(),
        2,
        "{again}"
    );
    assert_eq!(
        snapshot(sb.dir.path()),
        before,
        "import never writes another client's file"
    );

    let bad = run_in(&sb, &project, &["import", "--from", "emacs"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.one_error_line().contains("known: claude-code, claude-desktop"),
        "{bad}"
    );
}

#[test]
fn connect_writes_each_format_and_undo_gives_back_the_same_bytes() {
    let (sb, project) = fixture_home();
    assert_eq!(run_in(&sb, &project, &["import", "--apply"]).code, 0);
    let cases: [(&str, &str, &str, &[&str]); 8] = [
        (
            "claude-code",
            ".claude.json",
            "linear",
            &[
                "\"headersHelper\": \"/opt/tools/mcp-accounts token linear --format headers-json\"",
                "\"numStartups\": 42",
            ],
        ),
        (
            "claude-desktop",
            ".config/Claude/claude_desktop_config.json",
            "Notion-work",
            &[
                "\"Notion (work)\": {",
                "\"command\": \"/opt/tools/mcp-accounts\"",
                "\"globalShortcut\"",
            ],
        ),
        (
            "cursor",
            ".cursor/mcp.json",
            "asana",
            &[
                "\"asana\": {\n      \"command\": \"/opt/tools/mcp-accounts\",\n      \"args\": [\"proxy\", \"asana\"]\n    }",
            ],
        ),
        (
            "vscode",
            ".config/Code/User/mcp.json",
            "atlassian",
            &[
                "// Servers for Copilot agent mode",
                "\"type\": \"stdio\"",
                "\"inputs\": [],",
            ],
        ),
        (
            "codex",
            ".codex/config.toml",
            "stripe",
            &[
                "# MCP servers\n[mcp_servers.stripe]\ncommand = \"/opt/tools/mcp-accounts\"\nargs = [\"proxy\", \"stripe\"]",
                "[mcp_servers.docs]",
            ],
        ),
        (
            "gemini",
            ".gemini/settings.json",
            "paypal",
            &["\"theme\": \"GitHub\"", "\"paypal\": {"],
        ),
        ("windsurf", ".codeium/windsurf/mcp_config.json", "linear", &[]),
        (
            "zed",
            ".config/zed/settings.json",
            "huggingface",
            &["// Zed settings", "\"source\": \"custom\"", "\"ui_font_size\": 16"],
        ),
    ];
    for (client, file, name, expected) in cases {
        let path = sb.path(file);
        let original = std::fs::read(&path).unwrap();
        let dry = run_in(
            &sb,
            &project,
            &["connect", client, name, "--command", PROGRAM, "--dry-run"],
        );
        if client == "windsurf" {
            // The malformed file: refused, untouched.
            assert_eq!(dry.code, 1);
            assert!(
                dry.one_error_line().contains("not valid JSON") && dry.one_error_line().ends_with("fix it first"),
                "{dry}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), original);
            continue;
        }
        assert_eq!(dry.code, 0, "{client}: {dry}");
        assert!(
            dry.stdout.contains(&format!("--- ~/{file}\n+++ ~/{file}\n")),
            "{client}: {dry}"
        );
        assert!(dry.stdout.contains("(dry run: nothing was changed)"));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "{client}: a dry run changes nothing"
        );

        let applied = run_in(&sb, &project, &["connect", client, name, "--command", PROGRAM]);
        assert_eq!(applied.code, 0, "{client}: {applied}");
        assert!(
            applied.stdout.contains(&format!("+++ ~/{file}\n")),
            "{client}: the diff is shown: {applied}"
        );
        assert!(
            applied
                .stdout
                .contains(&format!("\n{client} now uses mcp-accounts for {name}")),
            "{applied}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in expected {
            assert!(text.contains(piece), "{client}: {piece:?} missing in\n{text}");
        }
        let again = run_in(&sb, &project, &["connect", client, name, "--command", PROGRAM]);
        assert!(again.stdout.contains("nothing to change"), "{client}: {again}");

        let undo = run_in(&sb, &project, &["connect", client, "--undo"]);
        assert_eq!(undo.code, 0, "{client}: {undo}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "{client}: byte-identical after --undo"
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.contains("mcp-accounts"))
            .collect();
        assert!(leftovers.is_empty(), "{client}: {leftovers:?}");
    }
    let unknown = run_in(&sb, &project, &["connect", "cursor", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.one_error_line().contains("no server named \"nope\""));
    let nothing = run_in(&sb, &project, &["connect", "cursor", "--undo"]);
    assert_eq!(nothing.code, 1, "{nothing}");
}

#[test]
fn connect_creates_a_missing_file_and_undo_removes_it() {
    let sb = Sandbox::new();
    sb.ok(&["add", "notes", "https://notes.example.com/mcp"]);
    let path = sb.path(".codeium/windsurf/mcp_config.json");
    let run = run_in(
        &sb,
        sb.dir.path(),
        &["connect", "windsurf", "notes", "--command", PROGRAM],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("--- /dev/null"), "{run}");
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        value["mcpServers"]["notes"]["args"],
        serde_json::json!(["proxy", "notes"])
    );
    let undo = run_in(&sb, sb.dir.path(), &["connect", "windsurf", "--undo"]);
    assert!(
        undo.stdout.starts_with("removed ~/.codeium/windsurf/mcp_config.json"),
        "{undo}"
    );
    assert!(!path.exists());
}
