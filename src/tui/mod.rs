//! The terminal UI: `mcp-accounts` without arguments.
//!
//! - [`app`]: state and `update` (keys and typed task results in, commands out; no I/O),
//! - [`messages`]: the events the app reacts to and the commands it sends out,
//! - [`event`]: the one event channel (terminal input, ticks, task results),
//! - [`tasks`]: runs commands as tokio tasks over the session layer, which report back,
//! - [`ui`]: drawing, which only reads the state, one file per pane,
//! - [`keys`]: the key table of each mode, behind the handler, the footer and the help,
//! - [`form`]: the add-server form.

pub mod account;
pub mod app;
pub mod assist;
pub mod event;
pub mod form;
pub mod keys;
pub mod messages;
pub mod scroll;
pub mod tasks;
pub mod ui;

use std::sync::Arc;
use std::time::Duration;

use mcp_accounts::clock::unix_now;
use mcp_accounts::oauth::HttpClient;
use mcp_accounts::session::Session;
use mcp_accounts::store::Store;
use ratatui::DefaultTerminal;

use app::App;
use event::EventHandler;
use messages::{Command, Event};
use tasks::Tasks;

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("cannot start the terminal UI: {0}")]
    Terminal(std::io::Error),
    #[error("cannot draw: {0}")]
    Draw(std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Http(#[from] mcp_accounts::oauth::Error),
}

/// Puts the terminal in raw mode on the alternate screen and restores it when dropped, on every exit path
/// (`?` returns included); `ratatui::init` also restores it on a panic.
struct TerminalGuard {
    terminal: DefaultTerminal,
}

impl TerminalGuard {
    fn enter() -> Result<Self, TuiError> {
        let terminal = ratatui::try_init().map_err(TuiError::Terminal)?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Run the terminal UI on `store`.
pub fn run(store: Store) -> Result<(), TuiError> {
    let store = Arc::new(store);
    let mut app = App::new(unix_now());
    // The local offset can only be read soundly while the process has one thread: before the runtime.
    app.utc_offset_secs = time::UtcOffset::current_local_offset().map_or(0, |o| o.whole_seconds());
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let session = Session::new(store.clone(), HttpClient::new(crate::config::http_config())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    let result = runtime.block_on(event_loop(app, store, session));
    // Blocking store reads may still be running; they hold nothing the next process needs.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn event_loop(mut app: App, store: Arc<Store>, session: Session) -> Result<(), TuiError> {
    let mut guard = TerminalGuard::enter()?;
    if let Ok(size) = guard.terminal.size() {
        app.update(Event::Resize {
            width: size.width,
            height: size.height,
        });
    }
    app.set_detail_limit(ui::detail::max_scroll(&app));
    let mut events = EventHandler::start();
    let tasks = Tasks::new(store, session, events.sender());
    tasks.run(Command::Reload);
    loop {
        guard
            .terminal
            .draw(|frame| ui::draw(frame, &app))
            .map_err(TuiError::Draw)?;
        let Some(event) = events.next().await else { break };
        let mut commands = app.update(event);
        // Handle a burst (200 refreshes finishing) in one go, then draw once.
        while let Some(event) = events.try_next() {
            commands.extend(app.update(event));
        }
        app.set_detail_limit(ui::detail::max_scroll(&app));
        for command in commands {
            match command {
                Command::Copy(text) => copy_to_clipboard(&text),
                command => tasks.run(command),
            }
        }
        if app.should_quit() {
            break;
        }
    }
    tasks.shutdown();
    drop(guard);
    Ok(())
}

/// Put `text` on the clipboard through the terminal: OSC 52, which most terminals (and tmux with
/// `set-clipboard on`) honour; a terminal that does not simply ignores it.
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|()| out.flush());
}

#[cfg(test)]
mod tests;
