//! Waiting for the answer of a browser login: from the loopback callback, or pasted by the user (the URL
//! the browser ended on, when the browser runs on another machine than the callback, as over SSH). A
//! pasted answer must carry this login's `state` before it is taken; then it goes through the same checks
//! as a callback's (`state`, `iss`, the code with its PKCE verifier).

use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use super::error::Error;
use super::options::{LoginOptions, LoginStep};
use crate::oauth::callback::{CallbackResult, CallbackServer, parse_pasted};
use crate::oauth::{self};
use crate::secret::Secret;

/// Wait for the answer to the authorization request whose `state` is given, until the login's timeout.
pub(super) async fn answer(
    callback: &CallbackServer,
    mut results: oneshot::Receiver<CallbackResult>,
    state: &Secret,
    opts: &LoginOptions,
) -> Result<CallbackResult, Error> {
    let secs = opts.timeout.as_secs();
    let mut refusals = callback.refusals();
    let deadline = tokio::time::sleep(opts.timeout);
    tokio::pin!(deadline);
    let mut pasted = match &opts.paste {
        Some(source) => Some(source.lines().lock().await),
        None => None,
    };
    loop {
        let next_paste = async {
            match pasted.as_mut() {
                Some(lines) => lines.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = &mut results => {
                return result.map_err(|_| Error::from(oauth::Error::CallbackStopped));
            }
            _ = &mut deadline => return Err(match callback.refused() {
                0 => Error::LoginTimedOut { secs },
                refused => Error::StaleCallbacks { secs, refused },
            }),
            Ok(()) = refusals.changed() => {
                let refused = *refusals.borrow_and_update();
                opts.report(LoginStep::AnswerRefused { refused });
            }
            line = next_paste => match line {
                // The source ended (stdin closed): only the callback is left.
                None => pasted = None,
                Some(text) if text.trim().is_empty() => {}
                Some(text) => match parse_pasted(&text) {
                    Some(result) if same_state(&result, state) => return Ok(result),
                    Some(_) => opts.report(LoginStep::PasteRefused {
                        reason: "that URL belongs to another login (its state does not match); paste the one this login's browser ended on".to_owned(),
                    }),
                    None => opts.report(LoginStep::PasteRefused {
                        reason: "that is not the URL the browser ended on (it has no code= or error=)".to_owned(),
                    }),
                },
            },
        }
    }
}

fn same_state(result: &CallbackResult, state: &Secret) -> bool {
    result
        .state
        .as_ref()
        .is_some_and(|s| bool::from(s.expose().as_bytes().ct_eq(state.expose().as_bytes())))
}
