//! Writing results: aligned tables and JSON to stdout. A closed pipe (`mcp-accounts list | head -1`) is not
//! an error (ripgrep does the same). Everything written passes the terminal-safe text function line by
//! line; JSON has every character that could steer a terminal escaped.

use std::io::Write;

use super::common::CliError;

/// `text` with every line made terminal-safe (the line breaks themselves kept).
pub fn safe_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| mcp_accounts::text::clean(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Write `text` to stdout at once, terminal-safe. A broken pipe counts as success: the reader has what it
/// wanted.
pub fn print(text: &str) -> Result<(), CliError> {
    let text = safe_lines(text);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Failed(format!("cannot write the output: {e}"))),
    }
}

/// Write bytes that this program made itself (a manual page) to stdout as they are.
pub fn print_raw(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Failed(format!("cannot write the output: {e}"))),
    }
}

/// Serialize `value` as pretty JSON to stdout with a final newline; C1, DEL and Unicode format characters
/// are written as `\u` escapes (serde_json escapes C0 itself).
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let json =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Failed(format!("cannot write the output: {e}")))?;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(mcp_accounts::text::escape_json(&json).as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Failed(format!("cannot write the output: {e}"))),
    }
}

/// Whether to colour the status words: `--color`, `NO_COLOR`, and whether stdout is a terminal.
pub fn use_color(choice: super::args::ColorChoice) -> bool {
    use super::args::ColorChoice;
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
    }
}

/// The SGR colour of a status word (the TUI's badge colours), if it is one.
fn status_color(word: &str) -> Option<&'static str> {
    Some(match word {
        "valid" => "32",
        "expiring" => "33",
        "expired" | "error" => "31",
        "none" => "2",
        _ => return None,
    })
}

/// Colour the first status word at or after character `from` of a line (already terminal-safe).
fn paint(line: &str, from: usize) -> String {
    let start = line.char_indices().nth(from).map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let word_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
    match status_color(&rest[..word_end]) {
        Some(code) => format!(
            "{}\x1b[{code}m{}\x1b[0m{}",
            &line[..start],
            &rest[..word_end],
            &rest[word_end..]
        ),
        None => line.to_owned(),
    }
}

/// Print a table whose STATUS column is coloured when `color`.
pub fn print_table(text: &str, color: bool) -> Result<(), CliError> {
    if !color {
        return print(text);
    }
    let text = safe_lines(text);
    let column = text
        .lines()
        .next()
        .and_then(|h| h.find("STATUS"))
        .map(|i| text[..i].chars().count());
    let painted: Vec<String> = text
        .split('\n')
        .enumerate()
        .map(|(i, line)| match column {
            Some(col) if i > 0 => paint(line, col),
            _ => line.to_owned(),
        })
        .collect();
    print_raw(painted.join("\n").as_bytes())
}

/// Print `status` lines (`NAME: STATUS, …`) with the status word coloured when `color`.
pub fn print_status_lines(text: &str, color: bool) -> Result<(), CliError> {
    if !color {
        return print(text);
    }
    let painted: Vec<String> = safe_lines(text)
        .split('\n')
        .map(|line| match line.find(": ") {
            Some(i) => paint(line, line[..i + 2].chars().count()),
            None => line.to_owned(),
        })
        .collect();
    print_raw(painted.join("\n").as_bytes())
}

/// A table with a header row; each column as wide as its widest cell, two spaces between columns, no
/// trailing spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let t = table(
            &["NAME", "URL"],
            &[
                vec!["a".into(), "https://x".into()],
                vec!["long-name".into(), "u".into()],
            ],
        );
        assert_eq!(t, "NAME       URL\na          https://x\nlong-name  u\n");
    }
}
