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
/// with them), and the invisible ones that change how text reads: Unicode format characters (category Cf:
/// the bidi embeddings, overrides and isolates, zero-width spaces and joiners, the BOM, tag characters) and
/// the line and paragraph separators (Zl, Zp).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_format_or_separator(c)
}

/// Unicode general categories Cf, Zl and Zp (Unicode 15).
fn is_format_or_separator(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// `json` (serialized JSON) with every character [`is_unsafe`] written as a `\uXXXX` escape, so that no
/// such character reaches a terminal that shows the JSON. serde_json escapes C0 controls already; this
/// adds C1, DEL and the format characters, which it writes raw. Such characters only occur inside JSON
/// strings, where the escape means the same.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    // C0 controls are serde_json's to escape, and the layout's line breaks are not to be touched.
    let raw_unsafe = |c: char| is_unsafe(c) && c as u32 >= 0x7F;
    if !json.chars().any(raw_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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

/// An operating system's error text as part of a sentence: "Connection refused (os error 111)" becomes
/// "connection refused". The error number says nothing to a person; the capital sits mid-sentence.
pub fn plain_error(text: &str) -> String {
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(text[first.len_utf8()..].chars()).collect()
        }
        _ => text.to_owned(),
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
    fn an_operating_system_error_reads_as_part_of_a_sentence() {
        assert_eq!(plain_error("Connection refused (os error 111)"), "connection refused");
        assert_eq!(
            plain_error("No such file or directory (os error 2)"),
            "no such file or directory"
        );
        assert_eq!(plain_error("TLS handshake failed"), "TLS handshake failed");
        assert_eq!(plain_error("dns error (os error"), "dns error (os error");
        assert_eq!(plain_error(""), "");
    }

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
        // Bidi overrides and isolates, zero-width space, line separator, tag characters.
        for c in [
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{2028}',
            '\u{2029}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert_eq!(clean(&format!("a{c}b")), "a b", "{:x}", c as u32);
        }
        assert_eq!(clean("naïve café 日本"), "naïve café 日本");
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw() {
        let json = serde_json::to_string("x\u{9b}31m\u{202e}y\u{e0041}").unwrap();
        let escaped = escape_json(&json);
        assert_eq!(escaped, r#""x\u009b31m\u202ey\udb40\udc41""#);
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "x\u{9b}31m\u{202e}y\u{e0041}");
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
