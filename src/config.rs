//! What the binary takes from the environment besides the database path (which clap reads):
//! `MCP_ACCOUNTS_HTTP_TIMEOUT` (seconds, total per request) and `MCP_ACCOUNTS_TRACE_HTTP` (any non-empty
//! value: one line per request on stderr).

use std::time::Duration;

use mcp_accounts::oauth::HttpConfig;
use mcp_accounts::oauth::http::TRACE_TARGET;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable of the per-request timeout.
const TIMEOUT_VAR: &str = "MCP_ACCOUNTS_HTTP_TIMEOUT";
/// The timeouts accepted, in seconds; values outside are clamped.
const TIMEOUT_RANGE: (f64, f64) = (0.1, 3600.0);

/// What `MCP_ACCOUNTS_HTTP_TIMEOUT` says.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeoutSetting {
    /// Not set (or empty): the default.
    Default,
    /// A timeout, with a warning when it was clamped into range.
    Seconds(f64, Option<String>),
}

/// Parse `MCP_ACCOUNTS_HTTP_TIMEOUT`: seconds, a positive number; values outside 0.1..=3600 are clamped
/// (with a warning). `Err` says what is wrong in one line.
pub fn timeout_setting(value: Option<&str>) -> Result<TimeoutSetting, String> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(TimeoutSetting::Default);
    };
    let (low, high) = TIMEOUT_RANGE;
    let bad = || {
        format!(
            "{TIMEOUT_VAR}={:?} is not a number of seconds (a positive number, such as 30 or 2.5)",
            mcp_accounts::text::shorten(raw)
        )
    };
    let secs: f64 = raw.parse().map_err(|_| bad())?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(bad());
    }
    let clamped = secs.clamp(low, high);
    let warning =
        (clamped != secs).then(|| format!("{TIMEOUT_VAR}={raw} is outside {low} to {high} seconds; using {clamped}"));
    Ok(TimeoutSetting::Seconds(clamped, warning))
}

/// `MCP_ACCOUNTS_HTTP_TIMEOUT` of this process, read and parsed once: [`crate::cli::run`] reports a bad
/// value or a warning at start, and [`http_config`] uses the same result.
pub fn timeout_from_env() -> &'static Result<TimeoutSetting, String> {
    static SETTING: std::sync::OnceLock<Result<TimeoutSetting, String>> = std::sync::OnceLock::new();
    SETTING.get_or_init(|| timeout_setting(std::env::var(TIMEOUT_VAR).ok().as_deref()))
}

/// The HTTP limits, with the timeout of `MCP_ACCOUNTS_HTTP_TIMEOUT` (a bad value never gets this far:
/// the command stopped at start).
pub fn http_config() -> HttpConfig {
    match timeout_from_env() {
        Ok(TimeoutSetting::Seconds(secs, _)) => HttpConfig::with_timeout(Duration::from_secs_f64(*secs)),
        _ => HttpConfig::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_parsed_clamped_and_refused_in_words() {
        assert_eq!(timeout_setting(None), Ok(TimeoutSetting::Default));
        assert_eq!(timeout_setting(Some(" ")), Ok(TimeoutSetting::Default));
        assert_eq!(timeout_setting(Some("2.5")), Ok(TimeoutSetting::Seconds(2.5, None)));
        let Ok(TimeoutSetting::Seconds(secs, Some(warning))) = timeout_setting(Some("1e20")) else {
            panic!("clamped")
        };
        assert_eq!(secs, 3600.0);
        assert!(warning.contains("using 3600"), "{warning}");
        assert!(matches!(
            timeout_setting(Some("inf")),
            Ok(TimeoutSetting::Seconds(3600.0, Some(_)))
        ));
        for bad in ["abc", "0", "-1", "NaN", "1s"] {
            let e = timeout_setting(Some(bad));
            assert!(
                matches!(&e, Err(m) if m.contains("is not a number of seconds")),
                "{bad}: {e:?}"
            );
        }
    }
}
