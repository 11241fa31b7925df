//! Application variables, as Spin has them: `[variables]` declares each
//! with a `default`, or `required = true`, and `secret = true` for values
//! that must never be shown; the environment overrides them
//! (`WEFT_VAR_<NAME>`, then `SPIN_VARIABLE_<NAME>`); components see only
//! the variables their manifest entry maps, as `{{ name }}` templates.
//! Secret values are replaced by [`REDACTED`] in everything a component
//! answers ([`Redactor`]).
//!
//! ```
//! use std::collections::BTreeMap;
//! use weft_variables::{VariableSpec, Variables};
//! let mut declared = BTreeMap::new();
//! declared.insert("token".to_owned(), VariableSpec { secret: true, required: true, ..Default::default() });
//! declared.insert("greeting".to_owned(), VariableSpec { default: Some("hello".into()), ..Default::default() });
//! let env = |name: &str| (name == "SPIN_VARIABLE_TOKEN").then(|| "ghp_123456".to_owned());
//! let overrides = BTreeMap::new();
//! let variables = Variables::new(&declared, &overrides, &env);
//! assert_eq!(variables.expand("{{ greeting }}, {{token}}").unwrap(), "hello, ghp_123456");
//! assert_eq!(variables.redactor().redact("ghp_123456"), "[REDACTED]");
//! ```
#![deny(missing_docs)]

use std::collections::BTreeMap;

use serde::Deserialize;

mod redact;

pub use redact::{REDACTED, Redactor};

/// An application variable (`[variables] NAME = { ... }`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// Value when the environment gives none.
    #[serde(default)]
    pub default: Option<String>,
    /// A variable without a default must be set in the environment.
    #[serde(default)]
    pub required: bool,
    /// A secret is never logged, never shown in errors, outcomes or metrics.
    #[serde(default)]
    pub secret: bool,
    /// What it is for (Spin's manifests carry one).
    #[serde(default)]
    pub description: Option<String>,
}

/// The declared variables with the values they resolve to.
pub struct Variables<'a> {
    declared: &'a BTreeMap<String, VariableSpec>,
    overrides: &'a BTreeMap<String, String>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Variables<'a> {
    /// `declared` variables; `overrides` (set in code) win over `env`,
    /// which wins over the defaults.
    pub fn new(
        declared: &'a BTreeMap<String, VariableSpec>,
        overrides: &'a BTreeMap<String, String>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Self { declared, overrides, env }
    }

    /// The value of `name`: an override, `WEFT_VAR_<NAME>`,
    /// `SPIN_VARIABLE_<NAME>`, then the default. A required variable with
    /// none of these, or an undeclared one, is an error naming what to set.
    pub fn get(&self, name: &str) -> Result<String, String> {
        if let Some(value) = self.overrides.get(name) {
            return Ok(value.clone());
        }
        let upper = name.to_ascii_uppercase();
        if let Some(value) =
            (self.env)(&format!("WEFT_VAR_{upper}")).or_else(|| (self.env)(&format!("SPIN_VARIABLE_{upper}")))
        {
            return Ok(value);
        }
        match self.declared.get(name) {
            Some(VariableSpec { default: Some(value), .. }) => Ok(value.clone()),
            Some(VariableSpec { required: true, .. }) => {
                Err(format!("variable '{name}' is required: set WEFT_VAR_{upper} or SPIN_VARIABLE_{upper}"))
            }
            Some(_) => Ok(String::new()),
            None => Err(format!("variable '{name}' is not declared in [variables]")),
        }
    }

    /// `template` with every `{{ name }}` replaced by its value.
    pub fn expand(&self, template: &str) -> Result<String, String> {
        expand(template, |name| self.get(name))
    }

    /// Resolves a component's variable map (`name = "template"`).
    pub fn resolve_all(
        &self,
        templates: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, String> {
        templates.iter().map(|(name, template)| Ok((name.clone(), self.expand(template)?))).collect()
    }

    /// The non-empty values of the variables marked secret.
    pub fn secret_values(&self) -> Vec<String> {
        self.declared
            .iter()
            .filter(|(_, spec)| spec.secret)
            .filter_map(|(name, _)| self.get(name).ok())
            .filter(|value| !value.is_empty())
            .collect()
    }

    /// A redactor for [`secret_values`](Self::secret_values).
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.secret_values())
    }

    /// Checks that every `{{ name }}` in `template` names a declared variable
    /// (values are resolved later, at load).
    pub fn check_references(declared: &BTreeMap<String, VariableSpec>, template: &str) -> Result<(), String> {
        expand(template, |name| match declared.contains_key(name) {
            true => Ok(String::new()),
            false => Err(format!("variable '{name}' is not declared in [variables]")),
        })
        .map(drop)
    }
}

/// Expands every `{{ name }}` in `template` with `lookup(name)`.
pub fn expand(
    template: &str,
    mut lookup: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| format!("unclosed '{{{{' in \"{template}\""))?;
        out.push_str(&lookup(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> BTreeMap<String, VariableSpec> {
        let mut declared = BTreeMap::new();
        declared.insert(
            "token".to_owned(),
            VariableSpec { secret: true, default: Some(String::new()), ..Default::default() },
        );
        declared
            .insert("paths".to_owned(), VariableSpec { default: Some("/etc".into()), ..Default::default() });
        declared.insert("needed".to_owned(), VariableSpec { required: true, ..Default::default() });
        declared
    }

    #[test]
    fn weft_then_spin_environment_then_default() {
        let declared = declared();
        let none = BTreeMap::new();
        let env = |name: &str| match name {
            "SPIN_VARIABLE_TOKEN" => Some("spin-token".to_owned()),
            "WEFT_VAR_PATHS" => Some("/srv".to_owned()),
            "SPIN_VARIABLE_PATHS" => Some("/ignored".to_owned()),
            _ => None,
        };
        let variables = Variables::new(&declared, &none, &env);
        assert_eq!(variables.get("token").unwrap(), "spin-token");
        assert_eq!(variables.get("paths").unwrap(), "/srv");
        assert_eq!(variables.secret_values(), ["spin-token"]);
        let mut overrides = BTreeMap::new();
        overrides.insert("paths".to_owned(), "/set-in-code".to_owned());
        assert_eq!(Variables::new(&declared, &overrides, &env).get("paths").unwrap(), "/set-in-code");
    }

    #[test]
    fn required_and_undeclared_variables_say_what_to_set() {
        let declared = declared();
        let none = BTreeMap::new();
        let variables = Variables::new(&declared, &none, &|_| None);
        let err = variables.get("needed").unwrap_err();
        assert!(err.contains("WEFT_VAR_NEEDED") && err.contains("SPIN_VARIABLE_NEEDED"), "{err}");
        assert!(variables.expand("x {{ nope }}").unwrap_err().contains("'nope' is not declared"));
        assert!(variables.expand("{{ paths").unwrap_err().contains("unclosed"));
        assert!(Variables::check_references(&declared, "{{ paths }}:{{token}}").is_ok());
    }
}
