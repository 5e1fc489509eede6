//! Runs the UI's [`Command`]s: each one becomes a tokio task that does the network and store work and sends
//! the result back as an [`Event`]. Nothing here blocks the UI loop; store access runs on blocking threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::app::{Command, Event, Failure, TaskEvent, TaskKind};
use super::form::NewServer;
use crate::account::{expiry_phrase, load_accounts};
use crate::browser::open_browser;
use crate::clock::unix_now;
use crate::oauth::HttpClient;
use crate::oauth::flow::{self, LoginOptions, LogoutOutcome};
use crate::store::{ServerRecord, Store};

/// How many refreshes run at once; more wait their turn (and show as busy meanwhile).
pub const REFRESH_CONCURRENCY: usize = 64;

pub struct Tasks {
    store: Arc<Store>,
    http: HttpClient,
    events: UnboundedSender<Event>,
    /// Cancels every task on quit.
    shutdown: CancellationToken,
    logins: Arc<Mutex<HashMap<String, CancellationToken>>>,
    refresh_slots: Arc<Semaphore>,
}

impl Tasks {
    pub fn new(store: Arc<Store>, http: HttpClient, events: UnboundedSender<Event>) -> Self {
        Tasks {
            store,
            http,
            events,
            shutdown: CancellationToken::new(),
            logins: Arc::new(Mutex::new(HashMap::new())),
            refresh_slots: Arc::new(Semaphore::new(REFRESH_CONCURRENCY)),
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
            Command::Login(name) => self.login(name),
            Command::Refresh(name) => {
                let slots = self.refresh_slots.clone();
                self.spawn(name, TaskKind::Refresh, move |store, http, name| async move {
                    let _slot = slots.acquire_owned().await;
                    let token = flow::refresh(&*store, &http, &name).await.map_err(|e| e.to_string())?;
                    Ok(format!("refreshed; {}", expiry_phrase(token.expires_at, unix_now())))
                });
            }
            Command::Logout(name) => self.spawn(name, TaskKind::Logout, |store, http, name| async move {
                match flow::logout(&*store, &http, &name, false)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    LogoutOutcome::NotLoggedIn => Ok("was not logged in".to_owned()),
                    LogoutOutcome::Revoked => Ok("logged out; the token was revoked at the server".to_owned()),
                    LogoutOutcome::LocalOnly { reason } => Ok(format!("logged out here only ({reason})")),
                }
            }),
            Command::Discover(name) => self.spawn(name, TaskKind::Discover, |store, http, name| async move {
                let d = flow::discover_account(&*store, &http, &name)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(format!("discovered {}", d.issuer()))
            }),
            Command::Add(server) => {
                let name = server.name.clone();
                self.spawn(
                    name,
                    TaskKind::Add,
                    |store, _, _| async move { add(store, server).await },
                );
            }
            Command::Delete(name) => self.spawn(name, TaskKind::Delete, |store, _, name| async move {
                let removed = tokio::task::spawn_blocking(move || store.remove_server(&name))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                Ok(if removed { "deleted" } else { "was already gone" }.to_owned())
            }),
        }
    }

    /// Cancel everything (on quit): running logins free their ports.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    fn reload(&self) {
        let store = self.store.clone();
        let events = self.events.clone();
        tokio::task::spawn_blocking(move || {
            let event = match load_accounts(store.kv(), true) {
                Ok(accounts) => Event::Loaded(accounts),
                Err(e) => Event::Task(TaskEvent::LoadFailed(format!("cannot read the accounts: {e}"))),
            };
            let _ = events.send(event);
        });
    }

    fn login(&self, name: String) {
        let cancel = self.shutdown.child_token();
        self.logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), cancel.clone());
        let events = self.events.clone();
        let logins = self.logins.clone();
        let step_name = name.clone();
        let opts = LoginOptions {
            cancel,
            open_browser: Some(Arc::new(open_browser)),
            on_step: Some(Arc::new(move |step| {
                let _ = events.send(Event::Task(TaskEvent::Step {
                    name: step_name.clone(),
                    step,
                }));
            })),
            ..LoginOptions::default()
        };
        self.spawn(name, TaskKind::Login, move |store, http, name| async move {
            let outcome = flow::login(&*store, &http, &name, &opts).await;
            logins.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
            match outcome {
                Ok(outcome) => Ok(format!(
                    "logged in; {}",
                    expiry_phrase(outcome.token.expires_at, unix_now())
                )),
                Err(crate::oauth::Error::Cancelled) => Err(Failure::Cancelled),
                Err(e) => Err(Failure::Error(e.to_string())),
            }
        });
    }

    /// Spawn a task for `name` that reports [`TaskEvent::Done`] when it ends, whatever happens.
    fn spawn<F, Fut>(&self, name: String, kind: TaskKind, work: F)
    where
        F: FnOnce(Arc<Store>, HttpClient, String) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<String, Failure>> + Send + 'static,
    {
        let (store, http, events, shutdown) = (
            self.store.clone(),
            self.http.clone(),
            self.events.clone(),
            self.shutdown.clone(),
        );
        tokio::spawn(async move {
            let outcome = tokio::select! {
                outcome = work(store, http, name.clone()) => outcome,
                _ = shutdown.cancelled() => Err(Failure::Cancelled),
            };
            let _ = events.send(Event::Task(TaskEvent::Done { name, kind, outcome }));
        });
    }
}

async fn add(store: Arc<Store>, server: NewServer) -> Result<String, Failure> {
    let record = ServerRecord {
        url: server.url.clone(),
        client_id: server.client_id,
        client_secret_env: None,
        scopes: server.scopes,
        callback_port: server.callback_port,
        added_at: unix_now(),
    };
    let name = server.name;
    tokio::task::spawn_blocking(move || store.add_server(&name, &record))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok(format!("added {}; press l to log in", server.url))
}
