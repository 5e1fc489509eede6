//! Codex's `config.toml`: `[mcp_servers.NAME]` tables, read and edited with toml_edit so comments and
//! formatting stay.

use serde_json::{Value, json};
use toml_edit::{Array, DocumentMut, Item, Table};

fn parse(text: &str) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>()
        .map_err(|e| format!("not valid TOML ({})", e.to_string().lines().next().unwrap_or_default()))
}

/// The `[mcp_servers.*]` entries, as JSON objects with the keys [`super::classify`] reads.
pub fn servers(text: &str) -> Result<Vec<(String, Value)>, String> {
    let doc = parse(text)?;
    let Some(table) = doc.get("mcp_servers").and_then(Item::as_table_like) else {
        return Ok(Vec::new());
    };
    Ok(table
        .iter()
        .filter_map(|(key, item)| {
            let entry = item.as_table_like()?;
            let text = |k: &str| entry.get(k).and_then(Item::as_str).map(str::to_owned);
            let args: Vec<String> = entry
                .get("args")
                .and_then(Item::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            Some((
                key.to_owned(),
                json!({"url": text("url"), "command": text("command"), "args": args}),
            ))
        })
        .collect())
}

/// `text` with `[mcp_servers.KEY]` set to run `program proxy NAME`.
pub fn set_entry(text: &str, key: &str, program: &str, name: &str) -> Result<String, String> {
    let mut doc = parse(text)?;
    if !doc.contains_key("mcp_servers") {
        let mut servers = Table::new();
        servers.set_implicit(true);
        doc.insert("mcp_servers", Item::Table(servers));
    }
    let servers = doc["mcp_servers"].as_table_mut().ok_or("mcp_servers is not a table")?;
    let mut args = Array::new();
    args.push("proxy");
    args.push(name);
    // An existing table is emptied rather than replaced, so the comments above it stay.
    if !servers.get(key).is_some_and(Item::is_table) {
        servers.insert(key, Item::Table(Table::new()));
    }
    let entry = servers[key].as_table_mut().ok_or("the server entry is not a table")?;
    entry.clear();
    entry.insert("command", toml_edit::value(program));
    entry.insert("args", toml_edit::value(args));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_entries_are_read_and_written_with_comments_kept() {
        let text =
            "# my codex\nmodel = \"o3\"\n\n[mcp_servers.linear]\nurl = \"https://mcp.linear.app/mcp\" # remote\n";
        let found = servers(text).unwrap();
        assert_eq!(found[0].0, "linear");
        assert_eq!(found[0].1["url"], "https://mcp.linear.app/mcp");
        let out = set_entry(text, "linear", "/bin/mcp-accounts", "linear").unwrap();
        assert!(
            out.starts_with("# my codex\nmodel = \"o3\"\n\n[mcp_servers.linear]\n"),
            "{out}"
        );
        assert!(
            out.contains("[mcp_servers.linear]\ncommand = \"/bin/mcp-accounts\"\nargs = [\"proxy\", \"linear\"]"),
            "{out}"
        );
        let fresh = set_entry("", "a", "mcp-accounts", "a").unwrap();
        assert_eq!(
            fresh,
            "[mcp_servers.a]\ncommand = \"mcp-accounts\"\nargs = [\"proxy\", \"a\"]\n"
        );
        assert!(servers("[mcp_servers\n").is_err());
    }
}
