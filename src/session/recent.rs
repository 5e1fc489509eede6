//! What authorized requests remember of an account between two requests (see
//! `Session::authorized_stream`): the server URL and the token, and when they were read.

use url::Url;

use crate::secret::Secret;

/// The URL and token of one account as last read from the store.
#[derive(Debug, Clone)]
pub(crate) struct Recent {
    pub(crate) url: Url,
    pub(crate) token: Secret,
    pub(crate) expires_at: Option<i64>,
    pub(crate) read_at_ms: i64,
}

/// The remembered accounts, by name; shared by the clones of a session.
pub(crate) type RecentMap = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Recent>>>;
