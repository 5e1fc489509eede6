//! The `mcp-accounts` binary: everything happens in [`mcp_accounts::cli::main`].

fn main() -> std::process::ExitCode {
    mcp_accounts::cli::main()
}
