//! Shared test helpers: running the real binary, the test authorization server, the scripted browser.
#![allow(dead_code)]

pub mod auth_server;
pub mod bin;
pub mod flow;
pub mod pty;
pub mod py_sdk;
pub mod ts_sdk;

use std::path::PathBuf;

/// The scripted browser (tests/support/scripted_browser.py), for `BROWSER`.
pub fn scripted_browser() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/scripted_browser.py")
}
