//! The details pane: the selected account's work in progress or last outcome, its token, what discovery
//! found, and its client registration. [`lines`] is a pure function of the state, so the scroll limit
//! ([`max_scroll`]) is computed from the same lines that are drawn.

use mcp_accounts::oauth::ClientSource;
use mcp_accounts::session::LoginStep;
use mcp_accounts::store::{Account, Status};
use mcp_accounts::text::{clean, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::layout::layout;
use super::theme::{SPINNER, Theme};
use crate::tui::app::{App, Busy, Focus, Level};
use crate::tui::messages::{TaskKind, verified_summary};
use crate::view::discovery::{Tone, answered, rows};
use crate::view::time::{ago, clock_left, local_time, relative_expiry, span};

/// The width of the label column.
const LABEL_W: usize = 14;

/// A `label  value` row, the value wrapped under itself (URLs stay readable in a narrow pane).
fn row(lines: &mut Vec<Line<'static>>, width: usize, label: &str, value: &str, style: Style, theme: &Theme) {
    let value = clean(value);
    for (i, chunk) in wrap(&value, width.saturating_sub(LABEL_W).max(8))
        .into_iter()
        .enumerate()
    {
        let label = if i == 0 { label } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<w$}", w = LABEL_W), theme.dim()),
            Span::styled(chunk, style),
        ]));
    }
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), theme.heading()))
}

/// How far the details of the selected account can scroll at the app's screen size.
pub fn max_scroll(app: &App) -> u16 {
    let (width, height) = app.size;
    let area = layout(Rect::new(0, 0, width, height)).detail;
    let Some(account) = app.current() else { return 0 };
    let theme = Theme { color: false };
    let count = lines(app, account, area.width.saturating_sub(2) as usize, &theme).len();
    let visible = area.height.saturating_sub(2) as usize;
    count.saturating_sub(visible).min(u16::MAX as usize) as u16
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(account) = app.current() else {
        frame.render_widget(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.dim()),
            area,
        );
        return;
    };
    let lines = lines(app, account, area.width.saturating_sub(2) as usize, theme);
    // Scroll within what there is; say when more is below or above.
    let visible = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(visible);
    let scroll = (app.detail_scroll as usize).min(max_scroll);
    let focused = app.focus == Focus::Details;
    let more = match (scroll > 0, scroll < max_scroll) {
        (_, true) if !focused => " · Tab to scroll ",
        (false, true) => " · PgDn more ",
        (true, true) => " · PgUp/PgDn more ",
        (true, false) => " · PgUp back ",
        (false, false) => " ",
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(format!(" {}{more}", account.name));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)).block(block), area);
}

/// Every line of the details of `account`, for a pane `w` cells wide.
pub fn lines(app: &App, account: &Account, w: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let plain = Style::new();
    if let Some(busy) = app.busy.get(&account.name) {
        lines.extend(busy_lines(app, busy, w, theme));
        lines.push(Line::default());
    } else if let Some(outcome) = app.outcomes.get(&account.name) {
        let mark = match outcome.level {
            Level::Success => "✓",
            Level::Error => "✗",
            Level::Info => "·",
        };
        let style = theme.level(outcome.level);
        // The whole message, wrapped under itself: this is where a long error can be read in full.
        let text = format!("{}: {}", ago(outcome.at, app.now), clean(&outcome.text));
        for (i, piece) in wrap(&text, w.saturating_sub(2).max(8)).into_iter().enumerate() {
            let lead = if i == 0 { format!("{mark} ") } else { "  ".to_owned() };
            lines.push(Line::from(vec![Span::styled(lead, style), Span::styled(piece, style)]));
        }
        lines.push(Line::default());
    }

    match &account.server {
        Ok(server) => row(&mut lines, w, "URL", &server.url, plain, theme),
        Err(e) => row(
            &mut lines,
            w,
            "URL",
            &format!("unreadable: {e}"),
            theme.level(Level::Error),
            theme,
        ),
    }
    token_lines(&mut lines, app, account, w, theme);
    mcp_lines(&mut lines, app, account, w, theme);
    lines.push(Line::default());
    lines.push(heading("Authorization server", theme));
    match &account.metadata {
        None => row(
            &mut lines,
            w,
            "",
            "not discovered yet (l logs in, D discovers)",
            theme.dim(),
            theme,
        ),
        Some(Err(e)) => row(&mut lines, w, "", &e.to_string(), theme.level(Level::Error), theme),
        Some(Ok(d)) => {
            let (answered, tried) = answered(d);
            row(
                &mut lines,
                w,
                "Discovered",
                &format!(
                    "{} · {answered} of {tried} URLs answered",
                    ago(d.discovered_at, app.now)
                ),
                plain,
                theme,
            );
            for r in rows(d) {
                let style = match r.tone {
                    Tone::Plain => plain,
                    Tone::Bad => theme.level(Level::Error),
                };
                row(&mut lines, w, r.short, &r.value, style, theme);
            }
            // ✓ where a URL answered, as the count above says; "(used)" on the answers discovery took.
            for attempt in &d.attempts {
                let mark = if attempt.outcome.is_success() { "✓" } else { "·" };
                row(
                    &mut lines,
                    w,
                    "",
                    &format!(
                        "{mark} {} {}{}",
                        attempt.outcome,
                        attempt.url,
                        if attempt.used { " (used)" } else { "" }
                    ),
                    theme.dim(),
                    theme,
                );
            }
        }
    }
    client_lines(&mut lines, app, account, w, theme);
    lines
}

/// The MCP side: the last verification, and which clients use the account.
fn mcp_lines(lines: &mut Vec<Line<'static>>, app: &App, account: &Account, w: usize, theme: &Theme) {
    lines.push(Line::default());
    lines.push(heading("MCP", theme));
    match app.verified.get(&account.name) {
        Some((v, at)) => row(
            lines,
            w,
            "Verified",
            &format!("{} · {}", verified_summary(v), ago(*at, app.now)),
            Style::new(),
            theme,
        ),
        None => row(lines, w, "Verified", "not yet · press v to verify", theme.dim(), theme),
    }
    match app.clients.get(&account.name) {
        Some(ids) => row(lines, w, "Clients", &ids.join(", "), Style::new(), theme),
        None => row(
            lines,
            w,
            "Clients",
            "none connected (mcp-accounts connect)",
            theme.dim(),
            theme,
        ),
    }
}

fn token_lines(lines: &mut Vec<Line<'static>>, app: &App, account: &Account, w: usize, theme: &Theme) {
    let plain = Style::new();
    let status = account.status(app.now);
    match account.token() {
        Some(token) => {
            let expiry = relative_expiry(token.expires_at, true, app.now);
            row(
                lines,
                w,
                "Status",
                &format!("{} · {expiry}", status.as_str()),
                theme.status(status),
                theme,
            );
            if let Some(who) = &token.identity {
                row(
                    lines,
                    w,
                    "Account",
                    &format!("{who} (as the server says)"),
                    plain,
                    theme,
                );
            }
            if let Some(at) = token.expires_at {
                row(
                    lines,
                    w,
                    "Expires at",
                    &local_time(at, app.utc_offset_secs),
                    plain,
                    theme,
                );
            }
            let scopes = if token.scopes.is_empty() {
                "(none granted)".to_owned()
            } else {
                token.scopes.join(" ")
            };
            row(lines, w, "Scopes", &scopes, plain, theme);
            let refresh = match (&token.refresh_token, &token.last_refresh) {
                (None, _) => "none (log in again when it expires)".to_owned(),
                (Some(_), None) => "yes · not refreshed yet".to_owned(),
                (Some(_), Some(r)) if r.ok => format!("yes · refreshed {}", ago(r.at, app.now)),
                (Some(_), Some(r)) => format!(
                    "yes · last refresh failed {}: {}",
                    ago(r.at, app.now),
                    r.error.as_deref().unwrap_or("?")
                ),
            };
            let failed = token.last_refresh.as_ref().is_some_and(|r| !r.ok);
            let style = if failed { theme.level(Level::Error) } else { plain };
            row(lines, w, "Refresh", &refresh, style, theme);
            if let Some(r) = token
                .last_refresh
                .as_ref()
                .filter(|r| !r.ok && token.refresh_token.is_none())
            {
                row(
                    lines,
                    w,
                    "",
                    &format!(
                        "last refresh failed {}: {}",
                        ago(r.at, app.now),
                        r.error.as_deref().unwrap_or("?")
                    ),
                    theme.level(Level::Error),
                    theme,
                );
            }
            row(lines, w, "Obtained", &ago(token.obtained_at, app.now), plain, theme);
        }
        None if status == Status::Error => {
            row(lines, w, "Status", "error", theme.status(status), theme);
            if let Some(e) = account.last_error() {
                row(lines, w, "", &e, theme.level(Level::Error), theme);
            }
        }
        None => row(
            lines,
            w,
            "Status",
            "not logged in · press l to log in",
            theme.status(status),
            theme,
        ),
    }
    // What was configured with `add`, so it can be checked before the first login.
    if let Ok(server) = &account.server {
        if !server.scopes.is_empty() {
            row(lines, w, "Asks for", &server.scopes.join(" "), plain, theme);
        }
        if let Some(port) = server.callback_port {
            row(lines, w, "Callback port", &port.to_string(), plain, theme);
        }
        if let Some(var) = &server.client_secret_env {
            row(
                lines,
                w,
                "Secret from",
                &format!("${var} (read at login)"),
                plain,
                theme,
            );
        }
    }
}

fn client_lines(lines: &mut Vec<Line<'static>>, app: &App, account: &Account, w: usize, theme: &Theme) {
    let plain = Style::new();
    lines.push(Line::default());
    lines.push(heading("Client", theme));
    let configured = account.server.as_ref().ok().and_then(|s| s.client_id.clone());
    match (&account.client, configured) {
        (Some(Ok(c)), _) => {
            let how = match c.source {
                ClientSource::Dynamic => format!("dynamic registration, {}", ago(c.registered_at, app.now)),
                ClientSource::Configured => "configured (--client-id)".to_owned(),
                ClientSource::MetadataDocument => "client ID metadata document".to_owned(),
            };
            row(lines, w, "Client ID", &format!("{} · {how}", c.client_id), plain, theme);
            row(lines, w, "Redirect URI", &c.redirect_uri, plain, theme);
        }
        (Some(Err(e)), _) => row(lines, w, "", &e.to_string(), theme.level(Level::Error), theme),
        (None, Some(id)) => row(
            lines,
            w,
            "Client ID",
            &format!("{id} · configured (--client-id)"),
            plain,
            theme,
        ),
        (None, None) => row(
            lines,
            w,
            "",
            "not registered yet (registered at login)",
            theme.dim(),
            theme,
        ),
    }
}

fn busy_lines(app: &App, busy: &Busy, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let spin = SPINNER[(app.ticks as usize) % SPINNER.len()];
    let accent = theme.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let what = match (&busy.kind, &busy.step) {
        (TaskKind::Login, None) => "Logging in: starting".to_owned(),
        (TaskKind::Login, Some(LoginStep::Discovering)) => {
            "Logging in: discovering the authorization server".to_owned()
        }
        (TaskKind::Login, Some(LoginStep::Registering)) => "Logging in: registering a client".to_owned(),
        (TaskKind::Login, Some(LoginStep::Exchanging)) => "Logging in: exchanging the code for a token".to_owned(),
        (TaskKind::Login, Some(LoginStep::DeviceCode { .. })) => {
            "Logging in: waiting for the code on another device".to_owned()
        }
        (TaskKind::Login, Some(_)) => "Logging in: waiting for the browser".to_owned(),
        (kind, _) => {
            let verb = kind.verb();
            let mut chars = verb.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_uppercase().collect::<String>() + chars.as_str())
        }
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{spin} {what}"), accent),
        Span::styled(format!("  {}", span(app.now - busy.since)), theme.dim()),
    ])];
    if let Some(LoginStep::DeviceCode {
        verification_uri,
        verification_uri_complete,
        user_code,
        expires_in,
    }) = &busy.step
    {
        let (what, page) = match verification_uri_complete {
            Some(page) => ("check that it shows", page),
            None => ("enter", verification_uri),
        };
        let hint = format!(
            "On any device, open this page and {what} the code below (Esc cancels; c copies the page, u shows \
             it alone):"
        );
        hint_and_url(&mut lines, &hint, page, width, theme);
        let elapsed = u64::try_from(app.now - busy.step_at).unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled("Code  ", theme.dim()),
            Span::styled(clean(user_code).into_owned(), accent),
            Span::styled(
                format!("  {} left", clock_left(expires_in.saturating_sub(elapsed))),
                theme.dim(),
            ),
        ]));
    }
    if let Some(LoginStep::WaitingForBrowser { url }) = &busy.step {
        let hint = "Open this URL if no browser appeared (Esc cancels; c copies it, o opens the browser \
                    again, u shows it alone, p pastes the URL the browser ended on):";
        hint_and_url(&mut lines, hint, url, width, theme);
    }
    lines
}

/// A dim hint, wrapped, then a URL wrapped unbroken by spaces or indentation, so that a terminal
/// selection copies it whole.
fn hint_and_url(lines: &mut Vec<Line<'static>>, hint: &str, url: &str, width: usize, theme: &Theme) {
    let width = width.max(8);
    lines.extend(
        wrap(hint, width)
            .into_iter()
            .map(|piece| Line::from(Span::styled(piece, theme.dim()))),
    );
    lines.extend(
        wrap(&clean(url), width)
            .into_iter()
            .map(|piece| Line::from(Span::raw(piece))),
    );
}
