//! Terminal-safe text: the one place that decides which characters of a string may reach a terminal, and
//! how text is cut and wrapped by display width.
//!
//! Every string that came from a server (an error description, an issuer, a scope) passes [`clean`] (or
//! [`sanitize`], which also makes it one short line) before it is printed or drawn. This module imports
//! nothing from the rest of the crate.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The longest server-supplied text [`sanitize`] keeps, in characters.
pub const MAX_SHOWN: usize = 200;

/// Whether `c` must never reach a terminal: C0 and C1 control characters and DEL (escape sequences start
/// with them).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
}

/// `text` with every character that could steer a terminal replaced by a space. The length in characters
/// stays the same, so it can be used where layout matters.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(text.chars().map(|c| if is_unsafe(c) { ' ' } else { c }).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// [`clean`], then runs of white space (newlines included) collapsed to one space: one line.
pub fn one_line(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Server-supplied text made safe for a one-line message: [`one_line`], cut to [`MAX_SHOWN`] characters.
pub fn sanitize(text: &str) -> String {
    shorten(&one_line(text))
}

/// Cut a string to [`MAX_SHOWN`] characters, with an ellipsis when cut.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    }
}

/// The number of terminal cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `text` padded with spaces to exactly `cells` cells, or cut to fit with an ellipsis.
pub fn fit(text: &str, cells: usize) -> String {
    let w = width(text);
    if w <= cells {
        let mut out = text.to_owned();
        out.extend(std::iter::repeat_n(' ', cells - w));
        return out;
    }
    if cells == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = char_width(c);
        if used + cw > cells - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out.extend(std::iter::repeat_n(' ', cells - 1 - used));
    out
}

/// Break `text` into pieces of at most `cells` cells: at a space when there is one in the second half of
/// the piece, else anywhere (a long URL). Pieces are trimmed at the end.
pub fn wrap(text: &str, cells: usize) -> Vec<String> {
    let cells = cells.max(1);
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    loop {
        // How many characters of the rest fit in `cells`.
        let mut used = 0;
        let mut end = start;
        while end < chars.len() && used + char_width(chars[end]) <= cells {
            used += char_width(chars[end]);
            end += 1;
        }
        if end == chars.len() {
            pieces.push(chars[start..].iter().collect());
            return pieces;
        }
        // A character wider than the whole width still has to go somewhere.
        let end = end.max(start + 1);
        let window = &chars[start..end];
        let cut = if chars[end] == ' ' {
            end - start + 1
        } else {
            match window.iter().rposition(|c| *c == ' ') {
                Some(space) if space >= window.len() / 2 => space + 1,
                _ => end - start,
            }
        };
        pieces.push(
            chars[start..start + cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_owned(),
        );
        start += cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_become_spaces() {
        assert_eq!(clean("evil\x1b[2J\x07name"), "evil [2J name");
        assert_eq!(clean("c1\u{9b}31m"), "c1 31m");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(
            sanitize("bad\x1b[31m red\r\nline\tand\x07bell"),
            "bad [31m red line and bell"
        );
        assert_eq!(sanitize(&"x".repeat(500)).chars().count(), MAX_SHOWN + 1);
    }

    #[test]
    fn wrapping_prefers_spaces_and_cuts_long_words() {
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(
            wrap("the server rejected the token", 12),
            ["the server", "rejected the", "token"]
        );
        assert_eq!(
            wrap("https://example.com/a/very/long/path", 12),
            ["https://exam", "ple.com/a/ve", "ry/long/path"]
        );
        // Wide characters count two cells.
        assert_eq!(wrap("日本語のテキスト", 6), ["日本語", "のテキ", "スト"]);
    }

    #[test]
    fn fitting_pads_and_cuts_by_cells() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("x", 0), "");
    }
}
