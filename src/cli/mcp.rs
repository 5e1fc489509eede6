//! The commands that speak MCP to a server with an account's token: `proxy` (the stdio bridge) and
//! `verify` (one exchange that proves the account works).

use std::process::ExitCode;
use std::time::Duration;

use http::{HeaderName, HeaderValue};

use super::args::ProxyArgs;
use super::auth::{runtime, session_for};
use super::common::{CliError, CommandResult, session_message};
use super::output::{print, print_json};
use crate::proxy::{Ended, Settings};
use crate::verify::{Verified, VerifyError};
use mcp_accounts::store::location::DbLocation;

/// `proxy NAME [--header K:V]... [--no-browser] [--login-timeout SECS]`.
pub fn proxy(location: &DbLocation, args: ProxyArgs) -> CommandResult {
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let session = session_for(location, &args.name)?;
    let url = session.server(&args.name)?.url;
    let browser = (!args.no_browser && crate::browser::available()).then(crate::browser::opener);
    eprintln!(
        "mcp-accounts proxy ({}): bridging stdio to {}{}",
        args.name,
        mcp_accounts::text::clean(&url),
        if browser.is_some() {
            ""
        } else {
            " (no browser: a request that needs more scopes gets an error)"
        }
    );
    let settings = Settings {
        name: args.name,
        headers,
        browser,
        login_timeout: Duration::from_secs(args.login_timeout),
        describe: session_message,
    };
    match runtime()?.block_on(crate::proxy::run(session, settings)) {
        Ended::Normally => Ok(ExitCode::SUCCESS),
        Ended::ServerGone(reason) => Err(CliError::Failed(reason)),
    }
}

/// `verify NAME [--json]`.
pub fn verify(location: &DbLocation, name: &str, json: bool) -> CommandResult {
    let session = session_for(location, name)?;
    let verified = runtime()?
        .block_on(crate::verify::verify(&session, name))
        .map_err(|e| match e {
            VerifyError::Session(e) => CliError::Failed(session_message(&e)),
            VerifyError::Scopes(scopes) => CliError::Failed(format!(
                "{}; run: {}",
                VerifyError::Scopes(scopes.clone()),
                crate::view::login_with_scopes(name, &scopes)
            )),
            e @ VerifyError::Server(_) => CliError::Failed(format!("{name}: {e}")),
        })?;
    if json {
        print_json(&verified)?;
    } else {
        print(&describe_verified(name, &verified))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human form of a verification.
pub fn describe_verified(name: &str, v: &Verified) -> String {
    let server = v
        .server_label()
        .unwrap_or_else(|| "(the server did not say)".to_owned());
    let count = |n: Option<usize>| n.map_or_else(|| "not offered".to_owned(), |n| n.to_string());
    format!(
        "{name} works: an authenticated MCP request was answered in {} ms\n{:<12}{server}\n{:<12}{} (by {})\n{:<12}{}\n{:<12}{}\n{:<12}{}\n",
        v.took_ms,
        "server",
        "protocol",
        v.protocol_version,
        v.handshake,
        "tools",
        count(v.tools),
        "resources",
        count(v.resources),
        "prompts",
        count(v.prompts),
    )
}

/// `NAME:VALUE` (spaces around the value trimmed), as mcp-remote's `--header` takes it.
fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), CliError> {
    let bad = |why: &str| CliError::Usage(format!("--header {text:?}: {why}"));
    let (name, value) = text.split_once(':').ok_or_else(|| bad("write it as NAME:VALUE"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("not a valid header name"))?;
    if name == http::header::AUTHORIZATION {
        return Err(bad("the Authorization header is the account's token; it cannot be set"));
    }
    let value = HeaderValue::from_str(value.trim()).map_err(|_| bad("not a valid header value"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_taken_as_mcp_remote_takes_them() {
        let (name, value) = parse_header("X-Tenant: acme").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("x-tenant", "acme"));
        for bad in ["no-colon", "bad name:x", "Authorization: Bearer x", "X-A: a\u{1}b"] {
            assert!(matches!(parse_header(bad), Err(CliError::Usage(_))), "{bad}");
        }
    }
}
