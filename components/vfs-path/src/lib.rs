//! How the VFS component reads a path a model wrote.
//!
//! A session is its own root: `/notes/a.txt`, `notes/a.txt`,
//! `./notes//a.txt` and `notes\a.txt` are one file, `notes/a.txt`. `..`
//! may climb back towards the root but never above it, `~` (a home
//! directory on a real machine) is outside the session, and a path inside a
//! protected directory (`etc`, `proc`, ... or the manifest's list) is
//! refused whether it was written `/etc/x` or `etc/x` — unless the
//! session's scenario brought that directory: a project with its own `lib/`
//! or `etc/` keeps it (see [`protected_dir`]).
//!
//! This crate is the pure part, so that the fuzz targets in `fuzz/` can
//! hold it to those rules on the host.
#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

/// Directories a model may not touch, whether written `/etc/x` or `etc/x`.
/// The manifest can replace the list with the `protected_paths` variable.
pub const DEFAULT_PROTECTED: &[&str] =
    &["etc", "proc", "sys", "dev", "root", "boot", "usr", "bin", "sbin", "lib", "var"];

/// Why a path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A NUL byte: no file system names one.
    Nul,
    /// `..` above the session root.
    Escape,
    /// `~` at the start: a home directory, outside the session.
    Home,
}

/// `given` as components joined by `/`: no leading or trailing slash, no
/// `.`, `..` or empty components. The empty string is the root.
pub fn normalise(given: &str) -> Result<String, Refused> {
    if given.contains('\0') {
        return Err(Refused::Nul);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in given.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Refused::Escape);
                }
            }
            "~" if parts.is_empty() => return Err(Refused::Home),
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

/// Whether the normalised `path` is `dir` itself or lies below it.
pub fn lies_under(path: &str, dir: &str) -> bool {
    path == dir || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Whether the normalised `path` is, or lies under, a protected directory:
/// those of `list` (comma-separated, the manifest's `protected_paths`) when
/// given, [`DEFAULT_PROTECTED`] otherwise.
pub fn is_protected(path: &str, list: Option<&str>) -> bool {
    protected_dir(path, list).is_some()
}

/// The protected directory the normalised `path` is, or lies under: an
/// entry of `list` when given, of [`DEFAULT_PROTECTED`] otherwise.
///
/// The component refuses such a path unless the session's scenario seeded
/// files in that directory: a directory a scenario brings is the project's
/// own (a repository's `lib/`), one it does not is the machine's (`/etc`).
/// A model's own writes never make a directory the project's.
pub fn protected_dir<'a>(path: &str, list: Option<&'a str>) -> Option<&'a str> {
    let under = |dir: &&str| lies_under(path, dir);
    match list {
        Some(list) => list
            .split(',')
            .map(|entry| entry.trim().trim_matches('/'))
            .filter(|entry| !entry.is_empty())
            .find(under),
        None => DEFAULT_PROTECTED.iter().copied().find(under),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_file_are_one_path() {
        for given in ["/notes/a.txt", "notes/a.txt", "./notes//a.txt", "notes\\a.txt", "x/../notes/./a.txt/"]
        {
            assert_eq!(normalise(given).as_deref(), Ok("notes/a.txt"), "{given}");
        }
        assert_eq!(normalise("/").as_deref(), Ok(""));
    }

    #[test]
    fn escapes_and_homes_are_refused() {
        assert_eq!(normalise("../x"), Err(Refused::Escape));
        assert_eq!(normalise("a/../../x"), Err(Refused::Escape));
        assert_eq!(normalise("~/x"), Err(Refused::Home));
        assert_eq!(normalise("a\0b"), Err(Refused::Nul));
        assert_eq!(normalise("a/~/x").as_deref(), Ok("a/~/x"));
    }

    #[test]
    fn protected_directories_and_only_them() {
        assert!(is_protected("etc/passwd", None));
        assert!(is_protected("etc", None));
        assert!(!is_protected("etcetera/x", None));
        assert!(is_protected("secrets/k", Some(" /secrets/ , ")));
        assert!(!is_protected("etc/passwd", Some("secrets")));
        assert_eq!(protected_dir("lib/core.rs", None), Some("lib"));
        assert_eq!(protected_dir("var/log/x", None), Some("var"));
        assert_eq!(protected_dir("src/lib/x", None), None);
        assert_eq!(protected_dir("a/b/c", Some("x, a/b")), Some("a/b"));
    }
}
