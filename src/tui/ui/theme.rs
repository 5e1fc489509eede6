//! Colours and symbols: one theme for every pane, with a `NO_COLOR` variant.

use mcp_accounts::store::Status;
use ratatui::style::{Color, Modifier, Style};

use crate::tui::app::Level;

/// Geometric shapes rather than braille: every monospace font has them at one cell wide.
pub const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// Colours, or none under `NO_COLOR` (then emphasis is carried by bold and reverse video).
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    pub fn status(&self, status: Status) -> Style {
        match status {
            Status::Valid => self.fg(Color::Green),
            Status::Expiring => self.fg(Color::Yellow),
            Status::Expired => self.fg(Color::Red),
            Status::Error => self.fg(Color::Magenta),
            Status::None => self.fg(Color::DarkGray),
        }
    }
    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Info => Style::new(),
            Level::Success => self.fg(Color::Green),
            Level::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }
    /// The selected row: reversed, in every terminal (16 or 256 colours, or none), with the row's own
    /// colours taken off so that no cell is drawn in the colour of its background.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn heading(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused { self.fg(Color::Cyan) } else { self.dim() }
    }
}
