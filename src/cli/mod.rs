//! The headless front end: parse the command line, open the store, run one command, map the outcome to an
//! exit code (0 success, 1 failure or an account needing action, 2 usage). Errors are one line on stderr.

pub mod accounts;
pub mod args;
pub mod auth;
pub mod clients;
pub mod common;
pub mod complete;
pub mod countdown;
pub mod login;
pub mod mcp;
pub mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use common::{CliError, CommandResult, one_line, open_for_writing};
use mcp_accounts::store::location::database_location;

/// Run the program with the process's arguments.
pub fn main() -> ExitCode {
    complete::answer_if_asked(<Cli as clap::CommandFactory>::command);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(e.message()));
            e.exit_code()
        }
    }
}

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> CommandResult {
    if cli.list && cli.command.is_some() {
        return Err(CliError::Usage(
            "--list is a command of its own; use either --list or a subcommand (see: mcp-accounts --help)".to_owned(),
        ));
    }
    let location = database_location(cli.db).map_err(|e| CliError::Failed(format!("{e}; pass --db PATH")))?;
    let _ = common::DB_CHOSEN.set(!location.is_default);
    match crate::config::timeout_from_env() {
        Err(bad) => return Err(CliError::Usage(bad.clone())),
        Ok(crate::config::TimeoutSetting::Seconds(_, Some(warning))) => eprintln!("warning: {}", one_line(warning)),
        Ok(_) => {}
    }
    let tui = cli.command.is_none() && !cli.list && std::io::stdout().is_terminal();
    let color = output::use_color(cli.color);
    if !tui {
        // The TUI's stderr is the screen: no trace lines there.
        crate::config::trace_http_if_asked();
    }
    match cli.command {
        None if tui => {
            let store = open_for_writing(&location)?;
            crate::tui::run(store)
                .map(|()| ExitCode::SUCCESS)
                .map_err(|e| CliError::Failed(e.to_string()))
        }
        None => accounts::list(&location, cli.list && cli.json, color),
        Some(Command::List { json }) => accounts::list(&location, json, color),
        Some(Command::Status { name, json }) => accounts::status(&location, name.as_deref(), json, color),
        Some(Command::Add(args)) => accounts::add(&location, args),
        Some(Command::Remove { name }) => accounts::remove(&location, &name),
        Some(Command::Discover { name, json }) => auth::discover(&location, &name, json),
        Some(Command::Login(args)) => login::login(&location, args),
        Some(Command::Refresh { name, all }) => auth::refresh(&location, name.as_deref(), all),
        Some(Command::Logout { name, local }) => auth::logout(&location, &name, local),
        Some(Command::Token { name, format }) => auth::token(&location, &name, format),
        Some(Command::Proxy(args)) => mcp::proxy(&location, args),
        Some(Command::Verify { name, json }) => mcp::verify(&location, &name, json),
        Some(Command::Import(args)) => clients::import(&location, args),
        Some(Command::Completions { shell }) => {
            let name = clap::ValueEnum::to_possible_value(&shell).map(|v| v.get_name().to_owned());
            let script = complete::script(name.as_deref().unwrap_or("bash"))
                .map_err(|e| CliError::Failed(format!("cannot write the completion script: {e}")))?;
            output::print_raw(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            let mut out = Vec::new();
            page.render(&mut out)
                .map_err(|e| CliError::Failed(format!("cannot write the manual page: {e}")))?;
            output::print_raw(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Connect(args)) => clients::connect(&location, args),
    }
}

/// clap's errors are several lines with a usage block; say the same in one line, exit 2. Help and
/// version go to stdout as usual, exit 0.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(2);
    }
    let text = e.render().to_string();
    eprintln!("error: {}", usage_line(&text));
    ExitCode::from(2)
}

/// clap's rendered error in one line: the error, its "did you mean" tips, and the help of the command it
/// is about (`mcp-accounts list --help` for a bad flag of `list`).
fn usage_line(rendered: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut help = "mcp-accounts --help".to_owned();
    for line in rendered.lines() {
        let line = line.trim();
        if let Some(usage) = line.strip_prefix("Usage: ") {
            // "mcp-accounts list [OPTIONS]": the words before the first placeholder name the command.
            let words: Vec<&str> = usage
                .split_whitespace()
                .take_while(|w| {
                    !w.starts_with(['[', '<', '-']) && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .collect();
            if words.len() > 1 {
                help = format!("{} --help", words.join(" "));
            }
            break;
        }
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        parts.push(
            line.strip_prefix("error: ")
                .or_else(|| line.strip_prefix("tip: "))
                .unwrap_or(line),
        );
    }
    let mut joined = String::new();
    for part in parts {
        if !joined.is_empty() {
            joined.push_str(if joined.ends_with(':') { " " } else { "; " });
        }
        joined.push_str(part);
    }
    format!("{joined} (see: {help})")
}
