//! Which clients there are, where each keeps its servers, and in which format.

use std::path::PathBuf;

/// The clients `import` and `connect` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    /// Claude Code: `~/.claude.json` (user and per-project servers) and a project's `.mcp.json`.
    ClaudeCode,
    /// Claude Desktop: `claude_desktop_config.json` (remote servers only as `npx mcp-remote URL`).
    ClaudeDesktop,
    /// Cursor: `~/.cursor/mcp.json`.
    Cursor,
    /// VS Code: the user `mcp.json` (root key `servers`, JSON with comments).
    VsCode,
    /// Codex: `~/.codex/config.toml`, `[mcp_servers.NAME]`.
    Codex,
    /// Gemini CLI: `~/.gemini/settings.json` (`url` or `httpUrl`).
    Gemini,
    /// Windsurf: `~/.codeium/windsurf/mcp_config.json` (`serverUrl`).
    Windsurf,
    /// Zed: `settings.json`, `context_servers` (JSON with comments).
    Zed,
}

/// Which operating system's locations to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and the BSDs (XDG locations).
    Linux,
    /// macOS (`~/Library/Application Support`).
    MacOs,
}

impl Platform {
    /// The platform this program runs on.
    pub fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// Where the files are looked for: the home directory, the XDG config directory, the project directory.
#[derive(Debug, Clone)]
pub struct Places {
    /// `$HOME`.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub config: PathBuf,
    /// The current directory (Claude Code's project `.mcp.json`).
    pub project: Option<PathBuf>,
    /// Which operating system's locations.
    pub platform: Platform,
}

impl Places {
    /// This process's places (`None` without a home directory).
    pub fn from_env() -> Option<Places> {
        let home = PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?);
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        Some(Places {
            home,
            config,
            project: std::env::current_dir().ok(),
            platform: Platform::current(),
        })
    }
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON; written back as JSON (comments in it would be kept too).
    Json,
    /// JSON with comments and trailing commas.
    Jsonc,
    /// TOML.
    Toml,
}

impl Client {
    /// Every client, in the order they are shown.
    pub const ALL: [Client; 8] = [
        Client::ClaudeCode,
        Client::ClaudeDesktop,
        Client::Cursor,
        Client::VsCode,
        Client::Codex,
        Client::Gemini,
        Client::Windsurf,
        Client::Zed,
    ];

    /// The name on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Client::ClaudeCode => "claude-code",
            Client::ClaudeDesktop => "claude-desktop",
            Client::Cursor => "cursor",
            Client::VsCode => "vscode",
            Client::Codex => "codex",
            Client::Gemini => "gemini",
            Client::Windsurf => "windsurf",
            Client::Zed => "zed",
        }
    }

    /// The client named `id` on the command line.
    pub fn from_id(id: &str) -> Option<Client> {
        Client::ALL.into_iter().find(|c| c.id().eq_ignore_ascii_case(id))
    }

    /// The file's format.
    pub fn format(self) -> Format {
        match self {
            Client::VsCode | Client::Zed => Format::Jsonc,
            Client::Codex => Format::Toml,
            _ => Format::Json,
        }
    }

    /// The key of the object that holds the servers.
    pub fn servers_key(self) -> &'static str {
        match self {
            Client::VsCode => "servers",
            Client::Zed => "context_servers",
            Client::Codex => "mcp_servers",
            _ => "mcpServers",
        }
    }

    /// The file `connect` writes (the user-wide one).
    pub fn config_file(self, places: &Places) -> PathBuf {
        let home = &places.home;
        let support = home.join("Library/Application Support");
        match (self, places.platform) {
            (Client::ClaudeCode, _) => home.join(".claude.json"),
            (Client::ClaudeDesktop, Platform::Linux) => places.config.join("Claude/claude_desktop_config.json"),
            (Client::ClaudeDesktop, Platform::MacOs) => support.join("Claude/claude_desktop_config.json"),
            (Client::Cursor, _) => home.join(".cursor/mcp.json"),
            (Client::VsCode, Platform::Linux) => places.config.join("Code/User/mcp.json"),
            (Client::VsCode, Platform::MacOs) => support.join("Code/User/mcp.json"),
            (Client::Codex, _) => home.join(".codex/config.toml"),
            (Client::Gemini, _) => home.join(".gemini/settings.json"),
            (Client::Windsurf, _) => home.join(".codeium/windsurf/mcp_config.json"),
            (Client::Zed, Platform::Linux) => places.config.join("zed/settings.json"),
            (Client::Zed, Platform::MacOs) => home.join(".config/zed/settings.json"),
        }
    }

    /// Every file `import` reads for this client: the user-wide one, and for Claude Code the project's
    /// `.mcp.json`.
    pub fn files(self, places: &Places) -> Vec<PathBuf> {
        let mut files = vec![self.config_file(places)];
        if self == Client::ClaudeCode
            && let Some(project) = &places.project
        {
            files.push(project.join(".mcp.json"));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn macos_and_linux_locations() {
        let places = |platform| Places {
            home: PathBuf::from("/h"),
            config: PathBuf::from("/h/.config"),
            project: None,
            platform,
        };
        let mac = places(Platform::MacOs);
        assert_eq!(
            Client::ClaudeDesktop.config_file(&mac),
            Path::new("/h/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            Client::VsCode.config_file(&mac),
            Path::new("/h/Library/Application Support/Code/User/mcp.json")
        );
        let linux = places(Platform::Linux);
        assert_eq!(
            Client::ClaudeDesktop.config_file(&linux),
            Path::new("/h/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            Client::Zed.config_file(&linux),
            Path::new("/h/.config/zed/settings.json")
        );
    }
}
