//! The files of the database and what may be at their path (SECURITY.md: other local users). The database,
//! its `-wal` and `-shm` are ours alone: regular files owned by the effective user, never symbolic links,
//! mode 0600, in a directory no one else may write to (or a sticky one, where no one else can replace our
//! files). Anything else is refused with a line that names the file, before SQLite touches it.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::{StoreError, UnsafeReason};

/// Refuse a database path another user could control; `Ok(true)` when the database file exists.
pub fn check_safe(path: &Path) -> Result<bool, StoreError> {
    let euid = rustix::process::geteuid().as_raw();
    let refuse = |path: &Path, reason| {
        Err(StoreError::Unsafe {
            path: path.to_owned(),
            reason,
        })
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        match fs::metadata(dir) {
            Ok(meta) => {
                let mode = meta.mode();
                // Others may create, rename and delete files here: they could swap the database (or put a
                // -wal beside it) at any moment. A sticky directory (/tmp) only lets them add files, which
                // the ownership checks below refuse.
                if mode & 0o002 != 0 && mode & 0o1000 == 0 {
                    return refuse(dir, UnsafeReason::DirectoryWritableByOthers { mode: mode & 0o7777 });
                }
                // Its owner may do the same, whatever the mode says (root owns the system's directories).
                if meta.uid() != euid && meta.uid() != 0 {
                    return refuse(dir, UnsafeReason::DirectoryOfOther { uid: meta.uid() });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::io(dir, "cannot read the database directory", source)),
        }
    }
    let mut exists = false;
    for (i, file) in sqlite_files(path).iter().enumerate() {
        let meta = match fs::symlink_metadata(file) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StoreError::io(file, "cannot read the database", source)),
        };
        if meta.file_type().is_symlink() {
            return refuse(file, UnsafeReason::SymbolicLink);
        }
        if !meta.file_type().is_file() {
            return refuse(file, UnsafeReason::NotAFile);
        }
        if meta.uid() != euid {
            return refuse(file, UnsafeReason::OwnedByOther { uid: meta.uid() });
        }
        exists |= i == 0;
    }
    Ok(exists)
}

/// Whether the `-wal` beside the database holds anything (what an immutable read would miss).
pub fn has_wal_content(path: &Path) -> bool {
    fs::symlink_metadata(side_file(path, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// Refuse files that are not SQLite before SQLite touches them: opening a random file read-write and setting
/// WAL could otherwise write to it.
pub fn check_header(path: &Path) -> Result<(), StoreError> {
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|source| StoreError::io(path, "cannot read the database", source))?;
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(source) => return Err(StoreError::io(path, "cannot read the database", source)),
        }
    }
    // An empty file is what SQLite itself creates before the first write; treat it as a new database.
    if read == 0 || (read == header.len() && &header == MAGIC) {
        Ok(())
    } else {
        Err(StoreError::NotADatabase { path: path.to_owned() })
    }
}

/// Create the directory (0700) and the file (0600) before SQLite opens it, so the tokens inside are never
/// readable by others, not even for a moment; tighten an existing file that is looser, and refuse one that
/// cannot be made private.
pub fn prepare(path: &Path, exists: bool, warnings: &mut Vec<String>) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::io(dir, "cannot create the database directory", source))?;
    }
    if !exists {
        // O_EXCL: never through a link, never someone else's file that appeared meanwhile.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| StoreError::io(path, "cannot create the database", source))?;
        return Ok(());
    }
    tighten_existing(path, warnings)
}

/// [`tighten`] the database and its `-wal` and `-shm` to 0600, those that exist.
pub fn tighten_existing(path: &Path, warnings: &mut Vec<String>) -> Result<(), StoreError> {
    for file in sqlite_files(path).into_iter().filter(|f| f.exists()) {
        tighten(&file, 0o600, warnings)?;
    }
    Ok(())
}

/// The database file and the WAL and shared-memory files beside it.
fn sqlite_files(path: &Path) -> [PathBuf; 3] {
    [path.to_owned(), side_file(path, "-wal"), side_file(path, "-shm")]
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Remove permission bits beyond `mode` (saying so as a warning); refuse a file whose bits cannot be
/// removed.
pub fn tighten(path: &Path, mode: u32, warnings: &mut Vec<String>) -> Result<(), StoreError> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let current = meta.permissions().mode() & 0o777;
    if current & !mode == 0 {
        return Ok(());
    }
    match fs::set_permissions(path, fs::Permissions::from_mode(current & mode)) {
        Ok(()) => {
            warnings.push(format!(
                "{} had mode {current:04o}, readable by others; changed it to {:04o}",
                path.display(),
                current & mode
            ));
            Ok(())
        }
        Err(_) => Err(StoreError::Unsafe {
            path: path.to_owned(),
            reason: UnsafeReason::CannotTighten { mode: current },
        }),
    }
}

/// Why the file system refuses writes, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskTrouble {
    /// No space left (for us).
    Full,
    /// Mounted read-only.
    ReadOnly,
}

/// Whether the file system holding `path` is read-only or full: what makes SQLite's "disk I/O error"
/// something a user can act on.
pub fn disk_trouble(path: &Path) -> Option<DiskTrouble> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stats = rustix::fs::statvfs(dir).ok()?;
    if stats.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
        return Some(DiskTrouble::ReadOnly);
    }
    // Root may use the blocks reserved for it; others only the available ones.
    let free = if rustix::process::geteuid().is_root() {
        stats.f_bfree
    } else {
        stats.f_bavail
    };
    (free == 0).then_some(DiskTrouble::Full)
}
