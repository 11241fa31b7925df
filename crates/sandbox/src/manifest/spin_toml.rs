//! A Spin application manifest (`spin.toml`, `spin_manifest_version = 2`)
//! read into weft's [`Manifest`], so `weft serve --manifest spin.toml` runs
//! a Spin app without the Spin CLI.
//!
//! What maps: `[application]` (name, version, `trigger.http.base`),
//! `[variables]` (default, required, secret), `[[trigger.http]]` (`route` →
//! `component`), and per component `source` (a local path), `variables`,
//! `environment`, `files` (directory mounts), `allowed_outbound_hosts`
//! (with `{{ var }}`), `key_value_stores` and `build`. weft's own settings
//! for a component go where Spin keeps tool-specific ones, which Spin
//! ignores: `[component.NAME.tool.weft]` with `timeout_ms`,
//! `memory_limit_mib`, `tools` (a definitions file) and `http` limits.
//!
//! What is refused, with the reason: remote sources (`{ url, digest }`,
//! registry packages: weft does not download), triggers other than HTTP,
//! named route segments, inline trigger components, and grants weft cannot
//! honour (`sqlite_databases`, `ai_models`, file globs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::routes::{self, HttpRoute};
use super::{Application, BuildSpec, ComponentSpec, FileMount, KvStoreSpec, Manifest, VariableSpec};
use crate::SandboxError;

/// Whether `text` is a Spin manifest (it declares `spin_manifest_version`).
pub(super) fn is_spin_manifest(text: &str) -> bool {
    text.lines().any(|line| line.trim_start().starts_with("spin_manifest_version"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinManifest {
    spin_manifest_version: u32,
    application: SpinApplication,
    #[serde(default)]
    variables: BTreeMap<String, VariableSpec>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<toml::Table>>,
    #[serde(default)]
    component: BTreeMap<String, SpinComponent>,
}

// Every key Spin accepts is read (so a typo is still an error), including
// those weft has no use for.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinApplication {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    trigger: BTreeMap<String, toml::Table>,
    #[serde(default)]
    tool: BTreeMap<String, toml::Table>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpTrigger {
    route: RouteSpec,
    #[serde(default)]
    component: Option<toml::Value>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    executor: Option<toml::Table>,
    #[serde(default)]
    static_response: Option<toml::Table>,
    #[serde(default)]
    components: Option<toml::Table>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
enum RouteSpec {
    Path(String),
    Private { private: bool },
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinComponent {
    source: toml::Value,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<toml::Value>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
    #[serde(default)]
    dependencies: toml::Table,
    #[serde(default)]
    build: Option<BuildSpec>,
    #[serde(default)]
    tool: BTreeMap<String, toml::Table>,
    #[serde(default)]
    profile: toml::Table,
}

/// `[component.NAME.tool.weft]`: weft's settings for a Spin component.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WeftSettings {
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    memory_limit_mib: Option<u64>,
    #[serde(default)]
    tools: Option<PathBuf>,
    #[serde(default)]
    http: Option<super::HttpLimits>,
}

/// A Spin component's call budget when `tool.weft` sets none: Spin has no
/// per-request limit; 30 s bounds a guest that never answers.
const SPIN_TIMEOUT_MS: u64 = 30_000;
/// Memory cap of one Spin component instance when `tool.weft` sets none
/// (interpreters such as componentize-py's Python need far more than a
/// Rust guest).
const SPIN_MEMORY_MIB: u64 = 256;

pub(super) fn parse(text: &str, origin: &Path, base_dir: PathBuf) -> Result<Manifest, SandboxError> {
    let invalid = |message: String| SandboxError::InvalidManifest { path: origin.to_owned(), message };
    let spin: SpinManifest = toml::from_str(text).map_err(|err| invalid(err.to_string()))?;
    if spin.spin_manifest_version != 2 {
        return Err(invalid(format!(
            "spin_manifest_version {} is not supported (weft reads version 2)",
            spin.spin_manifest_version
        )));
    }
    let base = spin
        .application
        .trigger
        .get("http")
        .and_then(|http| http.get("base"))
        .and_then(toml::Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let mut routes = Vec::new();
    for (kind, triggers) in &spin.trigger {
        if kind != "http" {
            return Err(invalid(format!(
                "[[trigger.{kind}]]: weft serves HTTP triggers only (its components answer tool calls over HTTP)"
            )));
        }
        for table in triggers {
            if let Some(route) = http_route(table, &base, &spin.component).map_err(&invalid)? {
                routes.push(route);
            }
        }
    }
    for shadowed in routes::shadowed(&routes) {
        tracing::warn!(route = %shadowed.raw, component = %shadowed.component, "route declared again later: this one never serves");
    }
    let mut components = BTreeMap::new();
    for (name, spec) in spin.component {
        let component = convert_component(&name, spec).map_err(&invalid)?;
        components.insert(name, component);
    }
    let manifest = Manifest {
        weft_manifest_version: 1,
        application: Application { name: Some(spin.application.name), version: spin.application.version },
        variables: spin.variables,
        component: components,
        key_value_store: BTreeMap::new(),
        session_limits: Default::default(),
        base_dir,
        routes,
        overrides: BTreeMap::new(),
    };
    manifest.check().map_err(&invalid)?;
    for (name, spec) in &manifest.component {
        for label in &spec.key_value_stores {
            if label != "default" {
                tracing::info!(component = %name, "key-value store '{label}' is in memory unless a runtime config defines it");
            }
        }
    }
    Ok(manifest)
}

fn http_route(
    table: &toml::Table,
    base: &str,
    components: &BTreeMap<String, SpinComponent>,
) -> Result<Option<HttpRoute>, String> {
    let trigger: HttpTrigger =
        toml::Value::Table(table.clone()).try_into().map_err(|err| format!("[[trigger.http]]: {err}"))?;
    if trigger.static_response.is_some() {
        return Err("[[trigger.http]] static_response is not supported: serve a component".into());
    }
    if trigger
        .executor
        .as_ref()
        .and_then(|e| e.get("type"))
        .and_then(toml::Value::as_str)
        .is_some_and(|t| t != "http")
    {
        return Err(
            "[[trigger.http]] executor: weft runs `wasi:http` components only (executor type \"http\")"
                .into(),
        );
    }
    if trigger.components.is_some() {
        return Err("[[trigger.http]] components (middleware chains) are not supported".into());
    }
    let component = match trigger.component {
        Some(toml::Value::String(name)) => name,
        Some(_) => {
            return Err(
                "[[trigger.http]]: inline component tables are not supported; declare [component.NAME] \
                        and set `component = \"NAME\"`"
                    .into(),
            );
        }
        None => return Err("[[trigger.http]] names no component".into()),
    };
    if !components.contains_key(&component) {
        return Err(format!("[[trigger.http]] names component '{component}', which is not declared"));
    }
    match trigger.route {
        RouteSpec::Path(route) => HttpRoute::parse(base, &route, &component).map(Some),
        // Reachable only by other components (service chaining): no HTTP route.
        RouteSpec::Private { .. } => Ok(None),
    }
}

fn convert_component(name: &str, spec: SpinComponent) -> Result<ComponentSpec, String> {
    let at = |message: String| format!("component '{name}': {message}");
    let source = match spec.source {
        toml::Value::String(path) => path,
        toml::Value::Table(table) if table.contains_key("url") => {
            return Err(at(format!(
                "source {{ url = \"{}\" }}: weft does not download components; fetch it, check its digest, \
                 and set `source` to the local file",
                table.get("url").and_then(toml::Value::as_str).unwrap_or_default()
            )));
        }
        toml::Value::Table(_) => {
            return Err(at(
                "a registry source is not supported offline: set `source` to a local .wasm file".into()
            ));
        }
        other => return Err(at(format!("source must be a path, got {other}"))),
    };
    if !spec.sqlite_databases.is_empty() || !spec.ai_models.is_empty() {
        return Err(at("sqlite_databases and ai_models are not provided by weft".into()));
    }
    if !spec.exclude_files.is_empty() {
        return Err(at(
            "exclude_files is not supported (mount directories with { source, destination })".into()
        ));
    }
    if !spec.dependencies.is_empty() {
        return Err(at(
            "component dependencies are not supported: compose the component before serving it".into()
        ));
    }
    let files = spec.files.into_iter().map(|entry| file_mount(name, entry)).collect::<Result<Vec<_>, _>>()?;
    let mut weft = WeftSettings::default();
    for (tool, table) in spec.tool {
        if tool == "weft" {
            weft = toml::Value::Table(table).try_into().map_err(|err| at(format!("[tool.weft]: {err}")))?;
        }
    }
    let mut hosts = spec.allowed_outbound_hosts;
    // Spin's deprecated spelling: bare hosts mean https.
    for host in spec.allowed_http_hosts {
        hosts.push(if host.contains("://") { host } else { format!("https://{host}") });
    }
    Ok(ComponentSpec {
        source,
        key_value_stores: spec.key_value_stores,
        allowed_outbound_hosts: hosts,
        http: weft.http.unwrap_or_default(),
        variables: spec.variables,
        timeout_ms: weft.timeout_ms.unwrap_or(SPIN_TIMEOUT_MS),
        memory_limit_mib: weft.memory_limit_mib.unwrap_or(SPIN_MEMORY_MIB),
        disabled: false,
        enabled_if: None,
        environment: spec.environment,
        files,
        build: spec.build,
        tools: weft.tools,
    })
}

fn file_mount(component: &str, entry: toml::Value) -> Result<FileMount, String> {
    match entry {
        toml::Value::Table(table) => toml::Value::Table(table)
            .try_into()
            .map_err(|err| format!("component '{component}': files: {err}")),
        toml::Value::String(path) if !path.contains(['*', '?', '[']) => Ok(FileMount {
            source: PathBuf::from(&path),
            destination: format!("/{}", path.trim_start_matches("./")),
        }),
        other => Err(format!(
            "component '{component}': files entry {other}: globs are not supported; mount a directory with \
             {{ source = \"dir\", destination = \"/dir\" }}"
        )),
    }
}

#[derive(Deserialize)]
struct RuntimeConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, KvStoreSpec>,
}

/// The `[key_value_store.LABEL]` tables of a runtime config.
pub(super) fn runtime_config(
    text: &str,
    origin: &Path,
) -> Result<BTreeMap<String, KvStoreSpec>, SandboxError> {
    let config: RuntimeConfig = toml::from_str(text).map_err(|err| SandboxError::InvalidManifest {
        path: origin.to_owned(),
        message: format!("{err} (weft reads the [key_value_store.LABEL] tables of a runtime config)"),
    })?;
    Ok(config.key_value_store)
}

/// A store spec with its relative paths made relative to `dir`.
pub(super) fn resolve_store_paths(spec: KvStoreSpec, dir: &Path) -> KvStoreSpec {
    match spec {
        KvStoreSpec::Redb { path } => KvStoreSpec::Redb { path: dir.join(path) },
        KvStoreSpec::Spin { path: Some(path) } => KvStoreSpec::Spin { path: Some(dir.join(path)) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"
spin_manifest_version = 2

[application]
name = "notes-app"
version = "0.1.0"

[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }
api_host = { default = "127.0.0.1:9" }

[[trigger.http]]
route = "/notes/..."
component = "notes"

[[trigger.http]]
route = { private = true }
component = "helper"

[component.notes]
source = "target/notes.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://{{ api_host }}"]
environment = { MODE = "test" }
[component.notes.variables]
greeting = "{{ greeting }}, world"
token = "{{ token }}"
[component.notes.build]
command = "cargo build --release --target wasm32-wasip2"
workdir = "notes"
[component.notes.tool.weft]
timeout_ms = 2000
tools = "notes-tools.json"

[component.helper]
source = "helper.wasm"
"#;

    fn parse_app(text: &str) -> Result<Manifest, SandboxError> {
        parse(text, Path::new("spin.toml"), PathBuf::from("/app"))
    }

    #[test]
    fn a_spin_app_maps_onto_weft_components_and_routes() {
        assert!(is_spin_manifest(APP));
        let manifest = parse_app(APP).expect("valid");
        assert_eq!(manifest.application.name.as_deref(), Some("notes-app"));
        let notes = &manifest.component["notes"];
        assert_eq!(notes.source, "target/notes.wasm");
        assert_eq!(notes.key_value_stores, ["default"]);
        assert_eq!(notes.timeout_ms, 2000);
        assert_eq!(notes.memory_limit_mib, SPIN_MEMORY_MIB);
        assert_eq!(notes.tools.as_deref(), Some(Path::new("notes-tools.json")));
        assert_eq!(notes.environment["MODE"], "test");
        assert_eq!(
            notes.build.as_ref().map(|b| b.command.all()),
            Some(vec!["cargo build --release --target wasm32-wasip2"])
        );
        assert_eq!(manifest.routes.len(), 1, "a private route has no HTTP route");
        let matched = manifest.route("/notes/execute").expect("routed");
        assert_eq!((matched.route.component.as_str(), matched.path_info.as_str()), ("notes", "/execute"));
        assert!(manifest.route("/helper/execute").is_none());
        let env = |name: &str| (name == "SPIN_VARIABLE_TOKEN").then(|| "s3cr3t-token".to_owned());
        let variables = manifest.resolve_variables("notes", &env).expect("resolves");
        assert_eq!(variables["greeting"], "hello, world");
        assert_eq!(manifest.secret_values(&env), ["s3cr3t-token"]);
        assert_eq!(manifest.resolve_allowed_hosts("notes", &env).expect("hosts"), ["http://127.0.0.1:9"]);
        assert!(manifest.resolve_variables("notes", &|_| None).unwrap_err().contains("SPIN_VARIABLE_TOKEN"));
    }

    #[test]
    fn what_weft_cannot_do_is_refused_with_the_reason() {
        let remote = APP.replace(
            r#"source = "helper.wasm""#,
            r#"source = { url = "https://example.com/h.wasm", digest = "sha256:00" }"#,
        );
        assert!(parse_app(&remote).unwrap_err().to_string().contains("does not download"));
        let redis = format!("{APP}\n[[trigger.redis]]\ncomponent = \"helper\"\nchannel = \"x\"\n");
        assert!(parse_app(&redis).unwrap_err().to_string().contains("HTTP triggers only"));
        let unknown = APP.replace("component = \"notes\"", "component = \"nope\"");
        assert!(parse_app(&unknown).unwrap_err().to_string().contains("'nope', which is not declared"));
        let typo = APP.replace("key_value_stores", "key_value_store");
        assert!(parse_app(&typo).unwrap_err().to_string().contains("key_value_store"));
        let version = APP.replace("spin_manifest_version = 2", "spin_manifest_version = 1");
        assert!(parse_app(&version).unwrap_err().to_string().contains("version 2"));
    }

    #[test]
    fn runtime_config_picks_store_backends_relative_to_itself() {
        let stores = runtime_config(
            "[key_value_store.default]\ntype = \"spin\"\npath = \"state/kv.db\"\n\n[key_value_store.shared]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n",
            Path::new("rc.toml"),
        )
        .expect("valid");
        assert_eq!(
            resolve_store_paths(stores["default"].clone(), Path::new("/etc/app")),
            KvStoreSpec::Spin { path: Some(PathBuf::from("/etc/app/state/kv.db")) }
        );
        assert!(matches!(stores["shared"], KvStoreSpec::Redis { .. }));
    }
}
