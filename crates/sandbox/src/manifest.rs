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
pub use weft_kv::StoreSpec as KvStoreSpec;
pub use weft_outbound::HttpLimits;
pub use weft_variables::VariableSpec;
use weft_variables::Variables;

use crate::SandboxError;

mod routes;
mod spin_toml;

pub(crate) use routes::route;
pub use routes::{HttpRoute, RouteMatch};

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
    /// Caps on what sessions may store (`[session_limits]`).
    #[serde(default)]
    pub session_limits: SessionLimits,
    /// Where relative `source` and store paths are resolved.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// HTTP routes to components, from a `spin.toml`'s `[[trigger.http]]`.
    /// A component without one is served at `/{name}/...`.
    #[serde(skip)]
    pub routes: Vec<HttpRoute>,
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
    /// Environment variables the component's WASI environment holds (a
    /// grant, as Spin's `environment`; empty by default).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Directories mounted read-only into the component (Spin's `files`
    /// with `{ source, destination }`); none by default.
    #[serde(default)]
    pub files: Vec<FileMount>,
    /// How `weft build` builds the component's source (Spin's `[component.NAME.build]`).
    #[serde(default)]
    pub build: Option<BuildSpec>,
    /// A JSON file of the component's tool definitions (MCP `tools/list`
    /// form, or `{"tools": [...]}`), for a Spin HTTP component that does not
    /// describe them on `GET .../components` itself.
    #[serde(default)]
    pub tools: Option<PathBuf>,
}

/// A directory of the host mounted read-only into a component.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMount {
    /// The host directory, relative to the manifest.
    pub source: PathBuf,
    /// Where the guest sees it (`/` when absent).
    #[serde(default = "root")]
    pub destination: String,
}

/// `[component.NAME.build]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSpec {
    /// A shell command, or several run in order.
    pub command: Commands,
    /// Where it runs, relative to the manifest.
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// Files that trigger a rebuild (kept for Spin's `spin watch`; weft does not watch).
    #[serde(default)]
    pub watch: Vec<String>,
}

/// One command or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Commands {
    /// `command = "cargo build ..."`.
    One(String),
    /// `command = ["step 1", "step 2"]`.
    Many(Vec<String>),
}

impl Commands {
    /// The commands in order.
    pub fn all(&self) -> Vec<&str> {
        match self {
            Self::One(command) => vec![command.as_str()],
            Self::Many(commands) => commands.iter().map(String::as_str).collect(),
        }
    }
}

fn root() -> String {
    "/".to_owned()
}

impl ComponentSpec {
    /// The component's per-call limits.
    pub fn limits(&self) -> Limits {
        Limits { timeout_ms: self.timeout_ms, memory_limit_mib: self.memory_limit_mib }
    }
}

/// `[session_limits]`: what the sessions of weft-world components may hold
/// in their stores; a write past a cap is `ResourceExhausted` saying which.
/// A Spin component's labelled store (one namespace for the application)
/// gets the total cap only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionLimits {
    /// MiB (keys plus values) one session may hold.
    pub max_session_mib: u64,
    /// Files (keys) one session may hold.
    pub max_session_files: u64,
    /// MiB all sessions of a store may hold together.
    pub max_total_mib: u64,
    /// Longest session id, in bytes.
    pub max_session_id_bytes: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        let quota = weft_kv::quota::Quota::default();
        Self {
            max_session_mib: quota.session_bytes >> 20,
            max_session_files: quota.session_keys,
            max_total_mib: quota.total_bytes >> 20,
            max_session_id_bytes: quota.session_id_len,
        }
    }
}

impl SessionLimits {
    /// The store caps these limits set.
    pub fn quota(&self) -> weft_kv::quota::Quota {
        weft_kv::quota::Quota {
            session_bytes: self.max_session_mib.saturating_mul(1 << 20),
            session_keys: self.max_session_files,
            total_bytes: self.max_total_mib.saturating_mul(1 << 20),
            session_id_len: self.max_session_id_bytes,
        }
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

    /// Reads a manifest file: a `weft.toml`, or a Spin application manifest
    /// (`spin_manifest_version = 2`), told apart by their version key.
    pub fn load(path: &Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SandboxError::ReadManifest { path: path.to_owned(), source })?;
        let base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
        if spin_toml::is_spin_manifest(&text) {
            return spin_toml::parse(&text, path, base_dir);
        }
        Self::parse(&text, path, base_dir)
    }

    /// Reads a Spin runtime config (`--runtime-config-file`): its
    /// `[key_value_store.LABEL]` tables (`type = "spin"` with an optional
    /// `path`, or `type = "redis"` with `url`) choose the stores' backends.
    /// Relative paths are resolved against the file's directory.
    pub fn apply_runtime_config(&mut self, path: &Path) -> Result<(), SandboxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SandboxError::ReadManifest { path: path.to_owned(), source })?;
        let dir = path.parent().map(Path::to_owned).unwrap_or_default();
        for (label, spec) in spin_toml::runtime_config(&text, path)? {
            self.key_value_store.insert(label, spin_toml::resolve_store_paths(spec, &dir));
        }
        Ok(())
    }

    /// The route the HTTP request for `path` takes: a `[[trigger.http]]`
    /// route (exact routes before wildcards, the longest wildcard prefix
    /// first, the last of two equal routes), else `/{name}/...` of a
    /// component without routes of its own.
    pub fn route<'a>(&'a self, path: &str) -> Option<RouteMatch<'a>> {
        routes::route(&self.routes, path)
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

    /// The application variables, resolved against `env`.
    pub fn variables<'a>(&'a self, env: &'a dyn Fn(&str) -> Option<String>) -> Variables<'a> {
        Variables::new(&self.variables, &self.overrides, env)
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
        let variables = self.variables(env);
        let mut hosts = Vec::new();
        for template in &spec.allowed_outbound_hosts {
            let host = variables.expand(template)?;
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
        match self.component.get(component) {
            Some(spec) => self.variables(env).resolve_all(&spec.variables),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The values of the application variables marked secret, as resolved
    /// (so that outcomes and errors can redact them).
    pub fn secret_values(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        self.variables(env).secret_values()
    }

    fn variable(&self, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        self.variables(env).get(name)
    }

    fn check(&self) -> Result<(), String> {
        for (name, spec) in &self.component {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("component name '{name}' must be letters, digits, '-' or '_'"));
            }
            if matches!(
                name.as_str(),
                "session" | "health" | "components" | "metrics" | "mcp" | "tools" | "execute"
            ) {
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
                Variables::check_references(&self.variables, template)?;
            }
        }
        Ok(())
    }
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
