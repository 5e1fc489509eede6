//! Shared test helpers: running the real binary, the test authorization server, the scripted browser.
#![allow(dead_code)]

pub mod bin;
