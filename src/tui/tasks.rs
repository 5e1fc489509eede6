//! Runs the UI's [`Command`]s: each one becomes a tokio task that does the session's work and sends its
//! typed result back as an [`Event`]. Nothing here blocks the UI loop; plain store access runs on blocking
//! threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mcp_accounts::session::{DEFAULT_REFRESH_CONCURRENCY, DeviceFlow, LoginOptions, PastedUrls, Session};
use mcp_accounts::store::{ServerRecord, Store, load_accounts};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::form::NewServer;
use super::messages::{Command, Event, Failure, Success, TaskEvent, TaskKind};

/// The modification times of the clients' files ([`crate::clients::file_stamps`]).
type ClientStamps = Vec<Option<std::time::SystemTime>>;

pub struct Tasks {
    store: Arc<Store>,
    session: Arc<Session>,
    events: UnboundedSender<Event>,
    /// Cancels every task on quit.
    shutdown: CancellationToken,
    logins: Arc<Mutex<HashMap<String, CancellationToken>>>,
    /// When the clients' files last changed, as the last reload saw them.
    clients_seen: Arc<Mutex<Option<ClientStamps>>>,
    /// Where the pasted URLs of each waiting login go.
    pastes: Arc<Mutex<HashMap<String, tokio::sync::mpsc::UnboundedSender<String>>>>,
    refresh_slots: Arc<Semaphore>,
}

impl Tasks {
    pub fn new(store: Arc<Store>, session: Session, events: UnboundedSender<Event>) -> Self {
        Tasks {
            store,
            session: Arc::new(session),
            events,
            shutdown: CancellationToken::new(),
            logins: Arc::new(Mutex::new(HashMap::new())),
            clients_seen: Arc::new(Mutex::new(None)),
            pastes: Arc::new(Mutex::new(HashMap::new())),
            refresh_slots: Arc::new(Semaphore::new(DEFAULT_REFRESH_CONCURRENCY)),
        }
    }

    /// Start the work a command asks for.
    pub fn run(&self, command: Command) {
        match command {
            Command::Reload => self.reload(),
            Command::Cancel(name) => {
                if let Some(token) = self.logins.lock().unwrap_or_else(|p| p.into_inner()).get(&name) {
                    token.cancel();
                }
            }
            Command::Login(name) => self.login(name, false),
            Command::DeviceLogin(name) => self.login(name, true),
            Command::Refresh(name) => {
                let slots = self.refresh_slots.clone();
                self.spawn(name, TaskKind::Refresh, move |session, name| async move {
                    let _slot = slots.acquire_owned().await;
                    let token = session.refresh(&name).await?;
                    Ok(Success::Refreshed {
                        expires_at: token.expires_at,
                    })
                });
            }
            Command::Logout(name) => self.spawn(name, TaskKind::Logout, |session, name| async move {
                Ok(Success::LoggedOut(session.logout(&name, false).await?))
            }),
            Command::Discover(name) => self.spawn(name, TaskKind::Discover, |session, name| async move {
                let discovery = session.discover(&name).await?;
                Ok(Success::Discovered {
                    issuer: discovery.issuer().to_owned(),
                })
            }),
            Command::Add(server) => {
                let store = self.store.clone();
                self.spawn(server.name.clone(), TaskKind::Add, |_, _| add(store, server));
            }
            Command::Paste { name, text } => {
                if let Some(tx) = self.pastes.lock().unwrap_or_else(|p| p.into_inner()).get(&name) {
                    let _ = tx.send(text);
                }
            }
            Command::OpenBrowser(url) => {
                if let Ok(url) = url::Url::parse(&url) {
                    // The outcome shows as before: the login goes on waiting either way.
                    tokio::task::spawn_blocking(move || crate::browser::open_browser(&url));
                }
            }
            // Written by the event loop, which owns the terminal.
            Command::Copy(_) => {}
            Command::Verify(name) => self.spawn(name, TaskKind::Verify, |session, name| async move {
                let verified = crate::verify::verify(&session, &name).await?;
                Ok(Success::Verified(Box::new(verified)))
            }),
            Command::Delete(name) => {
                let store = self.store.clone();
                self.spawn(name, TaskKind::Delete, |_, name| async move {
                    let existed = blocking(move || store.remove_server(&name)).await??;
                    Ok(Success::Deleted { existed })
                });
            }
        }
    }

    /// Cancel everything (on quit): running logins free their ports.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    fn reload(&self) {
        let store = self.store.clone();
        let events = self.events.clone();
        let clients_seen = self.clients_seen.clone();
        tokio::task::spawn_blocking(move || {
            let event = match load_accounts(store.kv(), true) {
                Ok(accounts) => Event::Loaded(accounts),
                Err(e) => Event::Task(TaskEvent::LoadFailed(e)),
            };
            let _ = events.send(event);
            if let Some(clients) = connected_clients(&clients_seen) {
                let _ = events.send(Event::Clients(clients));
            }
        });
    }

    /// A login in the browser (with the paste field and the port for help), or with a code entered on
    /// another device (`device`: no browser is opened here; the page and the code show in the details).
    fn login(&self, name: String, device: bool) {
        let cancel = self.shutdown.child_token();
        self.logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), cancel.clone());
        let events = self.events.clone();
        let logins = self.logins.clone();
        let pastes = self.pastes.clone();
        // A device login has nothing to paste: no paste channel for it.
        let paste = (!device).then(|| {
            let (paste_tx, paste) = PastedUrls::channel();
            pastes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone(), paste_tx);
            paste
        });
        let step_name = name.clone();
        let opts = LoginOptions {
            cancel,
            paste,
            open_browser: (!device).then(crate::browser::opener),
            device: if device {
                DeviceFlow::Required
            } else {
                DeviceFlow::Never
            },
            on_step: Some(Arc::new(move |step| {
                let _ = events.send(Event::Task(TaskEvent::Step {
                    name: step_name.clone(),
                    step,
                }));
            })),
            ..LoginOptions::default()
        };
        self.spawn(name, TaskKind::Login, move |session, name| async move {
            let outcome = session.login(&name, &opts).await;
            logins.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
            pastes.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
            Ok(Success::LoggedIn {
                expires_at: outcome?.token.expires_at,
            })
        });
    }

    /// Spawn a task for `name` that reports [`TaskEvent::Done`] when it ends, whatever happens.
    fn spawn<F, Fut>(&self, name: String, kind: TaskKind, work: F)
    where
        F: FnOnce(Arc<Session>, String) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Success, Failure>> + Send + 'static,
    {
        let (session, events, shutdown) = (self.session.clone(), self.events.clone(), self.shutdown.clone());
        tokio::spawn(async move {
            let outcome = tokio::select! {
                outcome = work(session, name.clone()) => outcome,
                _ = shutdown.cancelled() => Err(Failure::Cancelled),
            };
            let _ = events.send(Event::Task(TaskEvent::Done { name, kind, outcome }));
        });
    }
}

/// Which clients' files point at which account (account name → client ids), read from those files.
/// `None` when none of the files changed since the last look (a reload comes every few seconds; a
/// `~/.claude.json` can be megabytes).
fn connected_clients(
    seen: &Mutex<Option<ClientStamps>>,
) -> Option<std::collections::BTreeMap<String, Vec<&'static str>>> {
    use crate::clients::{Client, Places, Target, file_stamps, scan};
    let mut map: std::collections::BTreeMap<String, Vec<&'static str>> = Default::default();
    let places = Places::from_env()?;
    let stamps = file_stamps(&places, &Client::ALL);
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if seen.as_ref() == Some(&stamps) {
        return None;
    }
    *seen = Some(stamps);
    for entry in scan(&places, &Client::ALL).entries {
        if let Target::Account { name } = entry.target {
            let ids = map.entry(name).or_default();
            if !ids.contains(&entry.client.id()) {
                ids.push(entry.client.id());
            }
        }
    }
    Some(map)
}

/// Run store work on a blocking thread; a panic there is reported, not propagated.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Failure::Crashed(format!("the task stopped: {e}")))
}

async fn add(store: Arc<Store>, server: NewServer) -> Result<Success, Failure> {
    let record = ServerRecord {
        url: server.url.clone(),
        client_id: server.client_id,
        client_secret_env: server.client_secret_env,
        scopes: server.scopes,
        callback_port: server.callback_port,
        client_metadata_url: server.client_metadata_url,
        added_at: mcp_accounts::clock::unix_now(),
    };
    let name = server.name;
    blocking(move || store.add_server(&name, &record))
        .await?
        .map_err(Failure::Add)?;
    Ok(Success::Added { url: server.url })
}
