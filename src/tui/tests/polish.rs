//! The TUI's manners (issue 15): a readable selection, a place kept after a delete, a screen too small said
//! so, a question before a second login, the configuration before the first login, a log that scrolls.

use crossterm::event::KeyCode;

use super::*;

#[test]
fn l_on_a_logged_in_account_asks_first() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    assert!(app.update(ch('l')).is_empty());
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Confirm::Relogin {
            name: "notes".into(),
            device: false
        }))
    );
    assert!(app.update(ch('n')).is_empty() && app.busy.is_empty());
    select(&mut app, "sentry");
    assert_eq!(
        app.update(ch('l')),
        [Command::Login("sentry".into())],
        "not logged in: no question"
    );
}

/// After a delete the selection moves to the row that took the deleted one's place, not to the top; the
/// list's title says where the selection is; PgDn in the details moves a page.
#[test]
fn a_delete_keeps_the_place_and_the_title_counts_rows() {
    let mut app = app_with(mixed());
    select(&mut app, "linear");
    let names = |app: &App| app.visible().iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    let at = names(&app).iter().position(|n| n == "linear").unwrap();
    let next = names(&app)[at + 1].clone();
    let title = screen(&app, 100, 30).buffer().content[..100]
        .iter()
        .map(|c| c.symbol())
        .collect::<String>();
    assert!(title.contains(&format!("Servers [{}/5]", at + 1)), "{title}");
    let remaining: Vec<Account> = mixed().into_iter().filter(|a| a.name != "linear").collect();
    app.update(Event::Loaded(remaining));
    assert_eq!(app.current().map(|a| a.name.clone()), Some(next));

    app.update(Event::Resize { width: 100, height: 40 });
    app.set_detail_limit(200);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::PageDown));
    assert_eq!(
        app.detail_scroll, 28,
        "a page: 40 rows less the activity pane, footer and borders"
    );
}

/// The name in each row of the list pane, top to bottom, and the list's title.
fn list_pane(app: &App, width: u16, height: u16) -> (String, Vec<String>) {
    let backend = screen(app, width, height);
    let buffer = backend.buffer();
    let row = |y: u16| (0..36u16).map(|x| buffer[(x, y)].symbol()).collect::<String>();
    let rows = (1..height - 7)
        .filter_map(|y| {
            row(y)
                .split_whitespace()
                .find(|w| w.starts_with("acct-"))
                .map(str::to_owned)
        })
        .collect();
    (row(0), rows)
}

/// With 65 accounts PgDn and PgUp turn the list a page, as a pager does, and the title follows; with Tab
/// the same keys move the details instead, and j/k a line.
#[test]
fn the_list_pages_and_tab_hands_the_keys_to_the_details() {
    let accounts: Vec<Account> = (1..=65).map(|i| account(&format!("acct-{i:02}"), None)).collect();
    let mut app = app_with(accounts);
    app.update(Event::Resize { width: 80, height: 24 });
    let page = app.list_page();
    assert_eq!(page, 16, "24 rows less the activity pane, status, footer and borders");
    let (title, rows) = list_pane(&app, 80, 24);
    assert!(title.contains("[1/65]"), "{title}");
    assert_eq!(rows.first().map(String::as_str), Some("acct-01"), "{rows:?}");

    app.update(key(KeyCode::PageDown));
    let (title, rows) = list_pane(&app, 80, 24);
    assert!(title.contains("[17/65]"), "{title}");
    assert_eq!(
        rows.first().map(String::as_str),
        Some("acct-17"),
        "the next page: {rows:?}"
    );
    assert_eq!(rows.last().map(String::as_str), Some("acct-32"), "{rows:?}");
    app.update(ch('j'));
    assert!(list_pane(&app, 80, 24).0.contains("[18/65]"));
    app.update(key(KeyCode::PageUp));
    let (title, rows) = list_pane(&app, 80, 24);
    assert!(title.contains("[2/65]"), "{title}");
    assert_eq!(rows.first().map(String::as_str), Some("acct-01"), "{rows:?}");
    app.update(key(KeyCode::End));
    let (title, rows) = list_pane(&app, 80, 24);
    assert!(title.contains("[65/65]"), "{title}");
    assert_eq!(rows.last().map(String::as_str), Some("acct-65"), "{rows:?}");
    for _ in 0..3 {
        app.update(key(KeyCode::PageDown));
    }
    assert!(list_pane(&app, 80, 24).0.contains("[65/65]"), "the last page stays");
    app.update(key(KeyCode::Home));
    assert!(list_pane(&app, 80, 24).0.contains("[1/65]"));

    // Tab: the details take the keys, and their outline says so; the selection stays where it is.
    let outlines = |app: &App| {
        let backend = screen(app, 80, 24);
        let (list, details) = (backend.buffer()[(0, 0)].fg, backend.buffer()[(79, 0)].fg);
        (list, details)
    };
    use ratatui::style::Color;
    assert_eq!(outlines(&app), (Color::Cyan, Color::DarkGray), "the list has the keys");
    app.set_detail_limit(30);
    app.update(key(KeyCode::Tab));
    assert_eq!(outlines(&app), (Color::DarkGray, Color::Cyan), "the details have them");
    app.update(ch('j'));
    app.update(ch('j'));
    assert_eq!(app.detail_scroll, 2, "a line each");
    app.update(key(KeyCode::PageDown));
    assert_eq!(app.detail_scroll, 14, "a page: 24 rows less 12");
    app.update(ch('G'));
    assert_eq!(app.detail_scroll, 30);
    app.update(ch('g'));
    assert_eq!(app.detail_scroll, 0);
    assert!(list_pane(&app, 80, 24).0.contains("[1/65]"), "the list did not move");
    app.update(key(KeyCode::BackTab));
    app.update(ch('j'));
    assert!(list_pane(&app, 80, 24).0.contains("[2/65]"), "back in the list");
}

/// Every cell of the selected row is readable: drawn reversed, with no foreground or background colour of
/// its own (before, the row's background was colour 8 and its host and `none` badge were colour 8 too).
#[test]
fn the_selected_row_keeps_every_cell_readable() {
    for color in [true, false] {
        let mut app = app_with(mixed());
        app.color = color;
        select(&mut app, "sentry");
        let backend = screen(&app, 100, 30);
        let buffer = backend.buffer();
        let row = (0..30u16)
            .find(|&y| {
                (0..45u16)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .contains(" sentry ")
            })
            .expect("the selected row");
        for x in 1..44u16 {
            let cell = &buffer[(x, row)];
            assert!(
                cell.modifier.contains(ratatui::style::Modifier::REVERSED),
                "x={x} color={color}"
            );
            assert_eq!(cell.fg, ratatui::style::Color::Reset, "x={x} color={color}: {cell:?}");
            assert_eq!(cell.bg, ratatui::style::Color::Reset, "x={x} color={color}: {cell:?}");
        }
    }
}

/// Below the smallest usable size the screen says so instead of a list of badges without names; at that
/// size the names are there.
#[test]
fn a_terminal_too_small_is_said_and_the_smallest_one_keeps_the_names() {
    let app = app_with(mixed());
    let text = |w: u16, h: u16| format!("{:?}", screen(&app, w, h));
    let small = text(40, 10);
    assert!(small.contains("terminal too small"), "{small}");
    assert!(small.contains("needs 50x12 (now 40x10); q quits"), "{small}");
    let fits = text(50, 12);
    assert!(!fits.contains("too small"), "{fits}");
    for name in ["broken", "github", "linear"] {
        assert!(fits.contains(name), "{name} at 50x12:\n{fits}");
    }
}

/// What `add` configured shows before the first login: the scopes asked for, the callback port, the
/// client id and where its secret comes from.
#[test]
fn the_configuration_shows_before_the_first_login() {
    let mut accounts = mixed();
    let sentry = accounts.iter_mut().find(|a| a.name == "sentry").unwrap();
    if let Ok(server) = &mut sentry.server {
        server.scopes = vec!["issues:read".into()];
        server.callback_port = Some(8976);
        server.client_id = Some("sentry-cli".into());
        server.client_secret_env = Some("SENTRY_SECRET".into());
    }
    let mut app = app_with(accounts);
    select(&mut app, "sentry");
    let text = format!("{:?}", screen(&app, 100, 30));
    for shown in [
        "Asks for      issues:read",
        "Callback port 8976",
        "Secret from   $SENTRY_SECRET (read at login)",
        "Client ID     sentry-cli · configured",
    ] {
        assert!(text.contains(shown), "{shown:?} missing:\n{text}");
    }
}

/// The activity log opens at its newest entry and scrolls back to the first one (before, 30 refreshes
/// pushed the first entries out of reach).
#[test]
fn the_activity_log_scrolls_back_to_its_first_entry() {
    let mut app = app_with(mixed());
    for i in 0..40 {
        app.update(Event::Task(TaskEvent::Done {
            name: format!("acct{i:02}"),
            kind: TaskKind::Refresh,
            outcome: Err(Failure::Cancelled),
        }));
    }
    app.update(ch('L'));
    let text = |app: &App| format!("{:?}", screen(app, 80, 24));
    // (The activity pane behind the popup shows the newest entries too; the title says where the view is.)
    let newest = text(&app);
    assert!(
        newest.contains("Activity · 41 of 41 lines") && !newest.contains("acct00:"),
        "{newest}"
    );
    app.update(ch('g'));
    let oldest = text(&app);
    assert!(
        oldest.contains("Activity · 18 of 41 lines") && oldest.contains("acct00: refresh cancelled"),
        "{oldest}"
    );
    app.update(ch('G'));
    app.update(ch('k'));
    assert!(text(&app).contains("Activity · 40 of 41 lines"), "{}", text(&app));
    app.update(ch('q'));
    assert!(app.popup.is_none());
}

/// A message longer than the status line ends in an ellipsis instead of stopping at the edge, and an
/// error from the operating system reads as words: no "(os error 111)".
#[test]
fn a_long_status_message_is_cut_with_an_ellipsis() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    app.update(ch('r'));
    app.update(Event::Task(TaskEvent::Done {
        name: "notes".into(),
        kind: TaskKind::Refresh,
        outcome: Err(Failure::Session(session::Error::Protocol(oauth::Error::Unreachable {
            url: "http://127.0.0.5:36815/token".into(),
            detail: mcp_accounts::text::plain_error("Connection refused (os error 111)"),
        }))),
    }));
    let backend = screen(&app, 80, 24);
    let status: String = (0..80u16).map(|x| backend.buffer()[(x, 22)].symbol()).collect();
    assert_eq!(
        status,
        "notes: refresh failed: cannot reach http://127.0.0.5:36815/token: connection re…"
    );
}
