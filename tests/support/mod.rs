//! Shared test helpers: running the real binary, the test authorization server, the scripted browser.
#![allow(dead_code)]

pub mod auth_server;
pub mod bin;
pub mod flow;
pub mod pty;
pub mod py_sdk;
pub mod stdio;
pub mod ts_sdk;

use std::path::PathBuf;

/// A port on 127.0.0.1 that was free a moment ago (for a server a test starts, or a callback port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The scripted browser (tests/support/scripted_browser.py), for `BROWSER`.
pub fn scripted_browser() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/scripted_browser.py")
}
