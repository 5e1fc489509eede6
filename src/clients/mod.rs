//! The other MCP clients on this machine and their configuration files: where each keeps its servers,
//! how to read a remote server out of an entry (for `import`), which entries already use mcp-accounts
//! (for the TUI's "clients" line), and the entry that makes a client use an account (for `connect`).
//! One file per format: [`json`] (JSON and JSON with comments) and [`toml`] (Codex); [`edit`] writes a
//! change with a backup and undoes it.

pub mod client;
pub mod edit;
pub mod json;
pub mod toml;

use std::path::{Path, PathBuf};

pub use client::{Client, Format, Places};

use serde_json::Value;

/// What an entry of a client's configuration points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A remote MCP server (HTTP), directly or through `mcp-remote`.
    Remote {
        /// Its URL.
        url: String,
    },
    /// An account of mcp-accounts (a `proxy` entry, or Claude Code's `headersHelper` running `token`).
    Account {
        /// The account's name.
        name: String,
    },
    /// Something else (a local stdio server).
    Other,
}

/// One server entry of a client's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The client.
    pub client: Client,
    /// The file it is in.
    pub path: PathBuf,
    /// Its key in the file.
    pub key: String,
    /// What it points at.
    pub target: Target,
}

/// What reading one client's files found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Every server entry.
    pub entries: Vec<Entry>,
    /// Files that exist but could not be read, with why (one line).
    pub unreadable: Vec<(PathBuf, String)>,
}

/// When each file of `clients` last changed (`None`: it does not exist), in the order [`scan`] reads them:
/// a caller that scans again and again (the TUI, with every reload) compares these first.
pub fn file_stamps(places: &Places, clients: &[Client]) -> Vec<Option<std::time::SystemTime>> {
    clients
        .iter()
        .flat_map(|client| client.files(places))
        .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .collect()
}

/// Read every file of `clients` that exists.
pub fn scan(places: &Places, clients: &[Client]) -> Scan {
    let mut scan = Scan::default();
    for &client in clients {
        for path in client.files(places) {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    scan.unreadable.push((path, e.to_string()));
                    continue;
                }
            };
            let found = match client.format() {
                Format::Toml => toml::servers(&text),
                Format::Json | Format::Jsonc => json::servers(client, &text),
            };
            match found {
                Ok(servers) => scan.entries.extend(servers.into_iter().map(|(key, value)| Entry {
                    client,
                    path: path.clone(),
                    key,
                    target: classify(&value),
                })),
                Err(why) => scan.unreadable.push((path, why)),
            }
        }
    }
    scan
}

/// What a server entry (as JSON; TOML entries are converted) points at.
pub fn classify(entry: &Value) -> Target {
    if let Some(helper) = entry.get("headersHelper").and_then(Value::as_str)
        && let Some(name) = account_of_command(&shell_words::split(helper).unwrap_or_default(), "token")
    {
        return Target::Account { name };
    }
    // Zed's older form keeps the program and its arguments in a `command` object.
    let (command, args) = match &entry["command"] {
        Value::Object(inner) => (
            inner.get("path").cloned().unwrap_or_default(),
            inner.get("args").cloned(),
        ),
        other => (other.clone(), entry.get("args").cloned()),
    };
    let args: Vec<String> = args
        .as_ref()
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if let Some(program) = command.as_str() {
        let mut words = vec![program.to_owned()];
        words.extend(args.iter().cloned());
        if let Some(name) = account_of_command(&words, "proxy") {
            return Target::Account { name };
        }
        if let Some(url) = mcp_remote_url(&words) {
            return Target::Remote { url };
        }
        return Target::Other;
    }
    for key in ["url", "httpUrl", "serverUrl"] {
        if let Some(url) = entry.get(key).and_then(Value::as_str).filter(|u| is_http_url(u)) {
            return Target::Remote { url: url.to_owned() };
        }
    }
    Target::Other
}

/// `…/mcp-accounts [--db X] SUBCOMMAND NAME …` → NAME.
fn account_of_command(words: &[String], subcommand: &str) -> Option<String> {
    let program = Path::new(words.first()?).file_name()?.to_str()?;
    if program != "mcp-accounts" {
        return None;
    }
    let at = words.iter().position(|w| w == subcommand)?;
    words.get(at + 1).filter(|n| !n.starts_with('-')).cloned()
}

/// `npx [-y] mcp-remote[@version] URL …` (also bunx, pnpx, and `pnpm dlx`) → URL.
fn mcp_remote_url(words: &[String]) -> Option<String> {
    let at = words
        .iter()
        .position(|w| w == "mcp-remote" || w.starts_with("mcp-remote@"))?;
    words[at + 1..].iter().find(|w| is_http_url(w)).cloned()
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The entry that makes `client` use the account NAME through `program` (this binary), its keys in the
/// order they are written.
pub fn entry_for(client: Client, program: &str, name: &str, url: &str) -> Vec<(&'static str, Value)> {
    let command = ("command", Value::from(program));
    let args = ("args", serde_json::json!(["proxy", name]));
    match client {
        Client::ClaudeCode => vec![
            ("type", Value::from("http")),
            ("url", Value::from(url)),
            (
                "headersHelper",
                Value::from(format!(
                    "{} token {} --format headers-json",
                    shell_words::quote(program),
                    shell_words::quote(name)
                )),
            ),
        ],
        Client::VsCode => vec![("type", Value::from("stdio")), command, args],
        Client::Zed => vec![
            ("source", Value::from("custom")),
            command,
            args,
            ("env", serde_json::json!({})),
        ],
        _ => vec![command, args],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_told_apart() {
        let remote = |u: &str| Target::Remote { url: u.to_owned() };
        let account = |n: &str| Target::Account { name: n.to_owned() };
        let cases = [
            (
                json!({"type": "http", "url": "https://a.example/mcp"}),
                remote("https://a.example/mcp"),
            ),
            (
                json!({"httpUrl": "https://b.example/mcp"}),
                remote("https://b.example/mcp"),
            ),
            (
                json!({"serverUrl": "https://c.example/sse"}),
                remote("https://c.example/sse"),
            ),
            (
                json!({"command": "npx", "args": ["-y", "mcp-remote@0.1.29", "https://d.example/mcp", "--header", "X:1"]}),
                remote("https://d.example/mcp"),
            ),
            (
                json!({"command": "/usr/bin/mcp-accounts", "args": ["proxy", "linear"]}),
                account("linear"),
            ),
            (
                json!({"command": {"path": "mcp-accounts", "args": ["--db", "/x.db", "proxy", "zed1"]}}),
                account("zed1"),
            ),
            (
                json!({"url": "https://e.example", "headersHelper": "'/opt/my tools/mcp-accounts' token e --format headers-json"}),
                account("e"),
            ),
            (json!({"command": "uvx", "args": ["mcp-server-git"]}), Target::Other),
            (json!({"url": "file:///etc/passwd"}), Target::Other),
        ];
        for (entry, expected) in cases {
            assert_eq!(classify(&entry), expected, "{entry}");
        }
    }

    #[test]
    fn what_connect_writes_is_read_back_as_the_account() {
        for program in [
            "/usr/bin/mcp-accounts",
            "/opt/my tools/mcp-accounts",
            "/home/o'neil/mcp-accounts",
        ] {
            for client in Client::ALL {
                let entry = serde_json::Value::Object(
                    entry_for(client, program, "notes", "https://n.example/mcp")
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                );
                assert_eq!(
                    classify(&entry),
                    Target::Account { name: "notes".into() },
                    "{client:?} {program}"
                );
            }
        }
    }
}
