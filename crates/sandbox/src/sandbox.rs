//! The sandbox: every component of a manifest, loaded once, and the routing
//! of tool names to components.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use weft_protocol::{
    BackendError, ErrorType, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOrigin,
    ToolOutcome,
};

use crate::component::LoadedComponent;
use crate::kv::quota::QuotaStore;
use crate::kv::{KvError, SharedStore};
use crate::manifest::{HttpRoute, Manifest};
use crate::spin::{self, Kind, SpinComponent, SpinGrants, SpinRequest, SpinResponse, SpinRoute};
use crate::{SandboxError, builtin, cache, engine};
use weft_outbound::OutboundHttp;
use weft_variables::Redactor;

/// A component and the tools it offers.
#[derive(Debug, Clone)]
pub struct ComponentInfo {
    /// The component's name (its route).
    pub name: String,
    /// Its tools.
    pub tools: Vec<ToolDefinition>,
    /// `sha256:` and the first 16 hex digits of its wasm.
    pub version: String,
    /// Whether it was granted outbound hosts.
    pub live: bool,
}

/// Built-in components the host implements natively (see
/// [`Sandbox::native_components`]): `source = "builtin:NAME"` loads no wasm.
pub const NATIVE_COMPONENTS: &[&str] = &["mock"];

/// A scenario's files written by one instance (each write keeps its own
/// epoch budget; the instance's memory holds at most this many calls' garbage).
const SEED_FILES_PER_INSTANCE: usize = 64;

/// A component the host runs natively rather than as a wasm guest: the
/// sandbox only opens the key-value store the manifest grants it.
#[derive(Clone)]
pub struct NativeComponent {
    /// The component's name (its route).
    pub name: String,
    /// Which native component it is (`mock`), from `source = "builtin:mock"`.
    pub kind: String,
    /// Its first key-value store, when the manifest grants one.
    pub store: Option<SharedStore>,
}

/// The wasm sandbox. Cheap to clone; all clones share one engine and pool.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

/// A loaded component of either kind.
enum Loaded {
    /// weft's tool world: one call is one `execute`.
    Weft(Arc<LoadedComponent>),
    /// A Spin HTTP component: one call is one HTTP request.
    Spin(Arc<SpinComponent>),
}

impl Loaded {
    fn tools(&self) -> &[ToolDefinition] {
        match self {
            Self::Weft(component) => &component.tools,
            Self::Spin(component) => &component.tools,
        }
    }
}

struct Inner {
    components: BTreeMap<String, Loaded>,
    /// Component name → (version, whether it was granted outbound hosts).
    versions: HashMap<String, (String, bool)>,
    /// The manifest's HTTP routes (a spin.toml's triggers).
    http_routes: Vec<HttpRoute>,
    /// Tool name → component name, first component wins on a clash.
    routes: HashMap<String, String>,
    stores: Vec<(String, SharedStore)>,
    natives: Vec<NativeComponent>,
    /// One permit per pool slot: calls beyond it wait instead of failing.
    slots: Semaphore,
    pool_size: u32,
    redactor: Redactor,
    /// See [`Sandbox::instance`]: the name, and the value of
    /// [`weft_kv::instance_changes`] it was made at.
    instance: RwLock<(u64, Arc<str>)>,
}

impl Sandbox {
    /// Loads every enabled component of `manifest` (see
    /// [`Manifest::is_enabled`]); variables are read from the environment.
    pub async fn new(manifest: Manifest) -> Result<Self, SandboxError> {
        Self::with_pool_size(manifest, engine::DEFAULT_POOL_SIZE).await
    }

    /// Like [`new`](Self::new) with an explicit number of concurrent instances.
    pub async fn with_pool_size(manifest: Manifest, pool_size: u32) -> Result<Self, SandboxError> {
        let env = |name: &str| std::env::var(name).ok();
        let mut enabled = Vec::new();
        for (name, spec) in &manifest.component {
            if manifest.is_enabled(name, &env) {
                enabled.push((name, spec));
            } else if !spec.disabled {
                let var = spec.enabled_if.as_deref().unwrap_or_default();
                tracing::info!(component = %name, "not loaded: variable '{var}' is empty");
            }
        }
        let max_memory = enabled.iter().map(|(_, spec)| spec.memory_limit_mib).max().unwrap_or(64);
        let engine = engine::build(pool_size, usize::try_from(max_memory << 20).unwrap_or(usize::MAX))?;
        engine::start_ticker(&engine);

        let mut stores = OpenStores::default();
        let mut spin_engine: Option<wasmtime::Engine> = None;
        let mut components = BTreeMap::new();
        let mut routes = HashMap::new();
        let mut natives = Vec::new();
        let mut versions = HashMap::new();
        let redactor = Redactor::new(manifest.secret_values(&env));
        for (name, spec) in enabled {
            // A load error may quote an expanded value (a bad host pattern).
            let failed = |message: String| SandboxError::Component {
                component: name.clone(),
                message: redactor.redact(&message).into_owned(),
            };
            let store = match spec.key_value_stores.first() {
                Some(label) => Some(stores.session_view(&manifest, label)?),
                None => None,
            };
            if let Some(kind) = native_kind(&spec.source) {
                natives.push(NativeComponent { name: name.clone(), kind: kind.to_owned(), store });
                continue;
            }
            let variables = manifest.resolve_variables(name, &env).map_err(failed)?;
            let hosts = manifest.resolve_allowed_hosts(name, &env).map_err(failed)?;
            let http = OutboundHttp::new(name, &hosts, spec.http).map_err(failed)?;
            let bytes = load_source(&manifest, &spec.source).map_err(failed)?;
            versions.insert(name.clone(), (version_of(&bytes), !hosts.is_empty()));
            let core_module = spin::is_core_module(&bytes);
            let kind = if core_module { Kind::SpinHttp } else { spin::kind_of(&bytes).map_err(failed)? };
            let loaded = match kind {
                Kind::Weft => {
                    let compiled =
                        cache::load(&engine, name, &bytes).map_err(|err| failed(format!("{err:#}")))?;
                    let loaded =
                        LoadedComponent::new(&engine, name, &compiled, store, variables, http, spec.limits())
                            .await
                            .map_err(|err| failed(format!("{err:#}")))?;
                    Loaded::Weft(Arc::new(loaded))
                }
                Kind::SpinHttp => {
                    let spin_engine = match &spin_engine {
                        Some(engine) => engine.clone(),
                        None => {
                            let built = engine::build_spin()?;
                            engine::start_ticker(&built);
                            spin_engine = Some(built.clone());
                            built
                        }
                    };
                    let compiled = cache::load_prepared(&spin_engine, name, &bytes, || {
                        if !core_module {
                            return Ok(std::borrow::Cow::Borrowed(bytes.as_slice()));
                        }
                        let started = std::time::Instant::now();
                        let component = spin::componentize(&bytes).map_err(wasmtime::Error::msg)?;
                        tracing::info!(component = %name, "a wasm32-wasip1 module, made a component in {:?}", started.elapsed());
                        Ok(std::borrow::Cow::Owned(component))
                    })
                    .map_err(|err| failed(format!("{err:#}")))?;
                    let grants = spin_grants(&manifest, name, spec, variables, http, &mut stores)?;
                    let tools = match &spec.tools {
                        Some(file) => Some(read_definitions(&manifest.base_dir.join(file)).map_err(failed)?),
                        None => None,
                    };
                    let route = spin::route_for(&manifest, name);
                    let loaded = SpinComponent::load(
                        &spin_engine,
                        name,
                        &compiled,
                        grants,
                        route,
                        spec.limits(),
                        tools,
                    )
                    .await
                    .map_err(failed)?;
                    Loaded::Spin(Arc::new(loaded))
                }
            };
            for tool in loaded.tools() {
                if let Some(owner) = routes.get(&tool.name) {
                    tracing::warn!(tool = %tool.name, "tool offered by both '{owner}' and '{name}'; '{owner}' serves it by name");
                } else {
                    routes.insert(tool.name.clone(), name.clone());
                }
            }
            components.insert(name.clone(), loaded);
        }
        let stores = stores.sessions;
        let instance = RwLock::new((weft_kv::instance_changes(), Arc::from(instance_of(&stores))));
        Ok(Self {
            inner: Arc::new(Inner {
                instance,
                components,
                versions,
                http_routes: manifest.routes.clone(),
                routes,
                stores,
                natives,
                slots: Semaphore::new(pool_size as usize),
                pool_size,
                redactor,
            }),
        })
    }

    /// Every loaded component, by name.
    pub fn components(&self) -> Vec<ComponentInfo> {
        self.inner
            .components
            .iter()
            .map(|(name, component)| {
                let (version, live) = self.inner.versions.get(name).cloned().unwrap_or_default();
                ComponentInfo { name: name.clone(), tools: component.tools().to_vec(), version, live }
            })
            .collect()
    }

    /// Where `tool` runs: its component, that component's version and
    /// whether it may reach outside the sandbox.
    pub fn origin(&self, tool: &str) -> Option<ToolOrigin> {
        let component = self.component_of(tool)?;
        let (version, live) = self.inner.versions.get(component).cloned().unwrap_or_default();
        Some(ToolOrigin { component: component.to_owned(), version, live })
    }

    /// The components the host implements natively, for the crate that
    /// implements them (`weft-tools` serves `mock`).
    pub fn native_components(&self) -> &[NativeComponent] {
        &self.inner.natives
    }

    /// Whether a component of weft's world of that name is loaded: one that
    /// answers `POST /{name}/execute` through the sandbox. (A Spin component
    /// answers its own routes: see [`spin_route`](Self::spin_route).)
    pub fn has_component(&self, name: &str) -> bool {
        matches!(self.inner.components.get(name), Some(Loaded::Weft(_)))
    }

    /// Whether a Spin HTTP component of that name is loaded.
    pub fn is_spin_component(&self, name: &str) -> bool {
        matches!(self.inner.components.get(name), Some(Loaded::Spin(_)))
    }

    /// Whether any Spin HTTP component is loaded.
    pub fn has_spin_components(&self) -> bool {
        self.inner.components.values().any(|component| matches!(component, Loaded::Spin(_)))
    }

    /// The Spin component an HTTP request for `path` reaches, with the
    /// route it takes: the manifest's `[[trigger.http]]` routes (Spin's
    /// matching), or `/{name}/...` when the manifest has none.
    pub fn spin_route(&self, path: &str) -> Option<(String, SpinRoute)> {
        spin::routed(&self.inner.http_routes, path, |name| self.is_spin_component(name))
    }

    /// Serves one HTTP request with the Spin component `component`
    /// (`None` when there is no such component). Secret values are
    /// redacted from a text body.
    pub async fn handle_http(&self, component: &str, request: SpinRequest) -> Option<SpinResponse> {
        let Some(Loaded::Spin(spin)) = self.inner.components.get(component) else {
            return None;
        };
        let Ok(_slot) = self.inner.slots.acquire().await else {
            let body = serde_json::json!({"error": "The sandbox is shutting down", "error_type": "ResourceExhausted"});
            return Some(SpinResponse {
                status: 503,
                headers: http::HeaderMap::new(),
                body: body.to_string().into(),
            });
        };
        let mut response = if spin.blocks() {
            let (spin, handle) = (spin.clone(), tokio::runtime::Handle::current());
            match tokio::task::spawn_blocking(move || handle.block_on(spin.handle(request))).await {
                Ok(response) => response,
                Err(err) => {
                    let body = serde_json::json!({"error": format!("The request's thread failed: {err}"), "error_type": "ComponentError"});
                    SpinResponse {
                        status: 500,
                        headers: http::HeaderMap::new(),
                        body: body.to_string().into(),
                    }
                }
            }
        } else {
            spin.handle(request).await
        };
        if let Ok(text) = std::str::from_utf8(&response.body)
            && let std::borrow::Cow::Owned(clean) = self.inner.redactor.redact(text)
        {
            response.body = clean.into();
        }
        Some(response)
    }

    /// Every tool of every component (routing order).
    pub fn tool_definitions(&self) -> Vec<ToolDefinition> {
        self.inner.components.values().flat_map(|component| component.tools().iter().cloned()).collect()
    }

    /// The component that serves `tool` by name.
    pub fn component_of(&self, tool: &str) -> Option<&str> {
        self.inner.routes.get(tool).map(String::as_str)
    }

    /// Names the state of every session this sandbox holds: it changes
    /// exactly when that state is gone — a new process over in-memory
    /// stores, a new redb file, a new Redis database — and is the same for
    /// every replica over one shared store. `weft serve` sends it with every
    /// tool call's answer (`weft-store-instance`), so a client notices a
    /// restart that lost its session instead of observing an empty one —
    /// a Redis that came back empty included: read it after a call, and the
    /// call's own answer names the state it ran against.
    pub fn instance(&self) -> Arc<str> {
        let changes = weft_kv::instance_changes();
        {
            let (made_at, instance) = &*self.inner.instance.read().unwrap_or_else(PoisonError::into_inner);
            if *made_at == changes || self.inner.stores.is_empty() {
                return Arc::clone(instance);
            }
        }
        let instance: Arc<str> = Arc::from(instance_of(&self.inner.stores));
        *self.inner.instance.write().unwrap_or_else(PoisonError::into_inner) =
            (changes, Arc::clone(&instance));
        instance
    }

    /// One line per key-value store: `default: in-memory (...)`.
    pub fn store_summaries(&self) -> Vec<String> {
        self.inner.stores.iter().map(|(label, store)| format!("{label}: {}", store.summary())).collect()
    }

    /// Replaces the manifest's secret values in `text` with `[REDACTED]`
    /// (outcomes are redacted already; this is for anything else a caller
    /// logs or stores).
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.inner.redactor.redact(text)
    }

    /// Instances that may run at once.
    pub fn pool_size(&self) -> u32 {
        self.inner.pool_size
    }

    /// Executes `tool` in `session`, routed by the tool's name.
    pub async fn execute(&self, session: &str, tool: &str, args_json: &str) -> ToolOutcome {
        match self.component_of(tool).and_then(|name| self.inner.components.get(name)) {
            Some(component) => self.run(component, session, tool, args_json, false).await,
            None => ToolOutcome::error(ErrorType::UnknownTool, format!("Unknown tool: {tool}")),
        }
    }

    /// Executes `tool` on a named component; `None` when no such component is loaded.
    pub async fn execute_in(
        &self,
        component: &str,
        session: &str,
        tool: &str,
        args_json: &str,
    ) -> Option<ToolOutcome> {
        let component = self.inner.components.get(component)?;
        Some(self.run(component, session, tool, args_json, false).await)
    }

    /// Writes a scenario's files into `session` before its first call,
    /// through the component that serves `write_file`, which knows it is
    /// seeding (see `weft:tool/config`): a protected directory the scenario
    /// brings becomes the session's own. On failure nothing of the session
    /// is kept, and the file and the reason are returned.
    pub async fn seed(&self, session: &str, seed: &ScenarioSeed) -> Result<(), BackendError> {
        let component = self.component_of("write_file").and_then(|name| self.inner.components.get(name));
        let files: Vec<(&String, String)> = seed
            .files
            .iter()
            .map(|(path, content)| {
                (path, serde_json::json!({"file_path": path, "content": content}).to_string())
            })
            .collect();
        // A component whose calls never wait on the host writes up to
        // SEED_FILES_PER_INSTANCE files per instance (`seed_batch`); any
        // other writes each file in a call of its own.
        let mut written = 0;
        if let Some(Loaded::Weft(weft)) = component
            && !weft.blocks()
            && session != spin::SPIN_APP_NAMESPACE
        {
            for chunk in files.chunks(SEED_FILES_PER_INSTANCE) {
                let calls = chunk.iter().map(|(_, args)| args.as_str());
                let outcomes = match self.inner.slots.acquire().await {
                    Ok(_slot) => weft.seed_batch(session, "write_file", calls),
                    Err(_) => Some(vec![shutting_down()]),
                };
                let Some(outcomes) = outcomes else { break };
                for ((path, _), outcome) in chunk.iter().zip(outcomes) {
                    if !outcome.success {
                        let outcome = self.inner.redactor.redact_outcome(outcome);
                        return Err(self.seed_failed(session, path, outcome).await);
                    }
                    written += 1;
                }
            }
        }
        for (path, args) in &files[written..] {
            let outcome = match component {
                Some(component) => self.run(component, session, "write_file", args, true).await,
                None => ToolOutcome::error(ErrorType::UnknownTool, "No component offers write_file"),
            };
            if !outcome.success {
                return Err(self.seed_failed(session, path, outcome).await);
            }
        }
        Ok(())
    }

    /// A scenario's file could not be written: nothing of the session is
    /// kept, and the error names the file (or the store, when it failed).
    async fn seed_failed(&self, session: &str, path: &str, outcome: ToolOutcome) -> BackendError {
        self.delete_session(session).await;
        if outcome.is_store_unavailable() {
            return BackendError::Unavailable {
                endpoint: "in-process sandbox".to_owned(),
                reason: outcome.result,
            };
        }
        BackendError::Seed { path: path.to_owned(), reason: outcome.result }
    }

    async fn run(
        &self,
        component: &Loaded,
        session: &str,
        tool: &str,
        args_json: &str,
        seeding: bool,
    ) -> ToolOutcome {
        if session == spin::SPIN_APP_NAMESPACE {
            return ToolOutcome::error(ErrorType::NotAllowed, format!("Session id '{session}' is reserved"));
        }
        let Ok(_slot) = self.inner.slots.acquire().await else {
            return shutting_down();
        };
        let outcome = match component {
            Loaded::Weft(component) if component.blocks() => {
                run_blocking(component.clone(), session, tool, args_json, seeding).await
            }
            // A scenario's file: a small write, on this worker.
            Loaded::Weft(component) if seeding => component.execute(session, tool, args_json, true).await,
            Loaded::Weft(component) => match component.execute_inline(session, tool, args_json).await {
                Some(outcome) => outcome,
                // Heavier than a tick: off the worker, so its other
                // connections are not held behind it.
                None => run_blocking(component.clone(), session, tool, args_json, false).await,
            },
            Loaded::Spin(component) if component.blocks() => {
                let (component, handle) = (component.clone(), tokio::runtime::Handle::current());
                let (session, tool_name, args) = (session.to_owned(), tool.to_owned(), args_json.to_owned());
                tokio::task::spawn_blocking(move || {
                    handle.block_on(component.execute(&session, &tool_name, &args))
                })
                .await
                .unwrap_or_else(|err| {
                    ToolOutcome::error(ErrorType::ComponentError, format!("The call's thread failed: {err}"))
                })
            }
            Loaded::Spin(component) => component.execute(session, tool, args_json).await,
        };
        self.inner.redactor.redact_outcome(outcome)
    }

    /// Removes everything every store holds for `session`; the number of
    /// keys removed. Spin components keep their sessions' keys themselves:
    /// each gets `DELETE {route}/session/{id}`.
    pub async fn delete_session(&self, session: &str) -> usize {
        if session == spin::SPIN_APP_NAMESPACE {
            return 0;
        }
        for component in self.inner.components.values() {
            if let Loaded::Spin(component) = component {
                component.close_session(session).await;
            }
        }
        let mut deleted = 0;
        for (label, store) in &self.inner.stores {
            let result = if store.is_remote() {
                let (store, session) = (store.clone(), session.to_owned());
                tokio::task::spawn_blocking(move || store.delete_session(&session))
                    .await
                    .unwrap_or_else(|err| Err(KvError::Backend(err.to_string())))
            } else {
                store.delete_session(session)
            };
            match result {
                Ok(count) => deleted += count,
                Err(err) => tracing::warn!(store = %label, "cannot delete session: {err}"),
            }
        }
        deleted
    }
}

/// Runs a call whose store waits on the network on a blocking thread, so
/// that no async worker ever waits on it.
async fn run_blocking(
    component: Arc<LoadedComponent>,
    session: &str,
    tool: &str,
    args_json: &str,
    seeding: bool,
) -> ToolOutcome {
    let handle = tokio::runtime::Handle::current();
    let (session, tool_name, args_json) = (session.to_owned(), tool.to_owned(), args_json.to_owned());
    tokio::task::spawn_blocking(move || {
        handle.block_on(component.execute(&session, &tool_name, &args_json, seeding))
    })
    .await
    .unwrap_or_else(|err| {
        ToolOutcome::error(ErrorType::ComponentError, format!("The call's thread failed: {err}"))
    })
}

/// The stores opened so far: each label's backend once, and two views of
/// it — weft-world components' sessions under the manifest's per-session
/// and total caps, a Spin application's one namespace under the total cap
/// only — each view shared by every component granted the label.
#[derive(Default)]
struct OpenStores {
    /// Label → the sessions' view (what [`Inner::stores`] keeps).
    sessions: Vec<(String, SharedStore)>,
    /// Label → the Spin application's view.
    shared: Vec<(String, SharedStore)>,
}

impl OpenStores {
    fn session_view(&mut self, manifest: &Manifest, label: &str) -> Result<SharedStore, SandboxError> {
        self.open(manifest, label).map(|(sessions, _)| sessions)
    }

    fn shared_view(&mut self, manifest: &Manifest, label: &str) -> Result<SharedStore, SandboxError> {
        self.open(manifest, label).map(|(_, shared)| shared)
    }

    /// Both views of `label`, opening its backend the first time.
    fn open(&mut self, manifest: &Manifest, label: &str) -> Result<(SharedStore, SharedStore), SandboxError> {
        if let Some(at) = self.sessions.iter().position(|(existing, _)| existing == label) {
            return Ok((self.sessions[at].1.clone(), self.shared[at].1.clone()));
        }
        let env = |name: &str| std::env::var(name).ok();
        let backend = weft_kv::open(label, &manifest.store_spec(label), &manifest.base_dir, &env)
            .map_err(|err| SandboxError::KeyValue { label: label.to_owned(), message: err.to_string() })?;
        let quota = manifest.session_limits.quota();
        let sessions: SharedStore = Arc::new(QuotaStore::new(backend.clone(), quota));
        let shared: SharedStore = Arc::new(QuotaStore::new(backend, quota.shared_namespace()));
        self.sessions.push((label.to_owned(), sessions.clone()));
        self.shared.push((label.to_owned(), shared.clone()));
        Ok((sessions, shared))
    }
}

/// `WEFT_KV_<LABEL>_URL`: the variable overriding a Redis store's URL.
fn native_kind(source: &str) -> Option<&str> {
    source.strip_prefix("builtin:").filter(|name| NATIVE_COMPONENTS.contains(name))
}

/// One name for the stores' instances together (a random one without stores).
fn instance_of(stores: &[(String, SharedStore)]) -> String {
    use sha2::Digest;
    if stores.is_empty() {
        return format!("{:016x}", rand::random::<u64>());
    }
    let mut hasher = sha2::Sha256::new();
    for (label, store) in stores {
        hasher.update(label.as_bytes());
        hasher.update([0]);
        hasher.update(store.instance().as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..8].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What a Spin component may touch: the stores of its `key_value_stores`
/// labels (the application's, shared by every component granted the
/// label), its variables, its environment and mounts, its network.
fn spin_grants(
    manifest: &Manifest,
    name: &str,
    spec: &crate::ComponentSpec,
    variables: BTreeMap<String, String>,
    http: OutboundHttp,
    stores: &mut OpenStores,
) -> Result<SpinGrants, SandboxError> {
    let mut granted = spin::GrantedStores::default();
    for label in &spec.key_value_stores {
        granted.by_label.insert(label.clone(), stores.shared_view(manifest, label)?);
    }
    for mount in &spec.files {
        let source = manifest.base_dir.join(&mount.source);
        if !source.is_dir() {
            return Err(SandboxError::Component {
                component: name.to_owned(),
                message: format!("files: {} is not a directory", source.display()),
            });
        }
    }
    Ok(SpinGrants {
        stores: granted,
        variables,
        environment: spec.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        files: SpinGrants::mounts(&manifest.base_dir, &spec.files),
        http: Arc::new(http),
        memory_cap: usize::try_from(spec.memory_limit_mib << 20).unwrap_or(usize::MAX),
    })
}

/// Tool definitions from a file: a JSON list, or `{"tools": [...]}`.
fn read_definitions(path: &std::path::Path) -> Result<Vec<ToolDefinition>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("tools: cannot read {}: {err}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| format!("tools: {} is not JSON: {err}", path.display()))?;
    let list = match value {
        serde_json::Value::Object(mut object) if object.contains_key("tools") => {
            object.remove("tools").unwrap_or_default()
        }
        other => other,
    };
    serde_json::from_value(list).map_err(|err| format!("tools: {}: {err}", path.display()))
}

fn load_source(manifest: &Manifest, source: &str) -> Result<Vec<u8>, String> {
    if let Some(name) = source.strip_prefix("builtin:") {
        return builtin::lookup(name)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("there is no built-in component '{name}'"));
    }
    let path = manifest.base_dir.join(source);
    std::fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

/// A component's version: `sha256:` and the first 16 hex digits of its bytes.
fn version_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn new_session_id() -> SessionId {
    SessionId::new(format!("{:032x}", rand::random::<u128>()))
}

#[async_trait]
impl ToolBackend for Sandbox {
    async fn health(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        Ok(self.tool_definitions())
    }

    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        let session = new_session_id();
        self.seed(session.as_str(), seed).await?;
        Ok(session)
    }

    /// A call whose store failed under it is the backend's failure, never an
    /// outcome a sample could be built on.
    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        let outcome = Sandbox::execute(self, session.as_str(), &call.name, &call.arguments.to_string()).await;
        if outcome.is_store_unavailable() {
            return Err(BackendError::Unavailable {
                endpoint: "in-process sandbox".to_owned(),
                reason: outcome.result,
            });
        }
        Ok(outcome)
    }

    async fn close_session(&self, session: &SessionId) {
        self.delete_session(session.as_str()).await;
    }

    fn origin(&self, tool: &str) -> Option<ToolOrigin> {
        Sandbox::origin(self, tool)
    }
}

/// The outcome of a call the sandbox can no longer take.
fn shutting_down() -> ToolOutcome {
    ToolOutcome::error(ErrorType::ResourceExhausted, "The sandbox is shutting down")
}
