//! `weft.toml`: which components run and what each may touch. Modelled on
//! `spin.toml`: `[component.NAME]` with `source`, `key_value_stores`,
//! `allowed_outbound_hosts` and `variables`; capabilities absent from the
//! manifest are denied.
//!
//! ```toml
//! weft_manifest_version = 1
//!
//! [variables]
//! protected_paths = { default = "/etc,/proc,/sys" }
//!
//! [component.vfs]
//! source = "builtin:vfs"
//! key_value_stores = ["default"]
//! [component.vfs.variables]
//! protected_paths = "{{ protected_paths }}"
//!
//! [key_value_store.default]
//! type = "redb"
//! path = "sessions.redb"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::SandboxError;

/// The manifest used when none is given: the built-in VFS with an in-memory store.
const BUILTIN_MANIFEST: &str = include_str!("../weft.toml");

/// A parsed manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; only 1 exists.
    #[serde(default = "one")]
    pub weft_manifest_version: u32,
    /// Application metadata.
    #[serde(default)]
    pub application: Application,
    /// Application variables, overridable from the environment.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableSpec>,
    /// The components, by name (the name is the HTTP route `/{name}/...`).
    #[serde(default)]
    pub component: BTreeMap<String, ComponentSpec>,
    /// Key-value stores by label; `default` is in-memory unless given here.
    #[serde(default)]
    pub key_value_store: BTreeMap<String, KvStoreSpec>,
    /// Where relative `source` and store paths are resolved.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Values set in code with [`Manifest::set_variable`]; they win over
    /// the environment and the defaults.
    #[serde(skip)]
    overrides: BTreeMap<String, String>,
}

/// `[application]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Name shown in logs and health.
    #[serde(default)]
    pub name: Option<String>,
    /// Version string.
    #[serde(default)]
    pub version: Option<String>,
}

/// An application variable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// Value when the environment gives none.
    #[serde(default)]
    pub default: Option<String>,
    /// A variable without a default must be set in the environment.
    #[serde(default)]
    pub required: bool,
    /// A secret is never logged, never shown in errors or metrics.
    #[serde(default)]
    pub secret: bool,
}

/// `[component.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// `builtin:NAME` or a path to a `.wasm` component.
    pub source: String,
    /// Labels of key-value stores the component may use (its session store is
    /// the first). Empty: no storage at all.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Hosts the component may reach, `scheme://host[:port]` with `*`
    /// wildcards as in Spin (`https://api.github.com`, `http://127.0.0.1:*`,
    /// `https://*.example.com`); entries may reference application variables
    /// as `{{ name }}` (a path after the host is ignored). Empty: no network.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Timeouts and size cap of the component's outbound requests.
    #[serde(default)]
    pub http: HttpLimits,
    /// Variables the component sees: values may reference application
    /// variables as `{{ name }}`.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Wall-clock budget of one call, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Memory cap of one instance, in MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_limit_mib: u64,
    /// A disabled component is parsed but not loaded.
    #[serde(default)]
    pub disabled: bool,
    /// The name of an application variable: the component is loaded only
    /// when that variable resolves to a non-empty value (e.g. a token).
    #[serde(default)]
    pub enabled_if: Option<String>,
}

/// `[component.NAME.http]`: limits of one outbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Budget to open the connection (TCP and TLS), in milliseconds.
    pub connect_timeout_ms: u64,
    /// Budget from sending the request to the response headers, in milliseconds.
    pub first_byte_timeout_ms: u64,
    /// Longest pause allowed while the body streams in, in milliseconds.
    pub between_bytes_timeout_ms: u64,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            first_byte_timeout_ms: 10_000,
            between_bytes_timeout_ms: 10_000,
            max_response_bytes: 8 << 20,
        }
    }
}

impl ComponentSpec {
    /// The component's per-call limits.
    pub fn limits(&self) -> Limits {
        Limits { timeout_ms: self.timeout_ms, memory_limit_mib: self.memory_limit_mib }
    }
}

/// Per-call limits of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of one call, in milliseconds; a guest still running
    /// then ends as `Timeout`.
    pub timeout_ms: u64,
    /// Memory cap of one instance, in MiB; growing past it is `ResourceExhausted`.
    pub memory_limit_mib: u64,
}

/// `[key_value_store.LABEL]`: which backend holds the sessions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum KvStoreSpec {
    /// In process memory; gone at exit.
    Memory,
    /// A redb file; survives restarts.
    Redb {
        /// The file, relative to the manifest.
        path: PathBuf,
    },
    /// A Redis server, shared by every replica pointed at it.
    Redis {
        /// `redis://[:password@]host:port[/db]`; `WEFT_KV_<LABEL>_URL`
        /// overrides it, so a password can stay out of the file.
        url: String,
        /// Seconds after its last write that a session expires; none by default.
        #[serde(default)]
        ttl_secs: Option<u64>,
    },
}

fn one() -> u32 {
    1
}
fn default_timeout_ms() -> u64 {
    1_000
}
fn default_memory_mib() -> u64 {
    64
}

impl Manifest {
    /// The built-in manifest: the VFS component with an in-memory store.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_MANIFEST, Path::new("<builtin weft.toml>"), PathBuf::from("."))
            .expect("the built-in manifest is valid")
    }

    /// Reads a manifest file.
    pub fn load(path: &Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SandboxError::ReadManifest { path: path.to_owned(), source })?;
        let base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
        Self::parse(&text, path, base_dir)
    }

    /// Parses manifest text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path, base_dir: PathBuf) -> Result<Self, SandboxError> {
        let invalid = |message: String| SandboxError::InvalidManifest { path: origin.to_owned(), message };
        let mut manifest: Manifest = toml::from_str(text).map_err(|err| invalid(err.to_string()))?;
        if manifest.weft_manifest_version != 1 {
            return Err(invalid(format!(
                "weft_manifest_version {} is not supported (expected 1)",
                manifest.weft_manifest_version
            )));
        }
        manifest.base_dir = base_dir;
        manifest.check().map_err(invalid)?;
        Ok(manifest)
    }

    /// The store spec of `label`: what the manifest says, or memory.
    pub fn store_spec(&self, label: &str) -> KvStoreSpec {
        self.key_value_store.get(label).cloned().unwrap_or(KvStoreSpec::Memory)
    }

    /// Sets an application variable's value, over the environment and its
    /// default (tests and embedders use it instead of `WEFT_VAR_*`).
    pub fn set_variable(&mut self, name: &str, value: impl Into<String>) -> Result<(), SandboxError> {
        if !self.variables.contains_key(name) {
            return Err(SandboxError::InvalidManifest {
                path: PathBuf::from("<set_variable>"),
                message: format!("variable '{name}' is not declared in [variables]"),
            });
        }
        self.overrides.insert(name.to_owned(), value.into());
        Ok(())
    }

    /// Whether `component` is to be loaded: not `disabled`, and its
    /// `enabled_if` variable (if any) resolves to a non-empty value.
    pub fn is_enabled(&self, component: &str, env: &dyn Fn(&str) -> Option<String>) -> bool {
        let Some(spec) = self.component.get(component) else {
            return false;
        };
        !spec.disabled
            && spec
                .enabled_if
                .as_deref()
                .is_none_or(|name| self.variable(name, env).is_ok_and(|value| !value.trim().is_empty()))
    }

    /// A component's `allowed_outbound_hosts` with `{{ name }}` expanded;
    /// entries that expand to nothing are dropped.
    pub fn resolve_allowed_hosts(
        &self,
        component: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>, String> {
        let Some(spec) = self.component.get(component) else {
            return Ok(Vec::new());
        };
        let mut hosts = Vec::new();
        for template in &spec.allowed_outbound_hosts {
            let host = expand(template, |var| self.variable(var, env))?;
            if !host.trim().is_empty() {
                hosts.push(host.trim().to_owned());
            }
        }
        Ok(hosts)
    }

    /// Resolves a component's variables against the application variables and
    /// the environment (`WEFT_VAR_<NAME>`, then `SPIN_VARIABLE_<NAME>`).
    pub fn resolve_variables(
        &self,
        component: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let Some(spec) = self.component.get(component) else {
            return Ok(BTreeMap::new());
        };
        let mut resolved = BTreeMap::new();
        for (name, template) in &spec.variables {
            resolved.insert(name.clone(), expand(template, |var| self.variable(var, env))?);
        }
        Ok(resolved)
    }

    /// Names of the application variables marked secret, with their values
    /// as resolved (so that logs can redact them).
    pub fn secret_values(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        self.variables
            .iter()
            .filter(|(_, spec)| spec.secret)
            .filter_map(|(name, _)| self.variable(name, env).ok())
            .filter(|value| !value.is_empty())
            .collect()
    }

    fn variable(&self, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        if let Some(value) = self.overrides.get(name) {
            return Ok(value.clone());
        }
        let upper = name.to_ascii_uppercase();
        if let Some(value) =
            env(&format!("WEFT_VAR_{upper}")).or_else(|| env(&format!("SPIN_VARIABLE_{upper}")))
        {
            return Ok(value);
        }
        match self.variables.get(name) {
            Some(VariableSpec { default: Some(value), .. }) => Ok(value.clone()),
            Some(VariableSpec { required: true, .. }) => {
                Err(format!("variable '{name}' is required: set WEFT_VAR_{upper} or SPIN_VARIABLE_{upper}"))
            }
            Some(_) => Ok(String::new()),
            None => Err(format!("variable '{name}' is not declared in [variables]")),
        }
    }

    fn check(&self) -> Result<(), String> {
        for (name, spec) in &self.component {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("component name '{name}' must be letters, digits, '-' or '_'"));
            }
            if matches!(name.as_str(), "session" | "health" | "components" | "metrics" | "mcp") {
                return Err(format!("component name '{name}' is reserved for a route of weft serve"));
            }
            if spec.timeout_ms == 0 || spec.memory_limit_mib == 0 {
                return Err(format!("component '{name}': timeout_ms and memory_limit_mib must be positive"));
            }
            if let Some(var) = &spec.enabled_if
                && !self.variables.contains_key(var)
            {
                return Err(format!("component '{name}': enabled_if names undeclared variable '{var}'"));
            }
            for template in spec.variables.values().chain(&spec.allowed_outbound_hosts) {
                // Check references now; values are resolved at load.
                expand(template, |var| match self.variables.contains_key(var) {
                    true => Ok(String::new()),
                    false => Err(format!("variable '{var}' is not declared in [variables]")),
                })?;
            }
        }
        Ok(())
    }
}

/// Expands every `{{ name }}` in `template` with `lookup(name)`.
fn expand(template: &str, mut lookup: impl FnMut(&str) -> Result<String, String>) -> Result<String, String> {
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

    fn parse(text: &str) -> Result<Manifest, SandboxError> {
        Manifest::parse(text, Path::new("test.toml"), PathBuf::from("."))
    }

    #[test]
    fn builtin_manifest_grants_vfs_a_store_and_nothing_else() {
        let manifest = Manifest::builtin();
        let vfs = &manifest.component["vfs"];
        assert_eq!(vfs.source, "builtin:vfs");
        assert_eq!(vfs.key_value_stores, ["default"]);
        assert!(vfs.allowed_outbound_hosts.is_empty());
        assert_eq!(manifest.store_spec("default"), KvStoreSpec::Memory);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_location() {
        let err = parse("[component.vfs]\nsource = \"builtin:vfs\"\nkey_value_store = [\"default\"]\n")
            .expect_err("typo must fail");
        let text = err.to_string();
        assert!(text.contains("key_value_store"), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }

    #[test]
    fn variables_come_from_env_then_defaults() {
        let manifest = parse(
            r#"
            [variables]
            token = { default = "", secret = true }
            paths = { default = "/etc" }
            [component.gh]
            source = "x.wasm"
            [component.gh.variables]
            token = "{{ token }}"
            both = "{{paths}}:{{ token }}"
            "#,
        )
        .expect("valid");
        let env = |name: &str| (name == "SPIN_VARIABLE_TOKEN").then(|| "ghp_secret".to_owned());
        let resolved = manifest.resolve_variables("gh", &env).expect("resolves");
        assert_eq!(resolved["token"], "ghp_secret");
        assert_eq!(resolved["both"], "/etc:ghp_secret");
        assert_eq!(manifest.secret_values(&env), ["ghp_secret"]);
    }

    #[test]
    fn undeclared_variables_are_refused() {
        let err = parse("[component.a]\nsource = \"a.wasm\"\nvariables = { x = \"{{ nope }}\" }\n")
            .expect_err("undeclared");
        assert!(err.to_string().contains("'nope' is not declared"), "{err}");
    }

    #[test]
    fn redb_store_is_selected_by_type() {
        let manifest =
            parse("[key_value_store.default]\ntype = \"redb\"\npath = \"s.redb\"\n").expect("valid");
        assert_eq!(manifest.store_spec("default"), KvStoreSpec::Redb { path: "s.redb".into() });
    }
}
