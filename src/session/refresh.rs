//! Refreshing: one refresh at a time per account, across processes. The refresher holds a lease in the
//! store (never a database lock across the network call), released when its guard drops; the others poll
//! until the token changes or the lease is free. A failure for a passing reason (network, 5xx) keeps
//! everything and notes it; `invalid_grant` drops the dead refresh token.

use std::time::{Duration, Instant};

use super::error::{Error, NeedsLogin};
use super::{Session, stored_token};
use crate::oauth::metadata::same_issuer;
use crate::oauth::{self, ClientSource, ErrorCode, TokenError, token};
use crate::secret::Secret;
use crate::store::{LeaseGuard, LeaseKind, RefreshRecord, ServerRecord, StoreError, StoredToken, TokenStore};
use crate::text::sanitize;

/// [`Session::valid_token`] refreshes when fewer seconds than this remain.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// How often a process waiting for another's refresh looks at the store.
const LEASE_POLL: Duration = Duration::from_millis(40);

/// Whether [`Session::valid_token`] would refresh this token at `now` (fewer than 60 s left).
pub fn needs_refresh(token: &StoredToken, now: i64) -> bool {
    !fresh(token, Some(REFRESH_MARGIN_SECS), now)
}

fn fresh(token: &StoredToken, margin: Option<i64>, now: i64) -> bool {
    margin.is_some_and(|m| token.expires_at.is_none_or(|at| at - now > m))
}

/// The stored token of NAME, when it can be handed out as it is: more than a minute left, and issued by
/// the authorization server that the stored metadata names. `Ok(None)`: it needs a refresh first. A token
/// of another authorization server than the one the server names now is never handed out (MCP: send a
/// server only tokens its authorization server issued): that needs a login. Reads the store only.
pub fn usable_stored_token(store: &dyn TokenStore, name: &str, now: i64) -> Result<Option<StoredToken>, Error> {
    let token = stored_token_of(store, name)?;
    Ok(fresh(&token, Some(REFRESH_MARGIN_SECS), now).then_some(token))
}

/// The token of NAME, checked against the authorization server the stored metadata names.
fn stored_token_of(store: &dyn TokenStore, name: &str) -> Result<StoredToken, Error> {
    let needs_login = |reason| Error::NeedsLogin {
        name: name.to_owned(),
        reason,
    };
    let token = store
        .get_token(name)?
        .ok_or_else(|| needs_login(NeedsLogin::NotLoggedIn))?;
    let metadata = match store.get_metadata(name) {
        Ok(metadata) => metadata,
        // Unreadable metadata says nothing; discovery will replace it.
        Err(StoreError::Record { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(metadata) = metadata
        && !same_issuer(metadata.issuer(), &token.issuer)
    {
        return Err(needs_login(NeedsLogin::AuthorizationServerChanged {
            issuer: sanitize(metadata.issuer()),
        }));
    }
    Ok(token)
}

impl Session {
    /// Refresh the token of NAME now (whatever its expiry).
    pub async fn refresh(&self, name: &str) -> Result<StoredToken, Error> {
        self.forget_recent(name);
        self.refresh_unless_fresh(name, None).await
    }

    /// A usable access token for NAME: the stored one, or a refreshed one when fewer than 60 s remain.
    pub async fn valid_token(&self, name: &str) -> Result<Secret, Error> {
        Ok(self
            .refresh_unless_fresh(name, Some(REFRESH_MARGIN_SECS))
            .await?
            .access_token)
    }

    /// With `margin: None`, always refresh; with `Some(secs)`, only when fewer than `secs` remain.
    pub async fn refresh_unless_fresh(&self, name: &str, margin: Option<i64>) -> Result<StoredToken, Error> {
        let server = self.server(name)?;
        let start = stored_token_of(self.store.as_ref(), name)?;
        if fresh(&start, margin, self.now()) {
            return Ok(start);
        }
        // Longer than any refresh can take (one request, bounded by the client's total timeout).
        let config = self.http.config();
        let ttl = config.timeout + config.connect_timeout + Duration::from_secs(5);
        let give_up = Instant::now() + ttl + Duration::from_secs(5);
        let _lease = loop {
            if let Some(guard) =
                LeaseGuard::try_acquire(&self.store, LeaseKind::Refresh, name, self.clock.now_ms(), ttl)?
            {
                break guard;
            }
            tokio::time::sleep(LEASE_POLL).await;
            match self.store.get_token(name)? {
                None => return Err(self.needs_login(name, NeedsLogin::LoggedOutMeanwhile)),
                Some(current)
                    if current.generation != start.generation
                        && (margin.is_none() || fresh(&current, margin, self.now())) =>
                {
                    return Ok(current);
                }
                Some(_) => {}
            }
            if Instant::now() > give_up {
                return Err(Error::RefreshBusy {
                    name: name.to_owned(),
                    secs: ttl.as_secs(),
                });
            }
        };
        self.refresh_holding_lease(name, &server, &start, margin).await
    }

    async fn refresh_holding_lease(
        &self,
        name: &str,
        server: &ServerRecord,
        start: &StoredToken,
        margin: Option<i64>,
    ) -> Result<StoredToken, Error> {
        let logged_out = || self.needs_login(name, NeedsLogin::LoggedOutMeanwhile);
        // Another process may have refreshed between our first read and taking the lease.
        let current = self.store.get_token(name)?.ok_or_else(logged_out)?;
        if current.generation != start.generation && (margin.is_none() || fresh(&current, margin, self.now())) {
            return Ok(current);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            let expired = current.expires_at.is_some_and(|at| at <= self.now());
            return Err(self.needs_login(name, NeedsLogin::NoRefreshToken { expired }));
        };
        let (discovery, _) = self.metadata(name, server).await?;
        if !same_issuer(discovery.issuer(), &current.issuer) {
            return Err(self.needs_login(
                name,
                NeedsLogin::AuthorizationServerChanged {
                    issuer: sanitize(discovery.issuer()),
                },
            ));
        }
        let client = self
            .client_for_token(name, server, &current.issuer, &discovery.authorization_server)?
            .ok_or_else(|| self.needs_login(name, NeedsLogin::NoRegistration))?;
        let response = token::refresh(
            &self.http,
            &discovery.authorization_server,
            &client,
            &refresh_token,
            &current.resource,
        )
        .await;
        let failed = |error: String, drop_refresh: bool| {
            let mut kept = current.clone();
            if drop_refresh {
                kept.refresh_token = None;
            }
            kept.last_refresh = Some(RefreshRecord {
                at: self.now(),
                ok: false,
                error: Some(error),
            });
            kept
        };
        match response {
            Ok(issued) => {
                let new = stored_token(
                    issued,
                    Some(&current),
                    &current.scopes,
                    &current.issuer,
                    &current.resource,
                    self.now(),
                );
                if self.store.replace_token(name, &current, &new)? {
                    Ok(new)
                } else {
                    // Replaced meanwhile (a login, a logout): what is stored now wins.
                    self.store.get_token(name)?.ok_or_else(logged_out)
                }
            }
            Err(oauth::Error::Token(TokenError::Rejected(e))) if e.code == ErrorCode::InvalidGrant => {
                // The grant is dead: the refresh token is useless now, the access token may still work until
                // it expires.
                let reason = NeedsLogin::RefreshRejected(e);
                let error = self.needs_login(name, reason);
                self.store
                    .replace_token(name, &current, &failed(error.to_string(), true))?;
                Err(error)
            }
            Err(oauth::Error::Token(TokenError::Rejected(e))) if e.code == ErrorCode::InvalidClient => {
                let error = self.needs_login(name, NeedsLogin::ClientRejected(e));
                if client.source == ClientSource::Dynamic {
                    self.store.delete_client(name)?;
                }
                self.store
                    .replace_token(name, &current, &failed(error.to_string(), false))?;
                Err(error)
            }
            Err(e) => {
                // A passing failure (network, 5xx): keep everything, note it, let a later refresh try again.
                self.store
                    .replace_token(name, &current, &failed(e.to_string(), false))?;
                Err(e.into())
            }
        }
    }
}
