//! [`InProcess`]: the wasm sandbox and the native mock tier behind one
//! [`ToolBackend`], routed by tool name.

use async_trait::async_trait;
use serde_json::Value;
use weft_protocol::{
    BackendError, ErrorType, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOrigin,
    ToolOutcome,
};
use weft_sandbox::{ComponentInfo, Manifest, Sandbox, SandboxError};

use crate::mock::{MOCK_NAMESPACE, MockError, MockTier};

/// Why the in-process backend could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InProcessError {
    /// The sandbox failed to load a component or a store.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The mock tier could not read its stored tools.
    #[error("cannot start the mock tier: {0}")]
    Mock(#[from] MockError),
}

/// Every tool in this process: the sandbox's wasm components, plus the mock
/// tier when the manifest enables it (`source = "builtin:mock"`).
///
/// A tool name goes to the component that offers it; the mock tier serves
/// only names no wasm component offers (a mock tool named like a component
/// tool is shadowed and left out of [`tool_definitions`](Self::tool_definitions)).
/// Cheap to clone.
#[derive(Clone)]
pub struct InProcess {
    sandbox: Sandbox,
    /// The mock component's name and its tier.
    mock: Option<(String, MockTier)>,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("components", &self.components().into_iter().map(|c| c.name).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl InProcess {
    /// Loads every component of `manifest` and the mock tier's stored tools.
    pub async fn new(manifest: Manifest) -> Result<Self, InProcessError> {
        Self::from_sandbox(Sandbox::new(manifest).await?).await
    }

    /// Wraps a loaded sandbox, starting the mock tier it declares.
    pub async fn from_sandbox(sandbox: Sandbox) -> Result<Self, InProcessError> {
        let mut natives = sandbox.native_components().iter().filter(|native| native.kind == "mock");
        let mock = match natives.next() {
            Some(native) => {
                let tier = match &native.store {
                    Some(store) => MockTier::open(store.clone()).await?,
                    None => MockTier::in_memory(),
                };
                Some((native.name.clone(), tier))
            }
            None => None,
        };
        for extra in natives {
            tracing::warn!(component = %extra.name, "only one mock component is served; this one is ignored");
        }
        Ok(Self { sandbox, mock })
    }

    /// The wasm sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The mock tier, when enabled.
    pub fn mock(&self) -> Option<&MockTier> {
        self.mock.as_ref().map(|(_, tier)| tier)
    }

    /// The mock component's name (its route), when enabled.
    pub fn mock_component(&self) -> Option<&str> {
        self.mock.as_ref().map(|(name, _)| name.as_str())
    }

    /// Every component: the sandbox's, then the mock tier with its tools.
    pub fn components(&self) -> Vec<ComponentInfo> {
        let mut components = self.sandbox.components();
        if let Some((name, tier)) = &self.mock {
            components.push(ComponentInfo {
                name: name.clone(),
                tools: tier.tool_definitions(),
                version: "builtin".to_owned(),
                live: false,
            });
        }
        components
    }

    /// Whether a component of that name is served.
    pub fn has_component(&self, name: &str) -> bool {
        self.sandbox.has_component(name) || self.mock_component() == Some(name)
    }

    /// Every tool a model may call, each name once.
    pub fn tool_definitions(&self) -> Vec<ToolDefinition> {
        let mut tools = self.sandbox.tool_definitions();
        if let Some(tier) = self.mock() {
            let mock = tier.tool_definitions();
            tools.extend(mock.into_iter().filter(|tool| self.sandbox.component_of(&tool.name).is_none()));
        }
        tools
    }

    /// The component that serves `tool` by name.
    pub fn component_of(&self, tool: &str) -> Option<&str> {
        self.sandbox.component_of(tool).or_else(|| {
            let (name, tier) = self.mock.as_ref()?;
            tier.has_tool(tool).then_some(name.as_str())
        })
    }

    /// Executes `tool` in `session`, routed by the tool's name.
    pub async fn execute(&self, session: &str, tool: &str, args_json: &str) -> ToolOutcome {
        if let Some(refused) = reserved(session) {
            return refused;
        }
        match self.mock() {
            Some(tier) if self.sandbox.component_of(tool).is_none() => execute_mock(tier, tool, args_json),
            _ => self.sandbox.execute(session, tool, args_json).await,
        }
    }

    /// Executes `tool` on a named component; `None` when no such component is served.
    pub async fn execute_in(
        &self,
        component: &str,
        session: &str,
        tool: &str,
        args_json: &str,
    ) -> Option<ToolOutcome> {
        if let Some(refused) = reserved(session) {
            return self.has_component(component).then_some(refused);
        }
        match &self.mock {
            Some((name, tier)) if name == component => Some(execute_mock(tier, tool, args_json)),
            _ => self.sandbox.execute_in(component, session, tool, args_json).await,
        }
    }

    /// Writes a scenario's files into `session` (see [`Sandbox::seed`]).
    pub async fn seed(&self, session: &str, seed: &ScenarioSeed) -> Result<(), BackendError> {
        if let Some(refused) = reserved(session) {
            return Err(BackendError::Seed { path: String::new(), reason: refused.result });
        }
        self.sandbox.seed(session, seed).await
    }

    /// Removes everything stored for `session`; the number of keys removed.
    /// The mock tier's own namespace is never removed this way.
    pub async fn delete_session(&self, session: &str) -> usize {
        if session == MOCK_NAMESPACE {
            return 0;
        }
        self.sandbox.delete_session(session).await
    }

    /// One line per key-value store.
    pub fn store_summaries(&self) -> Vec<String> {
        self.sandbox.store_summaries()
    }

    /// Wasm instances that may run at once.
    pub fn pool_size(&self) -> u32 {
        self.sandbox.pool_size()
    }
}

fn reserved(session: &str) -> Option<ToolOutcome> {
    (session == MOCK_NAMESPACE || session == weft_sandbox::SPIN_APP_NAMESPACE)
        .then(|| ToolOutcome::error(ErrorType::NotAllowed, format!("Session id '{session}' is reserved")))
}

fn execute_mock(tier: &MockTier, tool: &str, args_json: &str) -> ToolOutcome {
    match serde_json::from_str::<Value>(args_json) {
        Ok(args) => tier.execute(tool, &args),
        Err(err) => ToolOutcome::error(ErrorType::InvalidArguments, format!("Invalid arguments: {err}")),
    }
}

#[async_trait]
impl ToolBackend for InProcess {
    async fn health(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        Ok(self.tool_definitions())
    }

    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        // Seeds are files, written by the sandbox's VFS exactly as it seeds its own sessions.
        ToolBackend::open_session(&self.sandbox, seed).await
    }

    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        if let Some(refused) = reserved(session.as_str()) {
            return Ok(refused);
        }
        match self.mock() {
            // Mock tools take the arguments as they are: no JSON round trip.
            Some(tier) if self.sandbox.component_of(&call.name).is_none() => {
                Ok(tier.execute(&call.name, &call.arguments))
            }
            // A store that failed under the call is the backend's failure.
            _ => ToolBackend::execute(&self.sandbox, session, call).await,
        }
    }

    async fn close_session(&self, session: &SessionId) {
        self.delete_session(session.as_str()).await;
    }

    /// The mock tier answers from its definitions alone: the same call
    /// gets the same answer.
    fn origin(&self, tool: &str) -> Option<ToolOrigin> {
        if let Some(origin) = self.sandbox.origin(tool) {
            return Some(origin);
        }
        let (name, mock) = self.mock.as_ref()?;
        mock.has_tool(tool).then(|| ToolOrigin {
            component: name.clone(),
            version: "builtin".to_owned(),
            live: false,
        })
    }
}
