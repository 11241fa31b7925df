//! Paths inside a session: the rules are `weft-vfs-path`'s.

use alloc::format;
use alloc::string::String;

use crate::Failure;
use crate::weft::tool::config;
use crate::weft::tool::session_store;
use crate::weft::tool::types::ErrorType;

/// The key marking a protected directory the session's scenario brought.
fn project_key(dir: &str) -> String {
    format!("p:{dir}")
}

/// Whether the host is seeding the session (it answers the variable
/// `weft.seeding`, a name no manifest can give, only then).
fn seeding() -> bool {
    config::get("weft.seeding").is_some()
}

/// A path inside the session: components joined by `/`, no leading slash,
/// no `.` or `..`. The empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionPath(String);

impl SessionPath {
    /// Normalises `given`; refuses escapes and protected directories the
    /// session's scenario did not bring.
    pub(crate) fn resolve(given: &str) -> Result<Self, Failure> {
        let denied = || Failure::new(ErrorType::PermissionDenied, format!("Access denied: {given}"));
        let path = weft_vfs_path::normalise(given).map_err(|_| denied())?;
        let list = config::get("protected_paths");
        if let Some(dir) = weft_vfs_path::protected_dir(&path, list.as_deref()) {
            let key = project_key(dir);
            if seeding() {
                // The scenario brings this directory: it is the project's.
                session_store::set(&key, b"").map_err(crate::tools::storage)?;
            } else if !session_store::exists(&key).map_err(crate::tools::storage)? {
                return Err(denied());
            }
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
