//! Opening the authorization URL in a browser: `$BROWSER` as a program with the URL as its only argument
//! (never through a shell), else the system's default browser through the `open` crate. Only `https://`
//! URLs (or `http://` to this machine) are ever handed over.

use std::process::{Command, Stdio};

use url::Url;

use crate::urls::check_transport;

/// Start a browser on `url` without waiting for it. `Err` says why not, in words.
pub fn open_browser(url: &Url) -> Result<(), String> {
    check_transport(url).map_err(|e| format!("refusing to open the URL: {e}"))?;
    match std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Some(program) => {
            let mut child = Command::new(&program)
                .arg(url.as_str())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start $BROWSER ({}): {e}", program.to_string_lossy()))?;
            // Reap it when it ends, so a long-running TUI collects no zombies.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        None => open::that_detached(url.as_str()).map_err(|e| format!("cannot start a browser: {e}")),
    }
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
            let err = open_browser(&Url::parse(bad).unwrap()).unwrap_err();
            assert!(err.starts_with("refusing to open"), "{bad}: {err}");
        }
    }
}
