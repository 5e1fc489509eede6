//! Opening the authorization URL in a browser: `$BROWSER` as a program with the URL as its only argument
//! (never through a shell), else the system's default browser through the `open` crate. Only `https://`
//! URLs (or `http://` to this machine) are ever handed over.

use std::process::{Command, Stdio};

use mcp_accounts::urls::{UrlError, check_transport};
use url::Url;

/// Why no browser was started. Each is one short line: a launcher's own output never reaches the screen.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The URL breaks the URL rules (a `javascript:` or `file:` URL, say).
    #[error("refusing to open the URL: {0}")]
    Refused(#[from] UrlError),
    /// No program of `$BROWSER` could be started.
    #[error("could not open a browser ({program}: {reason}); open the URL yourself")]
    Program {
        /// The program tried last.
        program: String,
        /// Why, shortened.
        reason: String,
    },
    /// The system's default browser could not be started.
    #[error("could not open a browser ({0}); open the URL yourself")]
    Default(String),
}

/// The first line of a launcher's complaint, at most 80 characters, as words ("no such file or
/// directory", not "No such file or directory (os error 2)").
fn short(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no reason given");
    let line = mcp_accounts::text::plain_error(line);
    let line = line.as_str();
    let mut short: String = mcp_accounts::text::clean(line).chars().take(80).collect();
    if line.chars().count() > 80 {
        short.push('…');
    }
    short
}

/// The programs `$BROWSER` names, each with its arguments: a colon-separated list (as `xdg-open`
/// reads it), each entry split the way a shell would split it (no shell runs); `%s` in an entry stands
/// for the URL, else the URL is the last argument.
pub fn browser_commands(value: &str, url: &str) -> Vec<(String, Vec<String>)> {
    value
        .split(':')
        .filter_map(|entry| {
            let mut words = shell_words::split(entry.trim()).ok()?.into_iter();
            let program = words.next()?;
            let mut args: Vec<String> = words.collect();
            if args.iter().any(|a| a.contains("%s")) {
                args = args.into_iter().map(|a| a.replace("%s", url)).collect();
            } else {
                args.push(url.to_owned());
            }
            Some((program, args))
        })
        .collect()
}

/// Start a browser on `url` without waiting for it.
pub fn open_browser(url: &Url) -> Result<(), BrowserError> {
    check_transport(url)?;
    let Some(value) = std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()) else {
        return open::that_detached(url.as_str()).map_err(|e| BrowserError::Default(short(&e.to_string())));
    };
    let mut last = None;
    for (program, args) in browser_commands(&value, url.as_str()) {
        match Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it when it ends, so a long-running TUI collects no zombies.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => last = Some((program, short(&e.to_string()))),
        }
    }
    let (program, reason) = last.unwrap_or_else(|| ("$BROWSER".to_owned(), "it names no program".to_owned()));
    Err(BrowserError::Program { program, reason })
}

/// Whether a browser can be opened here without asking: `BROWSER` is set, or there is a desktop (a
/// display on Linux and the BSDs; macOS and Windows always have one). Over SSH without either, no.
pub fn available() -> bool {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    set("BROWSER") || cfg!(any(target_os = "macos", windows)) || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// [`open_browser`] in the shape the session layer takes.
pub fn opener() -> mcp_accounts::session::BrowserOpener {
    std::sync::Arc::new(|url: &Url| open_browser(url).map_err(Into::into))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_may_hold_arguments_and_a_list() {
        let url = "https://as.example/authorize?x=1";
        assert_eq!(
            browser_commands("firefox --new-tab", url),
            [("firefox".to_owned(), vec!["--new-tab".to_owned(), url.to_owned()])]
        );
        assert_eq!(
            browser_commands("'/opt/My Browser/run' %s --x:lynx", url),
            [
                ("/opt/My Browser/run".to_owned(), vec![url.to_owned(), "--x".to_owned()]),
                ("lynx".to_owned(), vec![url.to_owned()]),
            ]
        );
        assert!(browser_commands(" : ", url).is_empty());
    }

    #[test]
    fn a_launchers_complaint_is_one_short_line() {
        let long = format!("gio: Operation not supported\n{}", "x".repeat(300));
        assert_eq!(short(&long), "gio: Operation not supported");
        assert_eq!(short(&"y".repeat(100)).chars().count(), 81);
    }

    #[test]
    fn dangerous_schemes_are_never_opened() {
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://example.com/authorize",
            "data:text/html,x",
        ] {
            let err = open_browser(&Url::parse(bad).unwrap()).unwrap_err().to_string();
            assert!(err.starts_with("refusing to open"), "{bad}: {err}");
        }
    }
}
