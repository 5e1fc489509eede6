//! One channel for everything the UI reacts to: terminal input and ticks, and background task results
//! (sent by `tasks.rs` through [`EventHandler::sender`]).
//!
//! Input and ticks come from a thread of their own, not from a tokio task: when 200 refreshes keep the
//! runtime's workers busy with store writes, a key press must still reach the UI loop at once.

use std::time::{Duration, Instant};

use crossterm::event::{self as term, Event as TermEvent, KeyEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use mcp_accounts::clock::unix_now;

use super::messages::Event;

/// Ticks per second: enough for a smooth spinner and a live countdown, cheap when idle.
pub const TICK_HZ: f64 = 4.0;

pub struct EventHandler {
    tx: UnboundedSender<Event>,
    rx: UnboundedReceiver<Event>,
}

impl EventHandler {
    /// Start the input-and-tick thread. It ends by itself once the receiving side is gone.
    pub fn start() -> Self {
        let (tx, rx) = unbounded_channel();
        let sender = tx.clone();
        std::thread::Builder::new()
            .name("tui-input".to_owned())
            .spawn(move || read_input(sender))
            .expect("spawning the input thread");
        EventHandler { tx, rx }
    }

    /// For tasks that report back.
    pub fn sender(&self) -> UnboundedSender<Event> {
        self.tx.clone()
    }

    /// Wait for the next event.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is already waiting (to handle a burst before redrawing).
    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

fn read_input(sender: UnboundedSender<Event>) {
    let period = Duration::from_secs_f64(1.0 / TICK_HZ);
    let mut next_tick = Instant::now() + period;
    while !sender.is_closed() {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let event = match term::poll(wait) {
            Ok(true) => match term::read() {
                Ok(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => Some(Event::Key(key)),
                Ok(TermEvent::Resize(width, height)) => Some(Event::Resize { width, height }),
                Ok(_) => None,
                Err(_) => Some(Event::InputClosed),
            },
            Ok(false) => None,
            // The terminal is gone: nothing more will come.
            Err(_) => Some(Event::InputClosed),
        };
        let closed = matches!(event, Some(Event::InputClosed));
        if let Some(event) = event
            && sender.send(event).is_err()
        {
            return;
        }
        if closed {
            return;
        }
        if Instant::now() >= next_tick {
            next_tick += period;
            if sender.send(Event::Tick { now: unix_now() }).is_err() {
                return;
            }
        }
    }
}
