//! What went wrong in a config, and where.

use std::fmt;
use std::path::PathBuf;

use super::yaml::Position;

/// One problem found in a config, pointing at the place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// What is wrong (`unknown key `num_sample``).
    pub message: String,
    /// How to fix it (`did you mean `num_samples`?`).
    pub hint: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(position: Option<Position>, message: impl Into<String>) -> Self {
        Self { position, message: message.into(), hint: None }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Renders as `MESSAGE at FILE:LINE:COL — HINT`.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        DiagnosticIn { diagnostic: self, file }
    }
}

struct DiagnosticIn<'a> {
    diagnostic: &'a Diagnostic,
    file: &'a str,
}

impl fmt::Display for DiagnosticIn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        f.write_str(&d.message)?;
        match d.position {
            Some(at) => write!(f, " at {}:{at}", self.file)?,
            None => write!(f, " in {}", self.file)?,
        }
        if let Some(hint) = &d.hint {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file as the user named it.
    pub file: String,
    /// The problems, in file order.
    pub items: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.items.len();
        write!(f, "{} has {n} error{}:", self.file, if n == 1 { "" } else { "s" })?;
        for item in &self.items {
            write!(f, "\n  {}", item.display_in(&self.file))?;
        }
        Ok(())
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid config.
    #[error("{0}")]
    Invalid(Diagnostics),
}

impl ConfigError {
    /// The problems, when the config was read but is invalid.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            ConfigError::Invalid(d) => Some(d),
            ConfigError::Read { .. } => None,
        }
    }
}

/// A note about something the config does that works but should change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// Where, when known.
    pub position: Option<Position>,
    /// The note, one line.
    pub message: String,
}

impl ConfigWarning {
    pub(crate) fn new(position: Option<Position>, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }

    /// Renders as `MESSAGE (FILE:LINE:COL)`.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        struct W<'a>(&'a ConfigWarning, &'a str);
        impl fmt::Display for W<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0.position {
                    Some(at) => write!(f, "{} ({}:{at})", self.0.message, self.1),
                    None => f.write_str(&self.0.message),
                }
            }
        }
        W(self, file)
    }
}
