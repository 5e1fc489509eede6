//! The bottom of the screen: the activity pane (the newest log entries), the status line, and the footer of
//! key hints for whatever has the keyboard.

use mcp_accounts::text::{clean, fit, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use crate::tui::app::App;
use crate::tui::keys::footer_hints;
use crate::view::time::local_time;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.dim())
        .title(" Activity (L: all) ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(log_tail(app, inner, theme)), inner);
}

/// The time of day of `unix`, local.
fn clock(app: &App, unix: i64) -> String {
    local_time(unix, app.utc_offset_secs).chars().skip(11).take(8).collect()
}

/// The newest log entries that fit in `area`, each wrapped under itself after its time.
pub fn log_tail(app: &App, area: Rect, theme: &Theme) -> Vec<Line<'static>> {
    log_lines(app, area, Some(area.height as usize), theme)
}

/// The log entries, newest last, each wrapped under itself after its time; with `limit`, only the newest
/// lines up to it.
pub fn log_lines(app: &App, area: Rect, limit: Option<usize>, theme: &Theme) -> Vec<Line<'static>> {
    const TIME_W: usize = 10;
    let width = (area.width as usize).saturating_sub(TIME_W).max(8);
    let height = limit.unwrap_or(usize::MAX);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for m in app.log.iter().rev() {
        if lines.len() >= height {
            break;
        }
        let mut entry: Vec<Line<'static>> = wrap(&clean(&m.text), width)
            .into_iter()
            .enumerate()
            .map(|(i, piece)| {
                let time = if i == 0 {
                    format!("{}  ", clock(app, m.at))
                } else {
                    " ".repeat(TIME_W)
                };
                Line::from(vec![
                    Span::styled(time, theme.dim()),
                    Span::styled(piece, theme.level(m.level)),
                ])
            })
            .collect();
        entry.append(&mut lines);
        lines = entry;
    }
    // Keep the newest lines when the oldest entry does not fit whole.
    let extra = lines.len().saturating_sub(height);
    lines.split_off(extra)
}

pub fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if app.filtering {
        Line::from(vec![
            Span::styled("filter: /", theme.key()),
            Span::raw(clean(&app.filter).into_owned()),
            Span::styled("█", theme.dim()),
        ])
    } else if let Some(m) = &app.status {
        // Cut with an ellipsis, so a long message does not just stop at the edge (the whole of it is in
        // the activity pane above).
        Line::from(Span::styled(
            fit(&clean(&m.text), area.width as usize),
            theme.level(m.level),
        ))
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The key hints of the mode that has the keyboard, from its key table.
pub fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    frame.render_widget(Paragraph::new(hint_line(&footer_hints(app.mode()), theme)), area);
}

/// `key hint  key hint …`.
pub fn hint_line(hints: &[(&'static str, &'static str)], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, hint)) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::styled(format!(" {hint}"), theme.dim()));
    }
    Line::from(spans)
}
