//! A login with a code entered on another device (`e`): the page, the code and its time left in the
//! details, counting down with the clock; `c` and `u` work on the page; a logged-in account is asked first.

use crossterm::event::KeyCode;

use super::*;

const PAGE: &str = "https://auth.sentry.example.com/device?user_code=WDJB-MJHT";

fn device_code(name: &str) -> Event {
    Event::Task(TaskEvent::Step {
        name: name.into(),
        step: LoginStep::DeviceCode {
            verification_uri: "https://auth.sentry.example.com/device".into(),
            verification_uri_complete: Some(PAGE.into()),
            user_code: "WDJB-MJHT".into(),
            expires_in: 900,
        },
    })
}

#[test]
fn e_logs_in_with_a_code_and_the_details_count_its_time_down() {
    let mut app = app_with(mixed());
    select(&mut app, "sentry");
    app.update(ch('l'));
    app.update(key(KeyCode::Esc));
    app.update(Event::Task(TaskEvent::Done {
        name: "sentry".into(),
        kind: TaskKind::Login,
        outcome: Err(Failure::Cancelled),
    }));
    assert!(app.status.as_ref().unwrap().text.starts_with("sentry: login cancelled"));
    assert_eq!(app.update(ch('e')), [Command::DeviceLogin("sentry".into())]);
    assert_eq!(app.status, None, "the old news about sentry goes with a new login");
    app.update(device_code("sentry"));
    let text = format!("{:?}", screen(&app, 100, 30));
    assert!(text.contains("waiting for the code on another device"), "{text}");
    assert!(text.contains("open this page and check that it shows"), "{text}");
    assert!(
        text.contains("https://auth.sentry.example.com/device?user_code=WDJB"),
        "the page, unbroken by spaces: {text}"
    );
    assert!(text.contains("Code  WDJB-MJHT  15:00 left"), "{text}");
    assert!(
        text.contains("sentry: waiting for the code WDJB-MJHT to be entered on another device"),
        "the activity pane says so too: {text}"
    );

    app.update(Event::Tick { now: NOW + 28 });
    let text = format!("{:?}", screen(&app, 100, 30));
    assert!(text.contains("WDJB-MJHT  14:32 left"), "{text}");

    assert_eq!(app.update(ch('c')), [Command::Copy(PAGE.into())]);
    assert!(app.update(ch('p')).is_empty());
    assert_eq!(app.popup, None, "nothing to paste for a code");
    assert!(app.status.as_ref().unwrap().text.contains("nothing to paste"));
    app.update(ch('u'));
    assert_eq!(app.popup, Some(Popup::Url(PAGE.into())));
}

#[test]
fn e_on_a_logged_in_account_asks_first_then_uses_a_code() {
    let mut app = app_with(mixed());
    select(&mut app, "notes");
    assert!(app.update(ch('e')).is_empty());
    assert_eq!(
        app.popup,
        Some(Popup::Confirm(Confirm::Relogin {
            name: "notes".into(),
            device: true
        }))
    );
    let text = format!("{:?}", screen(&app, 100, 30));
    assert!(
        text.contains("A new login replaces the token (with a code entered on"),
        "{text}"
    );
    assert_eq!(app.update(ch('y')), [Command::DeviceLogin("notes".into())]);
}

#[test]
fn a_server_without_device_logins_says_so_and_names_the_other_key() {
    let mut app = app_with(mixed());
    select(&mut app, "sentry");
    app.update(ch('e'));
    app.update(Event::Task(TaskEvent::Done {
        name: "sentry".into(),
        kind: TaskKind::Login,
        outcome: Err(Failure::Session(session::Error::Protocol(
            oauth::Error::NoDeviceLogin {
                issuer: "https://auth.sentry.example.com".into(),
            },
        ))),
    }));
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "sentry: login failed: the authorization server https://auth.sentry.example.com offers no device \
         login (no device_authorization_endpoint); press l to log in in the browser"
    );
}
