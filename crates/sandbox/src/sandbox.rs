//! The sandbox: every component of a manifest, loaded once, and the routing
//! of tool names to components.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use weft_protocol::{
    BackendError, ErrorType, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome,
};

use crate::component::LoadedComponent;
use crate::kv::memory::MemoryStore;
use crate::kv::redb::RedbStore;
use crate::kv::redis::RedisStore;
use crate::kv::{KvError, SharedStore};
use crate::manifest::{KvStoreSpec, Manifest};
use crate::outbound::OutboundHttp;
use crate::redact::Redactor;
use crate::{SandboxError, builtin, cache, engine};

/// A component and the tools it offers.
#[derive(Debug, Clone)]
pub struct ComponentInfo {
    /// The component's name (its route).
    pub name: String,
    /// Its tools.
    pub tools: Vec<ToolDefinition>,
}

/// Built-in components the host implements natively (see
/// [`Sandbox::native_components`]): `source = "builtin:NAME"` loads no wasm.
pub const NATIVE_COMPONENTS: &[&str] = &["mock"];

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

struct Inner {
    components: BTreeMap<String, Arc<LoadedComponent>>,
    /// Tool name → component name, first component wins on a clash.
    routes: HashMap<String, String>,
    stores: Vec<(String, SharedStore)>,
    natives: Vec<NativeComponent>,
    /// One permit per pool slot: calls beyond it wait instead of failing.
    slots: Semaphore,
    pool_size: u32,
    redactor: Redactor,
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

        let mut stores: Vec<(String, SharedStore)> = Vec::new();
        let mut components = BTreeMap::new();
        let mut routes = HashMap::new();
        let mut natives = Vec::new();
        let redactor = Redactor::new(manifest.secret_values(&env));
        for (name, spec) in enabled {
            // A load error may quote an expanded value (a bad host pattern).
            let failed = |message: String| SandboxError::Component {
                component: name.clone(),
                message: redactor.redact(&message).into_owned(),
            };
            let store = match spec.key_value_stores.first() {
                Some(label) => Some(open_store(&manifest, label, &mut stores)?),
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
            let compiled = cache::load(&engine, name, &bytes).map_err(|err| failed(format!("{err:#}")))?;
            let loaded =
                LoadedComponent::new(&engine, name, &compiled, store, variables, http, spec.limits())
                    .await
                    .map_err(|err| failed(format!("{err:#}")))?;
            for tool in &loaded.tools {
                if let Some(owner) = routes.get(&tool.name) {
                    tracing::warn!(tool = %tool.name, "tool offered by both '{owner}' and '{name}'; '{owner}' serves it by name");
                } else {
                    routes.insert(tool.name.clone(), name.clone());
                }
            }
            components.insert(name.clone(), Arc::new(loaded));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                components,
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
            .values()
            .map(|component| ComponentInfo { name: component.name.clone(), tools: component.tools.clone() })
            .collect()
    }

    /// The components the host implements natively, for the crate that
    /// implements them (`weft-tools` serves `mock`).
    pub fn native_components(&self) -> &[NativeComponent] {
        &self.inner.natives
    }

    /// Whether a component of that name is loaded.
    pub fn has_component(&self, name: &str) -> bool {
        self.inner.components.contains_key(name)
    }

    /// Every tool of every component (routing order).
    pub fn tool_definitions(&self) -> Vec<ToolDefinition> {
        self.inner.components.values().flat_map(|component| component.tools.iter().cloned()).collect()
    }

    /// The component that serves `tool` by name.
    pub fn component_of(&self, tool: &str) -> Option<&str> {
        self.inner.routes.get(tool).map(String::as_str)
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
            Some(component) => self.run(component, session, tool, args_json).await,
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
        Some(self.run(component, session, tool, args_json).await)
    }

    async fn run(
        &self,
        component: &Arc<LoadedComponent>,
        session: &str,
        tool: &str,
        args_json: &str,
    ) -> ToolOutcome {
        let Ok(_slot) = self.inner.slots.acquire().await else {
            return ToolOutcome::error(ErrorType::ResourceExhausted, "The sandbox is shutting down");
        };
        let outcome = if component.blocks() {
            run_blocking(component.clone(), session, tool, args_json).await
        } else {
            component.execute(session, tool, args_json).await
        };
        self.inner.redactor.redact_outcome(outcome)
    }

    /// Removes everything every store holds for `session`; the number of keys removed.
    pub async fn delete_session(&self, session: &str) -> usize {
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
) -> ToolOutcome {
    let handle = tokio::runtime::Handle::current();
    let (session, tool_name, args_json) = (session.to_owned(), tool.to_owned(), args_json.to_owned());
    tokio::task::spawn_blocking(move || handle.block_on(component.execute(&session, &tool_name, &args_json)))
        .await
        .unwrap_or_else(|err| {
            ToolOutcome::error(ErrorType::ComponentError, format!("The call's thread failed: {err}"))
        })
}

fn open_store(
    manifest: &Manifest,
    label: &str,
    stores: &mut Vec<(String, SharedStore)>,
) -> Result<SharedStore, SandboxError> {
    if let Some((_, store)) = stores.iter().find(|(existing, _)| existing == label) {
        return Ok(store.clone());
    }
    let store: SharedStore = match manifest.store_spec(label) {
        KvStoreSpec::Memory => Arc::new(MemoryStore::new()),
        KvStoreSpec::Redb { path } => {
            let path = manifest.base_dir.join(path);
            Arc::new(RedbStore::open(&path).map_err(|err| SandboxError::KeyValue {
                label: label.to_owned(),
                message: err.to_string(),
            })?)
        }
        KvStoreSpec::Redis { url, ttl_secs } => {
            let url = std::env::var(redis_url_var(label)).unwrap_or(url);
            Arc::new(RedisStore::open(&url, label, ttl_secs).map_err(|err| SandboxError::KeyValue {
                label: label.to_owned(),
                message: err.to_string(),
            })?)
        }
    };
    stores.push((label.to_owned(), store.clone()));
    Ok(store)
}

/// `WEFT_KV_<LABEL>_URL`: the variable overriding a Redis store's URL.
fn redis_url_var(label: &str) -> String {
    let label: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("WEFT_KV_{label}_URL")
}

fn native_kind(source: &str) -> Option<&str> {
    source.strip_prefix("builtin:").filter(|name| NATIVE_COMPONENTS.contains(name))
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
        for (path, content) in &seed.files {
            let args = serde_json::json!({"file_path": path, "content": content}).to_string();
            let outcome = self.execute(session.as_str(), "write_file", &args).await;
            if !outcome.success {
                self.delete_session(session.as_str()).await;
                return Err(BackendError::Seed { path: path.clone(), reason: outcome.result });
            }
        }
        Ok(session)
    }

    async fn execute(&self, session: &SessionId, call: &ToolCall) -> ToolOutcome {
        Sandbox::execute(self, session.as_str(), &call.name, &call.arguments.to_string()).await
    }

    async fn close_session(&self, session: &SessionId) {
        self.delete_session(session.as_str()).await;
    }
}
