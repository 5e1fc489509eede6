//! `login NAME`: in the browser through the loopback callback; with the URL the browser ended on pasted
//! back (when the browser cannot reach this machine's callback); or with a code entered on another device
//! (RFC 8628). Everything but the result goes to stderr. Ctrl-C cancels cleanly: nothing is stored.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mcp_accounts::oauth::scope::validate_scope;
use mcp_accounts::session::{DeviceFlow, LoginOptions, LoginStep, PastedUrls};

use super::countdown::Countdown;
use mcp_accounts::store::location::DbLocation;
use mcp_accounts::text::clean;
use tokio_util::sync::CancellationToken;

use super::args::LoginArgs;
use super::auth::{describe_token, runtime, session_for};
use super::common::{CliError, CommandResult, one_line, session_message};
use super::output::print;

/// The OpenID `prompt` values a login may ask for.
const PROMPTS: [&str; 4] = ["select_account", "login", "consent", "none"];

/// `login NAME [--no-browser] [--timeout SECS] [--scope S]... [--paste] [--device] [--callback-port N]
/// [--prompt VALUE]`.
pub fn login(location: &DbLocation, args: LoginArgs) -> CommandResult {
    for scope in &args.scopes {
        validate_scope(scope).map_err(|e| CliError::Usage(format!("{e} (pass --scope once per scope)")))?;
    }
    if let Some(prompt) = &args.prompt
        && !PROMPTS.contains(&prompt.as_str())
    {
        return Err(CliError::Usage(format!(
            "--prompt {prompt:?}: use one of {}",
            PROMPTS.join(", ")
        )));
    }
    let name = args.name.clone();
    let silent = args.prompt.as_deref() == Some("none");
    let session = session_for(location, &name)?;
    let rt = runtime()?;
    let stdin_is_terminal = std::io::stdin().is_terminal();
    let browser = !args.no_browser && crate::browser::available();
    // Without a browser here and without a terminal to paste into, a code on another device is the one
    // way left, where the server offers it.
    let device = if args.device {
        DeviceFlow::Required
    } else if !browser && !stdin_is_terminal && !args.paste {
        DeviceFlow::WhenOffered
    } else {
        DeviceFlow::Never
    };
    let paste = (device != DeviceFlow::Required && (args.paste || stdin_is_terminal)).then(read_pasted_lines);
    let cancel = CancellationToken::new();
    let countdown = Countdown::new();
    let opts = LoginOptions {
        timeout: Duration::from_secs(args.timeout),
        cancel: cancel.clone(),
        extra_scopes: args.scopes,
        open_browser: (!args.no_browser).then(crate::browser::opener),
        on_step: Some(reporter(name.clone(), paste.is_some(), countdown.clone())),
        paste,
        callback_port: args.callback_port,
        prompt: args.prompt,
        device,
        ..LoginOptions::default()
    };
    let outcome = rt.block_on(async {
        tokio::select! {
            outcome = session.login(&name, &opts) => outcome,
            _ = tokio::signal::ctrl_c() => {
                cancel.cancel();
                Err(mcp_accounts::session::Error::Cancelled)
            }
        }
    });
    countdown.stop();
    let outcome = match outcome {
        Err(mcp_accounts::session::Error::Cancelled) => {
            return Err(CliError::Failed(
                "the login was cancelled; nothing was stored".to_owned(),
            ));
        }
        Err(e) if silent && needs_the_user(&e) => {
            return Err(CliError::Failed(format!(
                "{}; the server wants you to sign in or choose in the browser, which --prompt none forbids: run the login without it",
                session_message(&e)
            )));
        }
        other => other?,
    };
    let who = outcome
        .token
        .identity
        .as_deref()
        .map(|who| format!(" as {} (as the server says)", clean(who)))
        .unwrap_or_default();
    print(&format!(
        "logged in to {name}{who}: {}\n",
        describe_token(&outcome.token, session.now())
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Whether an authorization server refused a login because it needs the user to do something in the
/// browser (OpenID Connect Core §3.1.2.6: the answers to `prompt=none`).
fn needs_the_user(e: &mcp_accounts::session::Error) -> bool {
    use mcp_accounts::oauth::Error as OAuth;
    matches!(e, mcp_accounts::session::Error::Protocol(OAuth::AuthorizationDenied(refusal))
        if ["login_required", "consent_required", "interaction_required", "account_selection_required"]
            .contains(&refusal.code.as_str()))
}

/// Lines from stdin, for a login to take as pasted redirect URLs (a thread: stdin reads block).
fn read_pasted_lines() -> PastedUrls {
    let (tx, pasted) = PastedUrls::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    pasted
}

fn reporter(name: String, paste: bool, countdown: Countdown) -> mcp_accounts::session::StepReporter {
    Arc::new(move |step| {
        match step {
        LoginStep::Discovering => countdown.say("discovering the authorization server…"),
        LoginStep::Registering => countdown.say("registering mcp-accounts as a client…"),
        LoginStep::WaitingForBrowser { url } => countdown.say(&waiting_text(&name, &url, paste)),
        LoginStep::BrowserNotOpened { reason } => countdown.say(&one_line(&reason)),
        LoginStep::AnswerRefused { .. } => countdown.say(
            "an answer that does not belong to this login reached the callback (wrong or missing state) and was refused; still waiting…",
        ),
        LoginStep::PasteRefused { reason } => {
            countdown.say(&format!("not taken: {}; still waiting…", one_line(&reason)))
        }
        LoginStep::DeviceCode {
            verification_uri,
            verification_uri_complete,
            user_code,
            expires_in,
        } => {
            let (what, page) = match &verification_uri_complete {
                Some(page) => ("check that it shows", page),
                None => ("enter", &verification_uri),
            };
            countdown.say(&format!(
                "To log in to {name}, open this page on any device and {what} the code {}:\n\n  {}\n",
                clean(&user_code),
                clean(page)
            ));
            // On a terminal the time left counts down on the last line; elsewhere it is said once.
            if Countdown::possible() {
                countdown.start(Duration::from_secs(expires_in));
            } else {
                let minutes = expires_in.div_ceil(60);
                countdown.say(&format!(
                    "waiting for you to confirm there (the code is valid for {minutes} min; Ctrl-C cancels)…"
                ));
            }
        }
        LoginStep::MetadataDocumentUnsupported => countdown.say(
            "note: the authorization server does not accept client ID metadata documents; registering a client instead",
        ),
        LoginStep::RegistrationRetried { refused, retry } => countdown.say(&format!(
            "the authorization server refused the redirect URI {refused}; registering with {retry} instead"
        )),
        // The code was entered: the line has done its work.
        LoginStep::Exchanging => countdown.stop(),
        _ => {}
    }
    })
}

/// What a login waiting for the browser says: the URL, and where the browser is elsewhere, the ways the
/// answer can still come back (paste it; over SSH, forward the port).
fn waiting_text(name: &str, url: &str, paste: bool) -> String {
    let mut text = format!("Open this URL in a browser to log in to {name}:\n\n  {}\n", clean(url));
    if paste {
        text.push_str(
            "\nIf the browser runs on another machine, paste here the URL it ends on (even if that page does not load) and press Enter.\n",
        );
    }
    if std::env::var_os("SSH_CONNECTION").is_some()
        && let Some(port) = callback_port(url)
    {
        text.push_str(&format!(
            "Over SSH, forwarding the callback port lets that browser reach this machine: ssh -L {port}:127.0.0.1:{port} {}\n",
            this_host()
        ));
    }
    text.push_str("\nwaiting for the browser…");
    text
}

/// The port of the `redirect_uri` in an authorization URL.
fn callback_port(url: &str) -> Option<u16> {
    let url = url::Url::parse(url).ok()?;
    let redirect = url.query_pairs().find(|(k, _)| k == "redirect_uri")?.1;
    url::Url::parse(&redirect).ok()?.port()
}

/// This machine's name, for the `ssh -L` line.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)))
        .unwrap_or_else(|| "THIS-HOST".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_port_comes_from_the_redirect_uri() {
        let url =
            "https://as.example/authorize?client_id=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback&state=s";
        assert_eq!(callback_port(url), Some(8976));
        assert_eq!(callback_port("https://as.example/authorize"), None);
    }
}
