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
