//! How a login is run ([`LoginOptions`]) and what it reports as it goes ([`LoginStep`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::oauth::registration::DEFAULT_CLIENT_NAME;

/// How long a login waits for the browser unless told otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// Opens a URL in a browser. The caller owns the browser: the session only reports the URL and, when this
/// fails, why.
pub type BrowserOpener = Arc<dyn Fn(&Url) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync>;
/// Receives the steps of a login as they happen.
pub type StepReporter = Arc<dyn Fn(LoginStep) + Send + Sync>;

/// Where a login is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginStep {
    /// Discovery runs (the stored metadata was missing or old).
    Discovering,
    /// A client is being registered.
    Registering,
    /// The authorization URL is ready; the user completes the login in a browser.
    WaitingForBrowser {
        /// The URL to open.
        url: String,
    },
    /// The browser could not be started; the user has to open the URL by hand.
    BrowserNotOpened {
        /// Why, in words.
        reason: String,
    },
    /// The code is being exchanged for a token.
    Exchanging,
    /// An answer reached the callback that is not this login's (a wrong or missing `state`, or before the
    /// request was made): it was refused, and the login goes on waiting.
    AnswerRefused {
        /// How many so far.
        refused: usize,
    },
    /// What the user pasted was not this login's answer; the login goes on waiting.
    PasteRefused {
        /// Why, in words.
        reason: String,
    },
    /// A device login (RFC 8628) waits for the user to enter the code on another device.
    DeviceCode {
        /// Where to go.
        verification_uri: String,
        /// The same with the code in it, when the server gives one.
        verification_uri_complete: Option<String>,
        /// The code to enter.
        user_code: String,
        /// How long the code is valid, in seconds.
        expires_in: u64,
    },
    /// The account has a client ID metadata document, but the authorization server does not accept them:
    /// a client is registered instead.
    MetadataDocumentUnsupported,
    /// The authorization server refused the redirect URI; registering again with another loopback form.
    RegistrationRetried {
        /// The redirect URI refused.
        refused: String,
        /// The one tried now.
        retry: String,
    },
}

/// How to run a login.
#[derive(Clone)]
pub struct LoginOptions {
    /// The `client_name` registered.
    pub client_name: String,
    /// How long to wait for the browser.
    pub timeout: Duration,
    /// Cancels the login (and frees the callback port).
    pub cancel: CancellationToken,
    /// `None`: do not start a browser, only report the URL.
    pub open_browser: Option<BrowserOpener>,
    /// Told about each step.
    pub on_step: Option<StepReporter>,
    /// Scopes to ask for besides the usual ones (a step-up, `login --scope`).
    pub extra_scopes: Vec<String>,
    /// Redirect URLs the user pastes, taken like a callback (for a browser that cannot reach this
    /// machine's callback port).
    pub paste: Option<PastedUrls>,
    /// The callback port for this login (instead of the configured or remembered one).
    pub callback_port: Option<u16>,
    /// OpenID `prompt` for this login; `None`: `select_account` (or `login`) when another account uses
    /// the same authorization server, else none.
    pub prompt: Option<String>,
    /// Whether to log in with a code on another device (RFC 8628) instead of the browser round trip.
    pub device: DeviceFlow,
}

/// When a login uses the device authorization grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceFlow {
    /// Never: the browser round trip.
    #[default]
    Never,
    /// When the authorization server offers it (no browser and no terminal here, say).
    WhenOffered,
    /// Always; a server that does not offer it is an error.
    Required,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            client_name: DEFAULT_CLIENT_NAME.to_owned(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            cancel: CancellationToken::new(),
            open_browser: None,
            on_step: None,
            extra_scopes: Vec::new(),
            paste: None,
            callback_port: None,
            prompt: None,
            device: DeviceFlow::Never,
        }
    }
}

impl LoginOptions {
    pub(super) fn report(&self, step: LoginStep) {
        if let Some(on_step) = &self.on_step {
            on_step(step);
        }
    }
}

/// Lines the user pastes, for the logins that wait while they arrive. Clones share the one source.
#[derive(Clone)]
pub struct PastedUrls(Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>>);

impl std::fmt::Debug for PastedUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PastedUrls")
    }
}

impl PastedUrls {
    /// A source of pasted lines, and where to send them (a thread reading stdin, the TUI's paste field).
    pub fn channel() -> (mpsc::UnboundedSender<String>, PastedUrls) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, PastedUrls(Arc::new(tokio::sync::Mutex::new(rx))))
    }

    pub(super) fn lines(&self) -> &tokio::sync::Mutex<mpsc::UnboundedReceiver<String>> {
        &self.0
    }
}
