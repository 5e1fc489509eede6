//! The `mcp-accounts` binary: the command line ([`cli`]) and the terminal UI ([`tui`]) over the library's
//! session layer. [`view`] holds what both show (status rows, time phrases, discovery rows); [`config`]
//! reads the environment; [`browser`] opens the login URL.

mod browser;
mod cli;
mod clients;
mod config;
mod mcp;
mod proxy;
mod tui;
mod verify;
mod view;

fn main() -> std::process::ExitCode {
    cli::main()
}
