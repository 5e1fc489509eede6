//! JSON and JSON-with-comments configuration files, read and edited through a concrete syntax tree, so
//! comments, order, indentation and every unrelated key stay as they were.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use serde_json::Value;

use super::client::Client;

fn parse(text: &str) -> Result<CstRootNode, String> {
    CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| format!("not valid JSON ({e})"))
}

/// The server entries of a client's file, by key (Claude Code's per-project servers too).
pub fn servers(client: Client, text: &str) -> Result<Vec<(String, Value)>, String> {
    let root = parse(text)?;
    let value = match root.value() {
        None => return Ok(Vec::new()),
        Some(node) => node.to_serde_value().unwrap_or(Value::Null),
    };
    if !value.is_object() {
        return Err("the top level is not a JSON object".to_owned());
    }
    let mut found = entries(&value[client.servers_key()]);
    if client == Client::ClaudeCode
        && let Some(projects) = value.get("projects").and_then(Value::as_object)
    {
        for project in projects.values() {
            found.extend(entries(&project["mcpServers"]));
        }
    }
    Ok(found)
}

fn entries(servers: &Value) -> Vec<(String, Value)> {
    servers
        .as_object()
        .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// `text` with the server `key` set to `entry` (replaced when it exists, appended when not); the servers
/// object is created when missing.
pub fn set_entry(client: Client, text: &str, key: &str, entry: &[(&str, Value)]) -> Result<String, String> {
    let root = parse(text)?;
    if root.value().is_some_and(|v| v.as_object().is_none()) {
        return Err("the top level is not a JSON object".to_owned());
    }
    let servers = root.object_value_or_set().object_value_or_set(client.servers_key());
    let entry = CstInputValue::Object(entry.iter().map(|(k, v)| ((*k).to_owned(), input(v))).collect());
    match servers.get(key) {
        Some(existing) => existing.set_value(entry),
        None => {
            servers.append(key, entry);
        }
    }
    let mut out = root.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_entry_is_added_with_comments_and_other_keys_kept() {
        let text = "{\n  // my editor settings\n  \"theme\": \"One Dark\",\n  \"servers\": {\n    \"local\": { \"command\": \"uvx\" }, // keep\n  },\n}\n";
        let entry = crate::clients::entry_for(Client::VsCode, "/bin/mcp-accounts", "notes", "https://n.example");
        let out = set_entry(Client::VsCode, text, "notes", &entry).unwrap();
        assert!(
            out.contains("// my editor settings") && out.contains("// keep"),
            "{out}"
        );
        assert!(out.contains("\"theme\": \"One Dark\""), "{out}");
        let found = servers_of(&out);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].0, "notes");
        assert_eq!(found[1].1["args"], json!(["proxy", "notes"]));
        // Replacing keeps one entry under the key.
        let again = set_entry(Client::VsCode, &out, "local", &[("url", json!("https://x.example"))]).unwrap();
        assert_eq!(servers_of(&again).len(), 2);
        assert!(set_entry(Client::Cursor, "[1]", "a", &[]).is_err());
        assert!(servers(Client::Cursor, "{\"mcpServers\": ").is_err());
    }

    fn servers_of(text: &str) -> Vec<(String, Value)> {
        servers(Client::VsCode, text).unwrap()
    }

    #[test]
    fn a_missing_or_empty_file_gets_the_servers_object() {
        let out = set_entry(
            Client::Cursor,
            "",
            "a",
            &crate::clients::entry_for(Client::Cursor, "x", "a", ""),
        )
        .unwrap();
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["mcpServers"]["a"]["command"], "x");
    }
}
