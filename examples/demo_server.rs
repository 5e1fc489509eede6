//! A local authorization server and MCP endpoint to try mcp-accounts against (and to make the README's
//! screenshots): the test server of `tests/support/`, auto-approving every login on 127.0.0.1 (or another loopback address).
//!
//! ```sh
//! cargo run --example demo_server -- --token-ttl 3600     # prints the MCP URL, serves until killed
//! cargo run --example demo_server -- --listen 127.0.0.2   # another loopback address: another host
//! ```

#[allow(dead_code)]
#[path = "../tests/support/auth_server/mod.rs"]
mod auth_server;

use std::io::Write;

fn main() {
    let mut opts = auth_server::Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--device" {
            // Device logins too (RFC 8628): opening the code's page approves it; a code lives 15 min.
            opts.device = true;
            opts.device_code_ttl_secs = 900;
            continue;
        }
        let value = args.next().unwrap_or_default();
        match (arg.as_str(), value.parse::<u64>().ok()) {
            ("--token-ttl", Some(secs)) => opts.token_ttl_secs = secs,
            ("--latency-ms", Some(ms)) => opts.latency = std::time::Duration::from_millis(ms),
            ("--listen", _) if value.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()) => {
                opts.listen = value.parse().unwrap_or(opts.listen);
            }
            _ => {
                eprintln!("usage: demo_server [--token-ttl SECS] [--latency-ms MS] [--listen 127.0.0.N] [--device]");
                std::process::exit(2);
            }
        }
    }
    let server = auth_server::TestServer::start(opts);
    println!("{}", server.mcp_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
