//! The live last line of a device login on a terminal: how long the code has left, rewritten in place once
//! a second, so that someone walking to another device sees how long they have. Lines printed meanwhile go
//! above it. Off a terminal nothing is rewritten: the caller prints a plain line instead.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Erase the current line of the terminal and go back to its start.
const ERASE_LINE: &str = "\r\x1b[K";

#[derive(Clone)]
pub struct Countdown {
    /// When the code expires, while the line is shown.
    deadline: Arc<Mutex<Option<Instant>>>,
}

impl Countdown {
    pub fn new() -> Self {
        Countdown {
            deadline: Arc::new(Mutex::new(None)),
        }
    }

    /// Whether stderr is a terminal, where the line can be rewritten.
    pub fn possible() -> bool {
        std::io::stderr().is_terminal()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Instant>> {
        self.deadline.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Show the line for a code that expires in `left`, and keep it current until [`Countdown::stop`].
    pub fn start(&self, left: Duration) {
        let deadline = Instant::now() + left;
        *self.lock() = Some(deadline);
        draw(deadline);
        let this = self.clone();
        std::thread::spawn(move || {
            loop {
                // Wake on the next whole second of what is left, so the seconds tick evenly.
                let now = Instant::now();
                let until_tick = deadline.saturating_duration_since(now).subsec_nanos();
                std::thread::sleep(Duration::from_nanos(u64::from(until_tick).max(1_000_000)));
                let shown = this.lock();
                match *shown {
                    Some(d) if d == deadline => draw(deadline),
                    _ => return,
                }
            }
        });
    }

    /// Print `text` as a line of its own: above the live line while there is one.
    pub fn say(&self, text: &str) {
        let shown = self.lock();
        match *shown {
            Some(deadline) => {
                eprintln!("{ERASE_LINE}{text}");
                draw(deadline);
            }
            None => eprintln!("{text}"),
        }
    }

    /// Take the line away (the login ended, one way or another).
    pub fn stop(&self) {
        let mut shown = self.lock();
        if shown.take().is_some() {
            eprint!("{ERASE_LINE}");
            let _ = std::io::stderr().flush();
        }
    }
}

fn draw(deadline: Instant) {
    let left = deadline.saturating_duration_since(Instant::now());
    eprint!("{ERASE_LINE}{}", line(left));
    let _ = std::io::stderr().flush();
}

/// `waiting for you to confirm there: 14:32 left (Ctrl-C cancels)`; the seconds rounded up, so the line
/// says 0:00 only when the time is up.
fn line(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    format!(
        "waiting for you to confirm there: {} left (Ctrl-C cancels)",
        crate::view::time::clock_left(secs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_minutes_and_seconds_rounded_up() {
        assert!(line(Duration::from_secs(900)).contains(": 15:00 left"));
        assert!(line(Duration::from_millis(899_200)).contains(": 15:00 left"));
        assert!(line(Duration::from_millis(898_900)).contains(": 14:59 left"));
        assert!(line(Duration::from_millis(400)).contains(": 0:01 left"));
        assert!(line(Duration::ZERO).contains(": 0:00 left"));
    }
}
