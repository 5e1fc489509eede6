//! `App::update` (keys to commands, task results to state, duplicate work refused, confirmations) and named
//! screen snapshots at 100x30 and 80x24 with a fixed clock.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use mcp_accounts::oauth::discovery::{Attempt, Outcome, legacy_default_metadata};
use mcp_accounts::oauth::{
    self, ClientRegistration, ClientSource, Discovery, DiscoveryMode, ProtectedResourceMetadata,
};
use mcp_accounts::secret::Secret;
use mcp_accounts::session::{self, LoginStep};
use mcp_accounts::store::{Account, RefreshRecord, ServerRecord, StoredToken, Unreadable};

use super::app::{App, Confirm, Popup};
use super::form::NewServer;
use super::messages::{Command, Event, Failure, Success, TaskEvent, TaskKind};
use super::ui::draw;

/// 2026-11-27 17:00:00 UTC.
const NOW: i64 = 1_795_798_800;

fn server(name: &str) -> ServerRecord {
    ServerRecord {
        url: format!("https://mcp.{name}.example.com/mcp"),
        client_id: None,
        client_secret_env: None,
        scopes: vec![],
        callback_port: None,
        client_metadata_url: None,
        added_at: NOW - 86_400,
    }
}

fn token(name: &str, expires_in: Option<i64>, refresh: bool) -> StoredToken {
    StoredToken {
        access_token: Secret::new(format!("ACCESS-{name}")),
        refresh_token: refresh.then(|| Secret::new(format!("REFRESH-{name}"))),
        token_type: "Bearer".into(),
        scopes: vec!["mcp:tools".into(), "files:read".into()],
        requested_scopes: vec![],
        expires_at: expires_in.map(|s| NOW + s),
        issuer: format!("https://auth.{name}.example.com"),
        resource: format!("https://mcp.{name}.example.com/mcp"),
        obtained_at: NOW - 600,
        last_refresh: None,
        generation: 0,
        identity: None,
    }
}

fn discovery(name: &str) -> Discovery {
    let url = url::Url::parse(&format!("https://mcp.{name}.example.com/mcp")).unwrap();
    let mut metadata = legacy_default_metadata(&url::Url::parse(&format!("https://auth.{name}.example.com")).unwrap());
    metadata.code_challenge_methods_supported = Some(vec!["S256".into()]);
    metadata.revocation_endpoint = Some(format!("https://auth.{name}.example.com/revoke"));
    Discovery {
        server_url: url.to_string(),
        resource: url.to_string(),
        mode: DiscoveryMode::ProtectedResource,
        probe_status: Some(401),
        challenge: None,
        protected_resource_url: Some(format!(
            "https://mcp.{name}.example.com/.well-known/oauth-protected-resource/mcp"
        )),
        protected_resource: Some(ProtectedResourceMetadata {
            resource: url.to_string(),
            authorization_servers: vec![format!("https://auth.{name}.example.com")],
            scopes_supported: Some(vec!["mcp:tools".into(), "files:read".into()]),
            bearer_methods_supported: None,
            resource_name: None,
        }),
        authorization_server_url: Some(format!(
            "https://auth.{name}.example.com/.well-known/oauth-authorization-server"
        )),
        authorization_server: metadata,
        attempts: vec![
            Attempt {
                url: url.to_string(),
                outcome: Outcome::Status(401),
                used: true,
            },
            Attempt {
                url: format!("https://mcp.{name}.example.com/.well-known/oauth-protected-resource/mcp"),
                outcome: Outcome::Status(200),
                used: true,
            },
            Attempt {
                url: format!("https://auth.{name}.example.com/.well-known/oauth-authorization-server"),
                outcome: Outcome::Status(200),
                used: true,
            },
        ],
        discovered_at: NOW - 3000,
    }
}

fn client(name: &str) -> ClientRegistration {
    ClientRegistration {
        client_id: format!("client-{name}-4f2a"),
        client_secret: None,
        client_secret_expires_at: None,
        client_id_issued_at: None,
        token_endpoint_auth_method: Some("none".into()),
        issuer: Some(format!("https://auth.{name}.example.com")),
        redirect_uri: "http://127.0.0.1:33418/callback".into(),
        registered_at: NOW - 7200,
        source: ClientSource::Dynamic,
        registration_response: None,
    }
}

fn account(name: &str, token: Option<StoredToken>) -> Account {
    let logged_in = token.is_some();
    Account {
        name: name.into(),
        server: Ok(server(name)),
        token: token.map(Ok),
        client: logged_in.then(|| Ok(client(name))),
        metadata: logged_in.then(|| Ok(Box::new(discovery(name)))),
    }
}

/// Five accounts, one of each status.
fn mixed() -> Vec<Account> {
    let mut failed = token("linear", Some(-7200), false);
    failed.last_refresh = Some(RefreshRecord {
        at: NOW - 60,
        ok: false,
        error: Some("the server rejected the refresh token (invalid_grant: grant revoked)".into()),
    });
    let broken = Account {
        name: "broken".into(),
        server: Err(Unreadable {
            key: "server:broken".into(),
            detail: "missing field `url`, line 1 column 2".into(),
        }),
        token: None,
        client: None,
        metadata: None,
    };
    vec![
        broken,
        account("github", Some(token("github", Some(200), true))),
        account("linear", Some(failed)),
        account("notes", Some(token("notes", Some(3540), true))),
        account("sentry", None),
    ]
}

fn app_with(accounts: Vec<Account>) -> App {
    let mut app = App::new(NOW);
    app.update(Event::Loaded(accounts));
    app
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn select(app: &mut App, name: &str) {
    app.update(ch('g'));
    for _ in 0..app.accounts.len() {
        if app.current().map(|a| a.name.as_str()) == Some(name) {
            return;
        }
        app.update(ch('j'));
    }
    panic!("{name} not in the list");
}

fn screen(app: &App, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    terminal.backend().clone()
}

/// Snapshot the app at both sizes under `name`.
fn snapshot(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_100x30"), screen(app, 100, 30));
    insta::assert_snapshot!(format!("{name}_80x24"), screen(app, 80, 24));
}

// ---- update: keys to commands ----

/// `l`, answering yes when the account is logged in and the app asks first.
fn press_login(app: &mut App) -> Vec<Command> {
    let commands = app.update(ch('l'));
    match &app.popup {
        Some(Popup::Confirm(Confirm::Relogin { .. })) => app.update(ch('y')),
        _ => commands,
    }
}

#[test]
fn keys_become_commands_for_the_selected_account() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    assert_eq!(press_login(&mut app), [Command::Login("notes".into())]);
    select(&mut app, "github");
    assert_eq!(app.update(ch('r')), [Command::Refresh("github".into())]);
    select(&mut app, "sentry");
    assert_eq!(app.update(ch('D')), [Command::Discover("sentry".into())]);
    assert_eq!(app.busy.len(), 3);
}

#[test]
fn navigation_moves_and_stays_in_bounds() {
    let mut app = app_with(mixed());
    assert_eq!(app.current().unwrap().name, "broken");
    app.update(ch('k'));
    assert_eq!(app.current().unwrap().name, "broken");
    app.update(key(KeyCode::Down));
    assert_eq!(app.current().unwrap().name, "github");
    app.update(ch('G'));
    assert_eq!(app.current().unwrap().name, "sentry");
    app.update(ch('j'));
    assert_eq!(app.current().unwrap().name, "sentry");
    app.update(key(KeyCode::Home));
    assert_eq!(app.current().unwrap().name, "broken");
}

#[test]
fn a_second_login_on_a_busy_account_is_refused() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    assert_eq!(press_login(&mut app).len(), 1);
    assert!(press_login(&mut app).is_empty());
    assert!(app.update(ch('r')).is_empty());
    assert!(app.update(ch('x')).is_empty(), "no logout popup either");
    assert!(app.popup.is_none());
    let status = app.status.clone().unwrap().text;
    assert_eq!(status, "notes is busy (logging in); Esc cancels the login");
}

#[test]
fn esc_cancels_the_running_login() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    press_login(&mut app);
    assert_eq!(app.update(key(KeyCode::Esc)), [Command::Cancel("notes".into())]);
    // The task reports the cancellation; the account is free again.
    app.update(Event::Task(TaskEvent::Done {
        name: "notes".into(),
        kind: TaskKind::Login,
        outcome: Err(Failure::Cancelled),
    }));
    assert!(app.busy.is_empty());
    assert_eq!(press_login(&mut app), [Command::Login("notes".into())]);
}

#[test]
fn logout_and_delete_wait_for_a_yes() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    assert!(app.update(ch('x')).is_empty());
    assert!(matches!(app.popup, Some(Popup::Confirm(_))));
    assert!(app.update(ch('z')).is_empty(), "other keys keep the question open");
    assert!(app.update(ch('n')).is_empty());
    assert!(app.popup.is_none() && app.busy.is_empty());
    app.update(ch('x'));
    assert_eq!(app.update(ch('y')), [Command::Logout("notes".into())]);
    assert_eq!(app.busy["notes"].kind, TaskKind::Logout);

    select(&mut app, "sentry");
    assert!(app.update(ch('d')).is_empty());
    assert_eq!(app.update(key(KeyCode::Enter)), [Command::Delete("sentry".into())]);
    // Logging out of an account without a token is refused with a message, no popup.
    assert!(app.update(ch('x')).is_empty() && app.popup.is_none());
}

#[test]
fn refresh_all_skips_busy_and_logged_out_accounts() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    press_login(&mut app);
    let commands = app.update(ch('R'));
    assert_eq!(
        commands,
        [Command::Refresh("github".into()), Command::Refresh("linear".into())]
    );
}

#[test]
fn task_results_update_state_and_reload() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    press_login(&mut app);
    app.update(Event::Task(TaskEvent::Step {
        name: "notes".into(),
        step: LoginStep::WaitingForBrowser {
            url: "https://auth.notes.example.com/authorize?x=1".into(),
        },
    }));
    assert!(matches!(
        app.busy["notes"].step,
        Some(LoginStep::WaitingForBrowser { .. })
    ));
    app.update(Event::Task(TaskEvent::Step {
        name: "notes".into(),
        step: LoginStep::BrowserNotOpened {
            reason: "cannot start a browser".into(),
        },
    }));
    assert!(
        matches!(app.busy["notes"].step, Some(LoginStep::WaitingForBrowser { .. })),
        "the URL stays on screen"
    );
    let commands = app.update(Event::Task(TaskEvent::Done {
        name: "notes".into(),
        kind: TaskKind::Login,
        outcome: Ok(Success::LoggedIn {
            expires_at: Some(NOW + 3540),
        }),
    }));
    assert_eq!(commands, [Command::Reload]);
    assert!(app.busy.is_empty());
    assert_eq!(app.outcomes["notes"].level, super::app::Level::Success);
    assert_eq!(app.log.back().unwrap().text, "notes: logged in; expires in 59m");
}

#[test]
fn the_add_form_validates_and_submits() {
    let mut app = app_with(mixed());
    app.update(ch('a'));
    for c in "notes".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Tab));
    for c in "https://new.example.com/mcp".chars() {
        app.update(ch(c));
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "the name is taken");
    let Some(Popup::Add(form)) = &app.popup else {
        panic!("the form stays open")
    };
    assert!(form.error.as_ref().unwrap().1.contains("already exists"));
    app.update(key(KeyCode::End));
    app.update(ch('2'));
    let commands = app.update(key(KeyCode::Enter));
    assert_eq!(
        commands,
        [Command::Add(NewServer {
            name: "notes2".into(),
            url: "https://new.example.com/mcp".into(),
            scopes: vec![],
            client_id: None,
            client_secret_env: None,
            client_metadata_url: None,
            callback_port: None,
        })]
    );
    assert!(app.popup.is_none());
}

#[test]
fn filter_narrows_the_list_and_esc_clears_it() {
    let mut app = app_with(mixed());
    app.update(ch('/'));
    for c in "no".chars() {
        app.update(ch(c));
    }
    let names: Vec<&str> = app.visible().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["notes"]);
    assert_eq!(app.current().unwrap().name, "notes");
    app.update(key(KeyCode::Enter));
    assert!(!app.filtering);
    assert_eq!(
        press_login(&mut app),
        [Command::Login("notes".into())],
        "keys work on the filtered list"
    );
    app.update(key(KeyCode::Esc)); // cancels the login first
    app.update(Event::Task(TaskEvent::Done {
        name: "notes".into(),
        kind: TaskKind::Login,
        outcome: Err(Failure::Cancelled),
    }));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.visible().len(), 5);
}

#[test]
fn quit_from_anywhere_and_ticks_reload_now_and_then() {
    let mut app = app_with(mixed());
    app.update(ch('a'));
    app.update(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(app.should_quit());

    let mut app = app_with(mixed());
    let mut reloads = 0;
    for i in 1..=60 {
        if app.update(Event::Tick { now: NOW + i }) == [Command::Reload] {
            reloads += 1;
            // The first reload is answered; the second is still running at the next chance.
            if reloads == 1 {
                app.update(Event::Loaded(mixed()));
            }
        }
    }
    assert_eq!(reloads, 2, "one reload per 20 ticks, never two at once");
    assert_eq!(app.now, NOW + 60);
    app.update(ch('q'));
    assert!(app.should_quit());
}

#[test]
fn no_screen_ever_shows_a_token() {
    let mut app = app_with(mixed());
    for name in ["github", "linear", "notes"] {
        select(&mut app, name);
        let text = format!("{:?}", screen(&app, 100, 30));
        assert!(!text.contains("ACCESS-") && !text.contains("REFRESH-"), "{text}");
    }
}

// ---- snapshots ----

#[test]
fn snapshot_empty_store() {
    snapshot("empty_store", &app_with(vec![]));
}

#[test]
fn snapshot_list_with_mixed_statuses() {
    let mut app = app_with(mixed());
    select(&mut app, "sentry");
    snapshot("list_mixed_statuses", &app);
}

#[test]
fn snapshot_detail_of_a_logged_in_account() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    snapshot("detail_logged_in", &app);
}

#[test]
fn snapshot_login_waiting_for_browser() {
    let mut app = app_with(mixed());
    select(&mut app, "sentry");
    press_login(&mut app);
    app.update(Event::Task(TaskEvent::Step {
        name: "sentry".into(),
        step: LoginStep::WaitingForBrowser {
            url: "https://auth.sentry.example.com/authorize?response_type=code&client_id=client-sentry-4f2a&state=Zx9&code_challenge=abc&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&resource=https%3A%2F%2Fmcp.sentry.example.com%2Fmcp".into(),
        },
    }));
    app.update(Event::Tick { now: NOW + 7 });
    snapshot("login_waiting_for_browser", &app);
}

#[test]
fn snapshot_failed_refresh() {
    let mut app = app_with(mixed());
    select(&mut app, "github");
    app.update(ch('r'));
    app.update(Event::Task(TaskEvent::Done {
        name: "github".into(),
        kind: TaskKind::Refresh,
        outcome: Err(Failure::Session(session::Error::Protocol(oauth::Error::Status {
            url: "http://auth.github.example.com/token".into(),
            status: 503,
            error: None,
        }))),
    }));
    snapshot("refresh_failed", &app);
}

#[test]
fn snapshot_confirm_logout() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    app.update(ch('x'));
    snapshot("confirm_logout", &app);
}

#[test]
fn snapshot_add_form_with_a_validation_error() {
    let mut app = app_with(mixed());
    app.update(ch('a'));
    for c in "work".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Tab));
    for c in "http://mcp.work.example.com/mcp".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
    snapshot("add_form_validation_error", &app);
}

#[test]
fn snapshot_help_overlay() {
    let mut app = app_with(mixed());
    app.update(ch('?'));
    snapshot("help_overlay", &app);
}

#[test]
fn the_detail_pane_scrolls_within_its_content() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    app.update(Event::Resize { width: 80, height: 24 });
    let max = super::ui::detail::max_scroll(&app);
    app.set_detail_limit(max);
    assert!(
        max > 0,
        "at 80x24 the details of a logged-in account are longer than the pane"
    );
    app.update(key(KeyCode::Tab));
    for _ in 0..20 {
        app.update(key(KeyCode::PageDown));
    }
    assert_eq!(app.detail_scroll, max);
    let bottom = format!("{:?}", screen(&app, 80, 24));
    assert!(bottom.contains("Redirect URI"), "{bottom}");
    app.update(key(KeyCode::PageUp));
    assert_eq!(
        app.detail_scroll,
        max.saturating_sub(12),
        "a page: 24 rows less the activity pane, footer and borders"
    );
    app.update(key(KeyCode::Tab));
    app.update(ch('j'));
    assert_eq!(app.detail_scroll, 0, "another account starts at the top");
}

#[test]
fn an_answer_that_is_not_the_logins_is_said_at_once_and_the_url_stays() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    press_login(&mut app);
    app.update(Event::Task(TaskEvent::Step {
        name: "notes".into(),
        step: LoginStep::WaitingForBrowser {
            url: "https://auth.notes.example.com/authorize?x=1".into(),
        },
    }));
    app.update(Event::Task(TaskEvent::Step {
        name: "notes".into(),
        step: LoginStep::AnswerRefused { refused: 1 },
    }));
    let said = app.log.back().unwrap();
    assert_eq!(said.level, super::app::Level::Error);
    assert!(
        said.text
            .starts_with("notes: an answer that does not belong to this login was refused")
    );
    assert!(matches!(
        app.busy["notes"].step,
        Some(LoginStep::WaitingForBrowser { .. })
    ));
    let text = format!("{:?}", screen(&app, 100, 30));
    assert!(text.contains("does not belong to this login"), "{text}");
}

mod device;
mod polish;
