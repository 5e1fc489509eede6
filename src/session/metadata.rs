//! The metadata cache policy, in one place: stored metadata is used when it was discovered for the URL
//! configured now and is younger than [`METADATA_MAX_AGE_SECS`]; otherwise discovery runs again and its
//! result replaces the stored one.

use super::Session;
use super::error::Error;
use crate::oauth::{Discovery, discover};
use crate::store::{ServerRecord, StoreError};

/// Stored metadata older than this is discovered again before it is used: servers move endpoints rarely,
/// but a day-old answer is cheap to renew (three requests) and a stale one makes a login fail for no
/// visible reason.
pub const METADATA_MAX_AGE_SECS: i64 = 24 * 3600;

impl Session {
    /// Run discovery for NAME now and store the result.
    pub async fn discover(&self, name: &str) -> Result<Discovery, Error> {
        let server = self.server(name)?;
        let discovery = self.discover_unsaved(&server).await?;
        self.store.set_metadata(name, &discovery)?;
        Ok(discovery)
    }

    /// Run discovery for `server` now, without storing it (a login stores it only with its token).
    pub async fn discover_unsaved(&self, server: &ServerRecord) -> Result<Discovery, Error> {
        let mut discovery = discover(&self.http, &server.url).await?;
        discovery.discovered_at = self.now();
        Ok(discovery)
    }

    /// The stored metadata of NAME when it is for the configured URL and younger than a day. A record that
    /// does not decode counts as none (discovery replaces it); any other store error is an error.
    pub fn fresh_metadata(&self, name: &str, server: &ServerRecord) -> Result<Option<Discovery>, Error> {
        let stored = match self.store.get_metadata(name) {
            Ok(stored) => stored,
            Err(StoreError::Record { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let now = self.now();
        Ok(stored.filter(|d| d.server_url == server.url && now - d.discovered_at < METADATA_MAX_AGE_SECS))
    }

    /// The metadata to use for NAME: the fresh stored one, else a new discovery (stored). The flag says
    /// whether discovery ran.
    pub async fn metadata(&self, name: &str, server: &ServerRecord) -> Result<(Discovery, bool), Error> {
        match self.fresh_metadata(name, server)? {
            Some(stored) => Ok((stored, false)),
            None => Ok((self.discover(name).await?, true)),
        }
    }
}
