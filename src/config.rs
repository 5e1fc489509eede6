//! What the binary takes from the environment besides the database path (which clap reads):
//! `MCP_ACCOUNTS_HTTP_TIMEOUT` (seconds, total per request) and `MCP_ACCOUNTS_TRACE_HTTP` (any non-empty
//! value: one line per request on stderr).

use std::time::Duration;

use mcp_accounts::oauth::HttpConfig;
use mcp_accounts::oauth::http::TRACE_TARGET;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The HTTP limits, with the timeout from `MCP_ACCOUNTS_HTTP_TIMEOUT` when it is a positive number.
pub fn http_config() -> HttpConfig {
    match std::env::var("MCP_ACCOUNTS_HTTP_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
    {
        Some(secs) => HttpConfig::with_timeout(Duration::from_secs_f64(secs)),
        None => HttpConfig::default(),
    }
}

/// With `MCP_ACCOUNTS_TRACE_HTTP` set, print the library's one-line-per-request events to stderr as
/// `http: METHOD URL -> STATUS (N ms)`. Not for the TUI, whose stderr is the screen.
pub fn trace_http_if_asked() {
    if std::env::var_os("MCP_ACCOUNTS_TRACE_HTTP").is_none_or(|v| v.is_empty()) {
        return;
    }
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .event_format(HttpLine)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// `http: ` and the message of an HTTP event; other events are not printed.
struct HttpLine;

impl<S, N> FormatEvent<S, N> for HttpLine
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if event.metadata().target() != TRACE_TARGET {
            return Ok(());
        }
        writer.write_str("http: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
