//! Opening the authorization URL in a browser: `$BROWSER` as a program with the URL as its only argument
//! (never through a shell), else the system's default browser through the `open` crate. Only `https://`
//! URLs (or `http://` to this machine) are ever handed over.

use std::process::{Command, Stdio};

use mcp_accounts::urls::{UrlError, check_transport};
use url::Url;

/// Why no browser was started.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The URL breaks the URL rules (a `javascript:` or `file:` URL, say).
    #[error("refusing to open the URL: {0}")]
    Refused(#[from] UrlError),
    /// `$BROWSER` could not be started.
    #[error("cannot start $BROWSER ({program}): {source}")]
    Program {
        /// The program named.
        program: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The system's default browser could not be started.
    #[error("cannot start a browser: {0}")]
    Default(std::io::Error),
}

/// Start a browser on `url` without waiting for it.
pub fn open_browser(url: &Url) -> Result<(), BrowserError> {
    check_transport(url)?;
    match std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Some(program) => {
            let mut child = Command::new(&program)
                .arg(url.as_str())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|source| BrowserError::Program {
                    program: program.to_string_lossy().into_owned(),
                    source,
                })?;
            // Reap it when it ends, so a long-running TUI collects no zombies.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        None => open::that_detached(url.as_str()).map_err(BrowserError::Default),
    }
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
