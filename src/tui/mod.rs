//! The terminal UI: `mcp-accounts` without arguments.
//!
//! - [`app`]: state and `update` (keys and task results in, commands out; no I/O),
//! - [`event`]: the one event channel (terminal input, ticks, task results),
//! - [`tasks`]: runs commands as tokio tasks that report back,
//! - [`ui`]: drawing, which only reads the state,
//! - [`keys`]: the key table behind the handler, the footer and the help,
//! - [`form`]: the add-server form.

pub mod app;
pub mod event;
pub mod form;
pub mod keys;
pub mod tasks;
pub mod ui;

use std::sync::Arc;
use std::time::Duration;

use ratatui::DefaultTerminal;

use crate::cli::{CliError, open_for_writing};
use crate::clock::unix_now;
use crate::oauth::{HttpClient, HttpConfig};
use crate::paths::DbLocation;
use app::{App, Command};
use event::EventHandler;
use tasks::Tasks;

/// Puts the terminal in raw mode on the alternate screen and restores it when dropped, on every exit path
/// (`?` returns included); `ratatui::init` also restores it on a panic.
struct TerminalGuard {
    terminal: DefaultTerminal,
}

impl TerminalGuard {
    fn enter() -> Result<Self, CliError> {
        let terminal =
            ratatui::try_init().map_err(|e| CliError::Failed(format!("cannot start the terminal UI: {e}")))?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Run the terminal UI on the database at `location`.
pub fn run(location: &DbLocation) -> Result<(), CliError> {
    let store = Arc::new(open_for_writing(location)?);
    let mut app = App::new(unix_now());
    // The local offset can only be read soundly while the process has one thread: before the runtime.
    app.utc_offset_secs = time::UtcOffset::current_local_offset().map_or(0, |o| o.whole_seconds());
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut http_config = HttpConfig::from_env();
    // Tracing prints to stderr, which is the screen now.
    http_config.trace = false;
    let http = HttpClient::new(http_config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(event_loop(app, store, http));
    // Blocking store reads may still be running; they hold nothing the next process needs.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn event_loop(mut app: App, store: Arc<crate::store::Store>, http: HttpClient) -> Result<(), CliError> {
    let mut guard = TerminalGuard::enter()?;
    let mut events = EventHandler::start();
    let tasks = Tasks::new(store, http, events.sender());
    tasks.run(Command::Reload);
    let draw_error = |e: std::io::Error| CliError::Failed(format!("cannot draw: {e}"));
    loop {
        guard.terminal.draw(|frame| ui::draw(frame, &app)).map_err(draw_error)?;
        let Some(event) = events.next().await else { break };
        let mut commands = app.update(event);
        // Handle a burst (200 refreshes finishing) in one go, then draw once.
        while let Some(event) = events.try_next() {
            commands.extend(app.update(event));
        }
        for command in commands {
            tasks.run(command);
        }
        if app.should_quit() {
            break;
        }
    }
    tasks.shutdown();
    drop(guard);
    Ok(())
}

#[cfg(test)]
mod tests;
