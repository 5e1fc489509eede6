//! Drawing: reads the [`App`] and nothing else (no I/O). Every string that came from a server passes
//! through [`clean`] first, so no escape sequence from a hostile server reaches the terminal.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Padding, Paragraph, Wrap};

use super::app::{App, Busy, Confirm, Level, Popup, TaskKind};
use super::form::{AddForm, Field};
use super::keys::{BINDINGS, footer_hints};
use crate::account::{Account, Status, relative_expiry, span};
use crate::oauth::discovery::DiscoveryMode;
use crate::oauth::flow::LoginStep;
use crate::store::ClientSource;

/// Geometric shapes rather than braille: every monospace font has them at one cell wide.
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// Colours, or none under `NO_COLOR` (then emphasis is carried by bold and reverse video).
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    fn status(&self, status: Status) -> Style {
        match status {
            Status::Valid => self.fg(Color::Green),
            Status::Expiring => self.fg(Color::Yellow),
            Status::Expired => self.fg(Color::Red),
            Status::Error => self.fg(Color::Magenta),
            Status::None => self.fg(Color::DarkGray),
        }
    }
    fn level(&self, level: Level) -> Style {
        match level {
            Level::Info => Style::new(),
            Level::Success => self.fg(Color::Green),
            Level::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }
    fn selected(&self) -> Style {
        if self.color {
            Style::new().bg(Color::DarkGray).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    fn heading(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn border(&self, focused: bool) -> Style {
        if focused { self.fg(Color::Cyan) } else { self.dim() }
    }
}

/// Server-supplied text made safe for the terminal: control characters become spaces.
pub fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    let activity_height = if area.height >= 30 { 6 } else { 4 };
    let [body, activity, status, footer] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(activity_height),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    if !app.loaded {
        frame.render_widget(
            Paragraph::new("Loading accounts…").alignment(Alignment::Center).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .title(" mcp-accounts "),
            ),
            body,
        );
    } else if app.accounts.is_empty() {
        draw_welcome(frame, body, &theme);
    } else {
        let list_width = (area.width * 9 / 20).clamp(30, 60);
        let [list, detail] = Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);
        draw_list(frame, list, app, &theme);
        draw_detail(frame, detail, app, &theme);
    }
    draw_activity(frame, activity, app, &theme);
    draw_status(frame, status, app, &theme);
    draw_footer(frame, footer, &theme);

    match &app.popup {
        Some(Popup::Help) => draw_help(frame, area, &theme),
        Some(Popup::Log) => draw_log(frame, area, app, &theme),
        Some(Popup::Confirm(confirm)) => draw_confirm(frame, area, confirm, &theme),
        Some(Popup::Add(form)) => draw_form(frame, area, form, &theme),
        None => {}
    }
}

fn draw_welcome(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = Text::from(vec![
        Line::default(),
        Line::from(Span::styled("No MCP servers yet.", theme.heading())),
        Line::default(),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("a", theme.key()),
            Span::raw(" to add one: a name and the server's MCP URL."),
        ]),
        Line::from("Then press l to log in; the browser opens for you."),
        Line::default(),
        Line::from(Span::styled("From a shell: mcp-accounts add NAME URL", theme.dim())),
        Line::from(Span::styled("Press ? for every key.", theme.dim())),
    ]);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border(true))
                    .title(" mcp-accounts "),
            ),
        area,
    );
}

/// `● valid`, or a spinner and the work in progress.
fn badge(app: &App, account: &Account, theme: &Theme) -> Span<'static> {
    if let Some(busy) = app.busy.get(&account.name) {
        let frame = SPINNER[(app.ticks as usize) % SPINNER.len()];
        let word = match busy.kind {
            TaskKind::Login => "login",
            TaskKind::Refresh => "refresh",
            TaskKind::Logout => "logout",
            TaskKind::Discover => "discover",
            TaskKind::Add => "adding",
            TaskKind::Delete => "delete",
        };
        return Span::styled(format!("{frame} {word:<8}"), theme.fg(Color::Cyan));
    }
    let status = account.status(app.now);
    let dot = match status {
        Status::None => "○",
        Status::Error => "✗",
        _ => "●",
    };
    Span::styled(format!("{dot} {:<8}", status.as_str()), theme.status(status))
}

/// Cut `text` to `width` characters, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        format!("{text:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// The largest unit only, to fit a narrow column: `59m`, `3h`, `2d ago`.
fn time_left(account: &Account, now: i64) -> String {
    let short = |secs: i64| match secs {
        ..60 => format!("{}s", secs.max(0)),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    };
    match account.token() {
        None => "-".to_owned(),
        Some(t) => match t.expires_at {
            None => "∞".to_owned(),
            Some(at) if at > now => short(at - now),
            Some(at) => format!("{} ago", short(now - at)),
        },
    }
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let visible = app.visible();
    let selected = app.selected_index();
    let title = if app.filter.is_empty() {
        format!(" Servers ({}) ", app.accounts.len())
    } else {
        format!(" Servers {}/{} · /{} ", visible.len(), app.accounts.len(), app.filter)
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    // Keep the selection in view.
    let first = selected.map_or(0, |s| s.saturating_sub(height.saturating_sub(1)));
    let width = inner.width as usize;
    // badge (10) + space + name + [space + host] + space + time left (7); the host goes first when narrow.
    let left_w = 7;
    let flexible = width.saturating_sub(10 + 1 + 1 + left_w);
    let (name_w, host_w) = if flexible >= 20 {
        let name_w = (flexible * 2 / 5).clamp(8, 20);
        (name_w, flexible - name_w - 1)
    } else {
        (flexible, 0)
    };
    let mut lines = Vec::new();
    for (i, account) in visible.iter().enumerate().skip(first).take(height) {
        let host = account
            .server
            .as_ref()
            .ok()
            .and_then(|s| url::Url::parse(&s.url).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        let mut spans = vec![
            badge(app, account, theme),
            Span::raw(" "),
            Span::raw(fit(&account.name, name_w)),
        ];
        if host_w > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(fit(&host, host_w), theme.dim()));
        }
        spans.push(Span::raw(" "));
        spans.push(Span::raw(format!("{:>left_w$}", time_left(account, app.now))));
        let mut line = Line::from(spans);
        if Some(i) == selected {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    if visible.is_empty() {
        lines.push(Line::from(Span::styled("no server matches the filter", theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn local_time(app: &App, unix: i64) -> String {
    let offset = time::UtcOffset::from_whole_seconds(app.utc_offset_secs).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn clock(app: &App, unix: i64) -> String {
    local_time(app, unix).chars().skip(11).take(8).collect()
}

fn ago(app: &App, unix: i64) -> String {
    format!("{} ago", span(app.now - unix))
}

/// The width of the label column of the detail pane.
const LABEL_W: usize = 14;

/// A `label  value` row, the value wrapped under itself (URLs stay readable in a narrow pane).
fn row(
    lines: &mut Vec<Line<'static>>,
    width: usize,
    label: &str,
    value: impl Into<String>,
    style: Style,
    theme: &Theme,
) {
    let value = clean(&value.into());
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

/// Break `text` into pieces of at most `width` characters, at a space when there is one in the second half
/// of the piece, else anywhere (a long URL).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        let cut = match window.iter().rposition(|c| *c == ' ') {
            _ if chars[start + width] == ' ' => width + 1,
            Some(space) if space >= width / 2 => space + 1,
            _ => width,
        };
        pieces.push(
            chars[start..start + cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_owned(),
        );
        start += cut;
    }
    pieces.push(chars[start..].iter().collect());
    pieces
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), theme.heading()))
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(account) = app.current() else {
        frame.render_widget(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.dim()),
            area,
        );
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let plain = Style::new();
    // The pane's inner width, for wrapping values under themselves.
    let w = area.width.saturating_sub(2) as usize;
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
        let text = format!("{} ({})", clean(&outcome.text), ago(app, outcome.at));
        for (i, piece) in wrap(&text, w.saturating_sub(2).max(8)).into_iter().enumerate() {
            let lead = if i == 0 { format!("{mark} ") } else { "  ".to_owned() };
            lines.push(Line::from(vec![Span::styled(lead, style), Span::styled(piece, style)]));
        }
        lines.push(Line::default());
    }

    match &account.server {
        Ok(server) => row(&mut lines, w, "URL", server.url.clone(), plain, theme),
        Err(e) => row(
            &mut lines,
            w,
            "URL",
            format!("unreadable: {e}"),
            theme.level(Level::Error),
            theme,
        ),
    }
    let status = account.status(app.now);
    match account.token() {
        Some(token) => {
            let expiry = relative_expiry(token.expires_at, true, app.now);
            row(
                &mut lines,
                w,
                "Status",
                format!("{} · {expiry}", status.as_str()),
                theme.status(status),
                theme,
            );
            if let Some(at) = token.expires_at {
                row(&mut lines, w, "Expires at", local_time(app, at), plain, theme);
            }
            let scopes = if token.scopes.is_empty() {
                "(none granted)".to_owned()
            } else {
                token.scopes.join(" ")
            };
            row(&mut lines, w, "Scopes", scopes, plain, theme);
            let refresh = match (&token.refresh_token, &token.last_refresh) {
                (None, _) => "none (log in again when it expires)".to_owned(),
                (Some(_), None) => "yes · not refreshed yet".to_owned(),
                (Some(_), Some(r)) if r.ok => format!("yes · refreshed {}", ago(app, r.at)),
                (Some(_), Some(r)) => format!(
                    "yes · last refresh failed {}: {}",
                    ago(app, r.at),
                    r.error.as_deref().unwrap_or("?")
                ),
            };
            let failed = token.last_refresh.as_ref().is_some_and(|r| !r.ok);
            row(
                &mut lines,
                w,
                "Refresh",
                refresh,
                if failed { theme.level(Level::Error) } else { plain },
                theme,
            );
            if let Some(r) = token
                .last_refresh
                .as_ref()
                .filter(|r| !r.ok && token.refresh_token.is_none())
            {
                row(
                    &mut lines,
                    w,
                    "",
                    format!(
                        "last refresh failed {}: {}",
                        ago(app, r.at),
                        r.error.as_deref().unwrap_or("?")
                    ),
                    theme.level(Level::Error),
                    theme,
                );
            }
            row(&mut lines, w, "Obtained", ago(app, token.obtained_at), plain, theme);
        }
        None if status == Status::Error => {
            row(&mut lines, w, "Status", "error", theme.status(status), theme);
            if let Some(e) = account.last_error() {
                row(&mut lines, w, "", e, theme.level(Level::Error), theme);
            }
        }
        None => row(
            &mut lines,
            w,
            "Status",
            "not logged in · press l to log in",
            theme.status(status),
            theme,
        ),
    }

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
        Some(Err(e)) => row(&mut lines, w, "", e.clone(), theme.level(Level::Error), theme),
        Some(Ok(d)) => {
            let m = &d.authorization_server;
            row(&mut lines, w, "Resource", d.resource.clone(), plain, theme);
            if let Some(prm) = &d.protected_resource {
                row(
                    &mut lines,
                    w,
                    "Servers",
                    prm.authorization_servers.join(" "),
                    plain,
                    theme,
                );
                if let Some(scopes) = &prm.scopes_supported {
                    row(&mut lines, w, "Scopes (PRM)", scopes.join(" "), plain, theme);
                }
            }
            row(&mut lines, w, "Issuer", m.issuer.clone(), plain, theme);
            row(
                &mut lines,
                w,
                "Authorize",
                m.authorization_endpoint.clone(),
                plain,
                theme,
            );
            row(&mut lines, w, "Token", m.token_endpoint.clone(), plain, theme);
            row(
                &mut lines,
                w,
                "Registration",
                m.registration_endpoint.clone().unwrap_or_else(|| "none".to_owned()),
                plain,
                theme,
            );
            row(
                &mut lines,
                w,
                "Revocation",
                m.revocation_endpoint
                    .clone()
                    .unwrap_or_else(|| "none (logout deletes here only)".to_owned()),
                plain,
                theme,
            );
            let s256 = if m.supports_s256() {
                ("yes", plain)
            } else if d.mode == DiscoveryMode::ProtectedResource {
                ("no (login refused)", theme.level(Level::Error))
            } else {
                ("not listed (legacy server)", plain)
            };
            row(&mut lines, w, "PKCE S256", s256.0, s256.1, theme);
            let how = match d.mode {
                DiscoveryMode::ProtectedResource => "resource metadata",
                DiscoveryMode::LegacyMetadata => "legacy metadata",
                DiscoveryMode::LegacyDefaults => "legacy defaults",
            };
            let answered = d.attempts.iter().filter(|a| a.outcome == "200").count();
            row(
                &mut lines,
                w,
                "Discovered",
                format!(
                    "{} · {how} · {answered} of {} URLs answered",
                    ago(app, d.discovered_at),
                    d.attempts.len()
                ),
                plain,
                theme,
            );
            for attempt in &d.attempts {
                let mark = if attempt.used { "✓" } else { " " };
                row(
                    &mut lines,
                    w,
                    "",
                    format!("{mark} {} {}", attempt.outcome, attempt.url),
                    theme.dim(),
                    theme,
                );
            }
        }
    }

    lines.push(Line::default());
    lines.push(heading("Client", theme));
    let configured = account.server.as_ref().ok().and_then(|s| s.client_id.clone());
    match (&account.client, configured) {
        (Some(Ok(c)), _) => {
            let how = match c.source {
                ClientSource::Dynamic => format!("dynamic registration, {}", ago(app, c.registered_at)),
                ClientSource::Configured => "configured (--client-id)".to_owned(),
            };
            row(
                &mut lines,
                w,
                "Client ID",
                format!("{} · {how}", c.client_id),
                plain,
                theme,
            );
            row(&mut lines, w, "Redirect URI", c.redirect_uri.clone(), plain, theme);
        }
        (Some(Err(e)), _) => row(&mut lines, w, "", e.clone(), theme.level(Level::Error), theme),
        (None, Some(id)) => row(
            &mut lines,
            w,
            "Client ID",
            format!("{id} · configured (--client-id)"),
            plain,
            theme,
        ),
        (None, None) => row(
            &mut lines,
            w,
            "",
            "not registered yet (registered at login)",
            theme.dim(),
            theme,
        ),
    }

    // Scroll within what there is; say when more is below or above.
    let visible = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(visible);
    let scroll = (app.detail_scroll as usize).min(max_scroll);
    app.detail_max_scroll.set(max_scroll.min(u16::MAX as usize) as u16);
    let more = match (scroll > 0, scroll < max_scroll) {
        (false, true) => " · PgDn more ",
        (true, true) => " · PgUp/PgDn more ",
        (true, false) => " · PgUp back ",
        (false, false) => " ",
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.dim())
        .title(format!(" {}{more}", account.name));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)).block(block), area);
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
        (TaskKind::Login, Some(LoginStep::WaitingForBrowser { .. } | LoginStep::BrowserNotOpened { .. })) => {
            "Logging in: waiting for the browser".to_owned()
        }
        (TaskKind::Login, Some(LoginStep::Exchanging)) => "Logging in: exchanging the code for a token".to_owned(),
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
    if let Some(url) = login_url(busy) {
        lines.push(Line::from(Span::styled(
            "Open this URL if no browser appeared (Esc cancels):",
            theme.dim(),
        )));
        // Unbroken by spaces or indentation, so a terminal selection copies it whole.
        lines.extend(
            wrap(&clean(url), width.max(8))
                .into_iter()
                .map(|piece| Line::from(Span::raw(piece))),
        );
    }
    lines
}

fn login_url(busy: &Busy) -> Option<&str> {
    match &busy.step {
        Some(LoginStep::WaitingForBrowser { url }) => Some(url),
        _ => None,
    }
}

fn draw_activity(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.dim())
        .title(" Activity (L: all) ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(log_tail(app, inner, theme)), inner);
}

/// The newest log entries that fit in `area`, each wrapped under itself after its time.
fn log_tail(app: &App, area: Rect, theme: &Theme) -> Vec<Line<'static>> {
    const TIME_W: usize = 10;
    let width = (area.width as usize).saturating_sub(TIME_W).max(8);
    let height = area.height as usize;
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

fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if app.filtering {
        Line::from(vec![
            Span::styled("filter: /", theme.key()),
            Span::raw(app.filter.clone()),
            Span::styled("█", theme.dim()),
            Span::styled("   Enter keep · Esc clear", theme.dim()),
        ])
    } else if let Some(m) = &app.status {
        Line::from(Span::styled(clean(&m.text), theme.level(m.level)))
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut spans = Vec::new();
    for (i, (key, hint)) in footer_hints().into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {hint}"), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

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

fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>7}  ", b.label), theme.key()),
                Span::raw(b.description),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Statuses: valid · expiring (< 5 min) · expired · none · error",
        theme.dim(),
    )));
    lines.push(Line::from(Span::styled("Esc, q or ? closes this help.", theme.dim())));
    let rect = centered(area, 88, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(popup_block("Keys", theme)),
        rect,
    );
}

fn draw_log(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rect = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(4));
    let block = popup_block("Activity · Esc closes", theme);
    let mut lines = log_tail(app, block.inner(rect), theme);
    if lines.is_empty() {
        lines.push(Line::from(Span::styled("nothing happened yet", theme.dim())));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

fn draw_confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, theme: &Theme) {
    let (title, question, detail) = match confirm {
        Confirm::Logout(name) => (
            "Log out",
            format!("Log out of {name}?"),
            "The token is revoked at the authorization server (when it offers revocation) and deleted here. \
             The client registration stays for the next login.",
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
        Line::from(vec![
            Span::styled("y", theme.key()),
            Span::raw(" yes    "),
            Span::styled("n", theme.key()),
            Span::raw(" no"),
        ]),
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

fn draw_form(frame: &mut Frame, area: Rect, form: &AddForm, theme: &Theme) {
    let rect = centered(area, 74, 16);
    frame.render_widget(Clear, rect);
    let block = popup_block("Add a server", theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let label_w = 14u16;
    let mut y = inner.y;
    let mut cursor = None;
    for field in Field::ALL {
        if y >= inner.y + inner.height {
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
            && y < inner.y + inner.height
        {
            let error = Paragraph::new(Line::from(Span::styled(
                format!("✗ {message}"),
                theme.level(Level::Error),
            )))
            .wrap(Wrap { trim: true });
            let lines = (message.chars().count() as u16 + 2).div_ceil(inner.width.saturating_sub(label_w).max(1));
            let h = lines.clamp(1, 3).min(inner.y + inner.height - y);
            frame.render_widget(
                error,
                Rect::new(inner.x + label_w, y, inner.width.saturating_sub(label_w), h),
            );
            y += h;
        }
        y += 1;
    }
    let hint = Line::from(vec![
        Span::styled("Tab", theme.key()),
        Span::styled(" next field · ", theme.dim()),
        Span::styled("Enter", theme.key()),
        Span::styled(" add · ", theme.dim()),
        Span::styled("Esc", theme.key()),
        Span::styled(" cancel", theme.dim()),
    ]);
    let bottom = inner.y + inner.height.saturating_sub(1);
    frame.render_widget(Paragraph::new(hint), Rect::new(inner.x, bottom, inner.width, 1));
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_prefers_spaces_and_cuts_long_words() {
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(
            wrap("the server rejected the token", 12),
            ["the server", "rejected the", "token"]
        );
        assert_eq!(
            wrap("https://example.com/a/very/long/path", 12),
            ["https://exam", "ple.com/a/ve", "ry/long/path"]
        );
    }

    #[test]
    fn escape_sequences_never_reach_the_screen() {
        assert_eq!(clean("evil\x1b[2J\x07name"), "evil [2J name");
    }
}
