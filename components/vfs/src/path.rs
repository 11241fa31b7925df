//! Path normalisation against the session root, and the protected directories.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::Failure;
use crate::weft::tool::config;
use crate::weft::tool::types::ErrorType;

/// Directories a model may not touch, whether written `/etc/x` or `etc/x`.
/// The manifest can replace the list with the `protected_paths` variable.
const DEFAULT_PROTECTED: &[&str] =
    &["etc", "proc", "sys", "dev", "root", "boot", "usr", "bin", "sbin", "lib", "var"];

/// A path inside the session: components joined by `/`, no leading slash,
/// no `.` or `..`. The empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionPath(String);

impl SessionPath {
    /// Normalises `given`; refuses escapes and protected directories.
    pub(crate) fn resolve(given: &str) -> Result<Self, Failure> {
        let denied = || Failure::new(ErrorType::PermissionDenied, format!("Access denied: {given}"));
        if given.contains('\0') {
            return Err(denied());
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in given.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(denied());
                    }
                }
                // `~` means a home directory on a real machine: outside the session.
                "~" if parts.is_empty() => return Err(denied()),
                name => parts.push(name),
            }
        }
        let joined = parts.join("/");
        if is_protected(&joined) {
            return Err(denied());
        }
        Ok(Self(joined))
    }

    /// Like [`resolve`](Self::resolve), but the path must name a file.
    pub(crate) fn file(given: &str, argument: &str) -> Result<Self, Failure> {
        let path = Self::resolve(given)?;
        if path.is_root() {
            return Err(crate::args::invalid(format!(
                "Argument '{argument}' must name a file, got '{given}'"
            )));
        }
        Ok(path)
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `file` lies in this directory (the root contains everything).
    pub(crate) fn contains(&self, file: &str) -> bool {
        self.is_root() || lies_under(file, &self.0)
    }
}

/// Whether `path` is `dir` itself or lies below it (both normalised).
fn lies_under(path: &str, dir: &str) -> bool {
    path == dir || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Whether the normalised `path` is, or lies under, a protected directory.
fn is_protected(path: &str) -> bool {
    let under = |dir: &str| lies_under(path, dir);
    match config::get("protected_paths") {
        Some(list) => list
            .split(',')
            .map(|entry| entry.trim().trim_matches('/'))
            .filter(|entry| !entry.is_empty())
            .any(under),
        None => DEFAULT_PROTECTED.iter().any(|dir| under(dir)),
    }
}
