//! Changing another client's file safely: the change is shown as a unified diff first; the file as it was
//! is kept in a timestamped backup beside it (`FILE.mcp-accounts-backup-20261201T101500`, or a `.absent`
//! marker when there was no file); the new text replaces the old in one rename, with the file's mode kept.
//! [`undo`] puts the newest backup back, byte for byte. A symlinked file is edited where it points to; a
//! file owned by another user is refused.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The part of a backup's name after the file's name.
const BACKUP_MARK: &str = ".mcp-accounts-backup-";
/// The suffix of the marker that says there was no file.
const ABSENT: &str = ".absent";

/// A change to one file.
#[derive(Debug, Clone)]
pub struct Change {
    /// The file, with symlinks resolved.
    pub path: PathBuf,
    /// Its text now (`None`: it does not exist).
    pub before: Option<String>,
    /// Its text after the change.
    pub after: String,
}

impl Change {
    /// Whether the change changes anything.
    pub fn is_noop(&self) -> bool {
        self.before.as_deref() == Some(self.after.as_str())
    }

    /// The change as a unified diff, with `shown` as the file's name.
    pub fn diff(&self, shown: &str) -> String {
        let before = self.before.as_deref().unwrap_or("");
        let from = if self.before.is_some() {
            shown.to_owned()
        } else {
            "/dev/null".to_owned()
        };
        similar::TextDiff::from_lines(before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(&from, shown)
            .to_string()
    }

    /// Back the file up, then write the new text. Returns the backup's path.
    pub fn apply(&self) -> Result<PathBuf, String> {
        let backup = backup_path(&self.path, self.before.is_none())?;
        let mode = match &self.before {
            Some(before) => {
                let mode = std::fs::metadata(&self.path)
                    .map(|m| m.permissions().mode() & 0o7777)
                    .unwrap_or(0o600);
                create_new(&backup, before.as_bytes(), 0o600)?;
                mode
            }
            None => {
                if let Some(dir) = self.path.parent() {
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o700)
                        .create(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                create_new(&backup, b"", 0o600)?;
                0o600
            }
        };
        replace(&self.path, self.after.as_bytes(), mode)?;
        Ok(backup)
    }
}

/// Plan a change of `path`: read it (following a symlink), refuse another user's file.
pub fn plan(path: &Path, edit: impl FnOnce(&str) -> Result<String, String>) -> Result<Change, String> {
    let path = real_path(path)?;
    let before = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let after = edit(before.as_deref().unwrap_or(""))?;
    Ok(Change { path, before, after })
}

/// The file a path names: a symlink's target; refused when it belongs to another user.
fn real_path(path: &Path) -> Result<PathBuf, String> {
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path.to_owned()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let meta = std::fs::metadata(&real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    if meta.uid() != rustix::process::getuid().as_raw() {
        return Err(format!("{} belongs to another user; not changing it", real.display()));
    }
    Ok(real)
}

fn backup_path(path: &Path, absent: bool) -> Result<PathBuf, String> {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]"
        ))
        .map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the file has no name")?;
    let suffix = if absent { ABSENT } else { "" };
    for n in 1.. {
        let tail = if n == 1 { String::new() } else { format!("-{n}") };
        let candidate = path.with_file_name(format!("{name}{BACKUP_MARK}{stamp}{tail}{suffix}"));
        if !candidate.exists() {
            return Ok(candidate);
        }
    }
    unreachable!("some backup name is free")
}

fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Write `bytes` to a new file beside `path` and rename it over `path`: readers see the old or the new
/// text, never half of one.
fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the file has no name")?;
    let temp = path.with_file_name(format!(".{name}.mcp-accounts-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    create_new(&temp, bytes, 0o600)?;
    let renamed = std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(mode))
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}

/// What [`undo`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Undone {
    /// The file was put back as the backup had it.
    Restored {
        /// The backup used (and removed).
        backup: PathBuf,
    },
    /// There was no file before: it was removed.
    Removed,
}

/// Put back the newest backup of `path` (and remove that backup). `Ok(None)`: there is none.
pub fn undo(path: &Path) -> Result<Option<Undone>, String> {
    let path = real_path(path)?;
    let Some(backup) = newest_backup(&path)? else {
        return Ok(None);
    };
    let name = backup.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let undone = if name.ends_with(ABSENT) {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
        Undone::Removed
    } else {
        let bytes = std::fs::read(&backup).map_err(|e| format!("cannot read {}: {e}", backup.display()))?;
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600);
        replace(&path, &bytes, mode)?;
        Undone::Restored { backup: backup.clone() }
    };
    std::fs::remove_file(&backup).map_err(|e| format!("cannot remove {}: {e}", backup.display()))?;
    Ok(Some(undone))
}

fn newest_backup(path: &Path) -> Result<Option<PathBuf>, String> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(None);
    };
    let prefix = format!("{name}{BACKUP_MARK}");
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    // The stamp sorts in time order; a `-N` for a second backup in the same second sorts after.
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix))
        .max_by(|a, b| backup_order(a).cmp(&backup_order(b)))
        .map(|n| dir.join(n)))
}

/// A backup name's stamp and sequence number, for ordering.
fn backup_order(name: &str) -> (String, u32) {
    let rest = name.rsplit(BACKUP_MARK).next().unwrap_or_default();
    let rest = rest.strip_suffix(ABSENT).unwrap_or(rest);
    match rest.split_once('-') {
        Some((stamp, n)) => (stamp.to_owned(), n.parse().unwrap_or(1)),
        None => (rest.to_owned(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_then_undo_gives_back_the_same_bytes_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp.json");
        let original = "{\r\n  \"a\": 1 // crlf and a comment\r\n}";
        std::fs::write(&path, original).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        for round in 0..2 {
            let change = plan(&path, |t| Ok(format!("{t}\n// round {round}\n"))).unwrap();
            assert!(change.diff("mcp.json").contains(&format!("+// round {round}")));
            let backup = change.apply().unwrap();
            assert_eq!(
                std::fs::read_to_string(&backup).unwrap(),
                change.before.clone().unwrap()
            );
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        }
        // Two undos: back through both changes.
        assert!(matches!(undo(&path).unwrap(), Some(Undone::Restored { .. })));
        assert!(matches!(undo(&path).unwrap(), Some(Undone::Restored { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), original.as_bytes());
        assert_eq!(undo(&path).unwrap(), None);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no backup or temp file left"
        );
    }

    #[test]
    fn a_file_that_did_not_exist_is_removed_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/dir/config.toml");
        plan(&path, |_| Ok("x = 1\n".to_owned())).unwrap().apply().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x = 1\n");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(undo(&path).unwrap(), Some(Undone::Removed));
        assert!(!path.exists());
    }

    #[test]
    fn backups_sort_by_time_then_sequence() {
        let mut names = [
            "f.mcp-accounts-backup-20261201T101500-2",
            "f.mcp-accounts-backup-20261201T101500-10",
            "f.mcp-accounts-backup-20261201T101500",
            "f.mcp-accounts-backup-20261130T235959.absent",
        ];
        names.sort_by_key(|n| backup_order(n));
        assert_eq!(names[3], "f.mcp-accounts-backup-20261201T101500-10");
        assert_eq!(names[0], "f.mcp-accounts-backup-20261130T235959.absent");
    }
}
