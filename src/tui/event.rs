//! One channel for everything the UI reacts to: terminal input and ticks (from a task that reads crossterm's
//! event stream) and background task results (sent by `tasks.rs` through [`EventHandler::sender`]).

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::app::Event;
use crate::clock::unix_now;

/// Ticks per second: enough for a smooth spinner and a live countdown, cheap when idle.
pub const TICK_HZ: f64 = 4.0;

pub struct EventHandler {
    tx: UnboundedSender<Event>,
    rx: UnboundedReceiver<Event>,
}

impl EventHandler {
    /// Start reading the terminal and ticking (on the current tokio runtime).
    pub fn start() -> Self {
        let (tx, rx) = unbounded_channel();
        let sender = tx.clone();
        tokio::spawn(async move {
            let mut input = EventStream::new();
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / TICK_HZ));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                let event = tokio::select! {
                    _ = sender.closed() => break,
                    _ = tick.tick() => Event::Tick { now: unix_now() },
                    input = input.next() => match input {
                        Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => Event::Key(key),
                        Some(Ok(TermEvent::Resize(_, _))) => Event::Resize,
                        Some(Ok(_)) => continue,
                        // The terminal is gone: nothing more will come.
                        Some(Err(_)) | None => {
                            let _ = sender.send(Event::InputClosed);
                            break;
                        }
                    },
                };
                if sender.send(event).is_err() {
                    break;
                }
            }
        });
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
