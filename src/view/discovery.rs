//! The rows that describe a discovery result, for `discover` on the command line and the details pane of
//! the TUI: one list of facts, each with a long label (the command line) and a short one (the TUI's narrow
//! label column).

use mcp_accounts::oauth::{Discovery, DiscoveryMode};
use mcp_accounts::text::clean;

/// How a row's value should stand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// Something that stops a login.
    Bad,
}

/// One fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The label on the command line.
    pub label: &'static str,
    /// The label in the TUI (at most 13 characters).
    pub short: &'static str,
    /// The value, terminal-safe.
    pub value: String,
    pub tone: Tone,
}

/// How the authorization server was found, in words.
pub fn mode_phrase(mode: DiscoveryMode) -> &'static str {
    match mode {
        DiscoveryMode::ProtectedResource => "protected resource metadata (RFC 9728)",
        DiscoveryMode::LegacyMetadata => "legacy: metadata at the server's origin (MCP 2025-03-26)",
        DiscoveryMode::LegacyDefaults => "legacy: default endpoints /authorize /token /register (MCP 2025-03-26)",
    }
}

/// Every fact of `d`, in the order both front ends show them.
pub fn rows(d: &Discovery) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = |label, short, value: &str, tone| {
        rows.push(Row {
            label,
            short,
            value: clean(value).into_owned(),
            tone,
        })
    };
    let m = &d.authorization_server;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    row("resource", "Resource", &d.resource, Tone::Plain);
    row("found through", "Found via", mode_phrase(d.mode), Tone::Plain);
    if let Some(prm) = &d.protected_resource {
        row(
            "resource metadata",
            "PRM",
            d.protected_resource_url.as_deref().unwrap_or("-"),
            Tone::Plain,
        );
        row(
            "authorization servers",
            "Servers",
            &prm.authorization_servers.join(" "),
            Tone::Plain,
        );
        if let Some(scopes) = &prm.scopes_supported {
            row("scopes supported", "Scopes (PRM)", &scopes.join(" "), Tone::Plain);
        }
    }
    if let Some(scope) = d.challenge.as_ref().and_then(|c| c.scope.as_deref()) {
        row("scope asked for (401)", "Scope (401)", scope, Tone::Plain);
    }
    row("issuer", "Issuer", &m.issuer, Tone::Plain);
    if let Some(url) = &d.authorization_server_url {
        row("metadata", "Metadata", url, Tone::Plain);
    }
    row(
        "authorization endpoint",
        "Authorize",
        &m.authorization_endpoint,
        Tone::Plain,
    );
    row("token endpoint", "Token", &m.token_endpoint, Tone::Plain);
    row(
        "registration endpoint",
        "Registration",
        m.registration_endpoint.as_deref().unwrap_or("none"),
        Tone::Plain,
    );
    row(
        "revocation endpoint",
        "Revocation",
        m.revocation_endpoint
            .as_deref()
            .unwrap_or("none (logout deletes the token here only)"),
        Tone::Plain,
    );
    let (s256, tone) = if m.supports_s256() {
        ("yes", Tone::Plain)
    } else if d.mode == DiscoveryMode::ProtectedResource {
        ("no (login refused)", Tone::Bad)
    } else {
        ("not listed (legacy server)", Tone::Plain)
    };
    row("PKCE S256", "PKCE S256", s256, tone);
    row(
        "iss in response",
        "iss param",
        yes_no(m.authorization_response_iss_parameter_supported == Some(true)),
        Tone::Plain,
    );
    rows
}

/// `2 of 3 URLs answered`-style count of the URLs tried.
pub fn answered(d: &Discovery) -> (usize, usize) {
    (
        d.attempts.iter().filter(|a| a.outcome.is_success()).count(),
        d.attempts.len(),
    )
}
