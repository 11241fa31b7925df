//! Where a model's keys and endpoints come from, and where it counts usage.

use std::collections::BTreeMap;
use std::fmt;

use crate::UsageCounter;

/// The surroundings a model is built in: environment variables (API keys,
/// `OPENAI_BASE_URL`, `OLLAMA_HOST`) and the [`UsageCounter`] its calls add to.
///
/// [`ModelEnv::from_process`] reads the real environment; [`ModelEnv::from_vars`]
/// uses only the variables given, which keeps tests independent of the
/// machine they run on. Values are never printed by `Debug`.
#[derive(Clone, Default)]
pub struct ModelEnv {
    vars: Option<BTreeMap<String, String>>,
    usage: UsageCounter,
}

impl ModelEnv {
    /// The process environment and a fresh usage counter.
    pub fn from_process() -> Self {
        Self::default()
    }

    /// Exactly these variables (the process environment is not read) and a
    /// fresh usage counter.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { vars: Some(vars), usage: UsageCounter::new() }
    }

    /// The same variables, counting usage into `usage` (shared with whoever
    /// holds another clone of it).
    pub fn with_usage(mut self, usage: UsageCounter) -> Self {
        self.usage = usage;
        self
    }

    /// The usage counter models built in this environment add to.
    pub fn usage(&self) -> &UsageCounter {
        &self.usage
    }

    /// A variable's value; unset and blank are the same.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        }?;
        let value = value.trim().to_owned();
        (!value.is_empty()).then_some(value)
    }
}

impl fmt::Debug for ModelEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source: &dyn fmt::Debug = match &self.vars {
            Some(vars) => &vars.keys().collect::<Vec<_>>(),
            None => &"process",
        };
        f.debug_struct("ModelEnv").field("vars", source).field("usage", &self.usage).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let env = ModelEnv::from_vars([("OPENAI_API_KEY", "sk-very-secret")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("OPENAI_API_KEY"));
        assert!(!shown.contains("sk-very-secret"));
        assert_eq!(env.var("OPENAI_API_KEY").as_deref(), Some("sk-very-secret"));
        assert_eq!(ModelEnv::from_vars([("X", "  ")]).var("X"), None);
    }
}
