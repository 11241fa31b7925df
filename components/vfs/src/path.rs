//! Paths inside a session: the rules are `weft-vfs-path`'s.

use alloc::format;
use alloc::string::String;

use crate::Failure;
use crate::weft::tool::config;
use crate::weft::tool::types::ErrorType;

/// A path inside the session: components joined by `/`, no leading slash,
/// no `.` or `..`. The empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionPath(String);

impl SessionPath {
    /// Normalises `given`; refuses escapes and protected directories.
    pub(crate) fn resolve(given: &str) -> Result<Self, Failure> {
        let denied = || Failure::new(ErrorType::PermissionDenied, format!("Access denied: {given}"));
        let path = weft_vfs_path::normalise(given).map_err(|_| denied())?;
        if weft_vfs_path::is_protected(&path, config::get("protected_paths").as_deref()) {
            return Err(denied());
        }
        Ok(Self(path))
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
        self.is_root() || weft_vfs_path::lies_under(file, &self.0)
    }
}
