//! The popups: the help (built from the key tables), the whole activity log, a yes/no question and the
//! add-server form.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Wrap};

use super::activity::{hint_line, log_lines};
use super::theme::Theme;
use crate::tui::app::{App, Confirm, Level};
use crate::tui::form::{AddForm, Field};
use crate::tui::keys::{MAIN, Mode, footer_hints};

/// A centred rectangle of at most `width` x `height`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

fn popup_block(title: &str, theme: &Theme) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .padding(Padding::horizontal(1))
        .title(format!(" {title} "))
}

pub fn draw_help(frame: &mut Frame, area: Rect, scroll: u16, theme: &Theme) {
    let inner_width = usize::from(centered(area, 88, 0).width.saturating_sub(4)).max(20);
    // The key column is 9 wide; a description too long for the line goes on under itself.
    let mut lines: Vec<Line> = Vec::new();
    for b in MAIN {
        for (i, chunk) in mcp_accounts::text::wrap(b.description, inner_width - 9)
            .into_iter()
            .enumerate()
        {
            let key = if i == 0 { b.label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{key:>7}  "), theme.key()),
                Span::raw(chunk),
            ]));
        }
    }
    // How to close it is in the footer ("Esc close"), which is always on screen; no blank line before the
    // statuses, so that the whole help fits at 100x30.
    let statuses = "Statuses: valid · expiring (< 5 min) · expired · none · error";
    for chunk in mcp_accounts::text::wrap(statuses, inner_width) {
        lines.push(Line::from(Span::styled(chunk, theme.dim())));
    }
    let total = lines.len() as u16;
    let rect = centered(area, 88, total + 2);
    let visible = rect.height.saturating_sub(2);
    let scroll = scroll.min(total.saturating_sub(visible));
    let title = if total > visible {
        let below = total - visible - scroll;
        format!("Keys · j/k/PgDn scroll · {below} more below")
    } else {
        "Keys".to_owned()
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(popup_block(&title, theme)),
        rect,
    );
}

/// The whole activity log, at its newest end; `up` lines scrolled back (j/k/PgUp/PgDn/g/G).
pub fn draw_log(frame: &mut Frame, area: Rect, app: &App, up: u16, theme: &Theme) {
    let rect = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    let inner = popup_block("", theme).inner(rect);
    let mut lines = log_lines(app, inner, None, theme);
    if lines.is_empty() {
        lines.push(Line::from(Span::styled("nothing happened yet", theme.dim())));
    }
    let total = lines.len() as u16;
    let bottom = total.saturating_sub(inner.height);
    let up = up.min(bottom);
    let title = if bottom > 0 {
        format!(
            "Activity · {} of {} lines · j/k/PgUp/g/G scroll · Esc closes",
            bottom - up + inner.height.min(total),
            total
        )
    } else {
        "Activity · Esc closes".to_owned()
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((bottom - up, 0))
            .block(popup_block(&title, theme)),
        rect,
    );
}

pub fn draw_confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, theme: &Theme) {
    let (title, question, detail) = match confirm {
        Confirm::Logout(name) => (
            "Log out",
            format!("Log out of {name}?"),
            "The token is revoked at the authorization server (when it offers revocation) and deleted here. \
             The client registration stays for the next login.",
        ),
        Confirm::Relogin { name, device } => (
            "Log in again",
            format!("{name} is logged in. Log in again?"),
            if *device {
                "A new login replaces the token (with a code entered on another device); use it to change the \
                 account or the scopes. The current token stays until the new one arrives."
            } else {
                "A new login replaces the token (the browser opens); use it to change the account or the \
                 scopes. The current token stays until the new one arrives."
            },
        ),
        Confirm::Delete(name) => (
            "Delete",
            format!("Delete {name}?"),
            "The server and everything stored for it (token, registration, metadata) are removed here. \
             The token is not revoked at the server: log out first for that.",
        ),
    };
    let lines = vec![
        Line::from(Span::styled(question, Style::new().add_modifier(Modifier::BOLD))),
        Line::default(),
        Line::from(detail),
        Line::default(),
        hint_line(&footer_hints(Mode::Confirm), theme),
    ];
    let rect = centered(area, 62, 10);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(popup_block(title, theme)),
        rect,
    );
}

pub fn draw_form(frame: &mut Frame, area: Rect, form: &AddForm, theme: &Theme) {
    let rect = centered(area, 74, 18);
    frame.render_widget(Clear, rect);
    let block = popup_block("Add a server", theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let label_w = 14u16;
    let mut y = inner.y;
    let mut cursor = None;
    // The last line is the key hints; fields never draw over it.
    let bottom = inner.y + inner.height.saturating_sub(1);
    for field in Field::ALL {
        if y >= bottom {
            break;
        }
        let focused = form.focused() == field;
        let value = &form.fields[field as usize];
        let label_style = if focused { theme.key() } else { theme.dim() };
        let line = if value.text.is_empty() && !focused {
            Line::from(vec![
                Span::styled(format!("{:<w$}", field.label(), w = label_w as usize), label_style),
                Span::styled(field.placeholder(), theme.dim()),
            ])
        } else {
            Line::from(vec![
                Span::styled(format!("{:<w$}", field.label(), w = label_w as usize), label_style),
                Span::raw(value.text.clone()),
            ])
        };
        frame.render_widget(Paragraph::new(line), Rect::new(inner.x, y, inner.width, 1));
        if focused {
            cursor = Some(Position::new(inner.x + label_w + value.cursor as u16, y));
        }
        y += 1;
        if let Some((error_field, message)) = &form.error
            && *error_field == field
            && y < bottom
        {
            let error = Paragraph::new(Line::from(Span::styled(
                format!("✗ {message}"),
                theme.level(Level::Error),
            )))
            .wrap(Wrap { trim: true });
            let lines = (message.chars().count() as u16 + 2).div_ceil(inner.width.saturating_sub(label_w).max(1));
            let h = lines.clamp(1, 3).min(bottom - y);
            frame.render_widget(
                error,
                Rect::new(inner.x + label_w, y, inner.width.saturating_sub(label_w), h),
            );
            y += h;
        }
        y += 1;
    }
    frame.render_widget(
        Paragraph::new(hint_line(&footer_hints(Mode::Form), theme)),
        Rect::new(inner.x, bottom, inner.width, 1),
    );
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}
