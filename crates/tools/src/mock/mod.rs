//! The mock tier: tools defined by a schema alone, answering canned or
//! templated responses. It runs natively in the host (no guest code runs, and
//! compiled argument validators live across calls), yet to the outside it is
//! the component `mock`.
//!
//! A tool answers, in this order:
//!
//! 1. `UnknownTool` when no tool of that name is loaded;
//! 2. `InvalidArguments` when the arguments violate its `inputSchema`;
//! 3. the most specific matching fixture (most `match` keys; ties go to the
//!    fixture added first);
//! 4. its `mockResponse` template ([`template`](self) rules: `{{arg}}`,
//!    `{{a.b}}`, `{{items.0}}`; missing paths become `null` or `""`);
//! 5. the default response `{"tool", "description", "input_received",
//!    "mock_result", "status"}`.
//!
//! The result text is the compact JSON of the response. Tools persist in the
//! session store granted to the component under the reserved session
//! [`MOCK_NAMESPACE`], one key `tool:<name>` each, and are loaded back on start.

mod record;
mod template;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{Value, json};
use weft_kv::SharedStore;
use weft_protocol::{ErrorType, ToolDefinition, ToolOutcome};

pub use record::{Fixture, MockToolRecord};
use template::Template;

use crate::validate::{ArgumentError, Validator};

/// The session of the key-value store that holds mock tools; tool calls may
/// not use it.
pub const MOCK_NAMESPACE: &str = "__weft_mock__";

const KEY_PREFIX: &str = "tool:";

/// Why a mock-tier request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// A `load-schema` body or a response/fixture could not be used.
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    /// No mock tool of that name is loaded.
    #[error("Unknown mock tool: {0}")]
    UnknownTool(String),
    /// The key-value store failed; memory and store may now disagree.
    #[error("The mock tool store failed: {0}")]
    Store(String),
}

/// What `load_schema` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Loaded {
    /// How many tools were added or replaced.
    pub loaded: usize,
    /// Their names, in the order given.
    pub tools: Vec<String>,
}

/// A loaded tool, compiled: validator, templates and fixtures in match order.
#[derive(Debug)]
struct MockTool {
    record: MockToolRecord,
    validator: Validator,
    response: Option<Template>,
    /// (fixture index in `record.mock_fixtures`, parsed response), most
    /// specific first, insertion order within equal specificity.
    fixtures: Vec<(usize, Template)>,
    /// The record as the store holds it (empty without a store): a shared
    /// store's copy is compared with it to tell whether to recompile.
    stored: Vec<u8>,
}

impl MockTool {
    fn compile(record: MockToolRecord) -> Result<Self, MockError> {
        let validator = Validator::compile(&record.definition.name, &record.definition.input_schema)
            .map_err(|err| MockError::InvalidSchema(err.to_string()))?;
        let response = record.mock_response.as_ref().map(Template::parse);
        let mut fixtures: Vec<(usize, Template)> = record
            .mock_fixtures
            .iter()
            .enumerate()
            .map(|(index, fixture)| (index, Template::parse(&fixture.response)))
            .collect();
        // Stable: equal specificity keeps insertion order.
        fixtures.sort_by_key(|(index, _)| std::cmp::Reverse(record.mock_fixtures[*index].matches.len()));
        Ok(Self { record, validator, response, fixtures, stored: Vec::new() })
    }

    /// A tool from the bytes a store holds.
    fn decode(bytes: Vec<u8>) -> Result<Self, MockError> {
        let record = serde_json::from_slice::<MockToolRecord>(&bytes)
            .map_err(|err| MockError::InvalidSchema(err.to_string()))?;
        Ok(Self { stored: bytes, ..Self::compile(record)? })
    }

    fn respond(&self, args: &Value) -> Value {
        let fixture = self.fixtures.iter().find(|(index, _)| self.record.mock_fixtures[*index].matches(args));
        if let Some((_, template)) = fixture {
            return template.render(args);
        }
        if let Some(template) = &self.response {
            return template.render(args);
        }
        let name = &self.record.definition.name;
        json!({
            "tool": name,
            "description": self.record.definition.description,
            "input_received": args,
            "mock_result": format!("Successfully executed {name}"),
            "status": "success",
        })
    }
}

/// The registry of mock tools. Cheap to clone; clones share tools and store.
///
/// With a store that other replicas share (Redis), the store is the truth:
/// every lookup reads the tool's record from it (one round trip) and the
/// compiled tool is reused while the record is unchanged, so a tool loaded,
/// changed or cleared through one `weft serve` replica is what every replica
/// answers with next.
#[derive(Clone)]
pub struct MockTier {
    tools: Arc<RwLock<BTreeMap<String, Arc<MockTool>>>>,
    store: Option<SharedStore>,
}

impl std::fmt::Debug for MockTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockTier").field("tools", &self.tool_names()).finish_non_exhaustive()
    }
}

impl MockTier {
    /// A tier that keeps its tools in memory only.
    pub fn in_memory() -> Self {
        Self { tools: Arc::default(), store: None }
    }

    /// A tier persisted in `store`, with the tools stored there loaded back.
    /// A stored record that no longer parses is skipped with a warning.
    pub async fn open(store: SharedStore) -> Result<Self, MockError> {
        let keys = store.list_keys(MOCK_NAMESPACE, KEY_PREFIX).map_err(store_error)?;
        let mut tools = BTreeMap::new();
        for key in keys {
            let Some(bytes) = store.get(MOCK_NAMESPACE, &key).map_err(store_error)? else { continue };
            match MockTool::decode(bytes) {
                Ok(tool) => {
                    tools.insert(tool.record.definition.name.clone(), Arc::new(tool));
                }
                Err(err) => tracing::warn!(key = %key, "skipping a stored mock tool: {err}"),
            }
        }
        Ok(Self { tools: Arc::new(RwLock::new(tools)), store: Some(store) })
    }

    /// The store, when other replicas share it.
    fn shared_store(&self) -> Option<&SharedStore> {
        self.store.as_ref().filter(|store| store.is_remote())
    }

    /// The tool called `name`: from the shared store when there is one (a
    /// failing store falls back to what this replica last saw).
    fn tool(&self, name: &str) -> Option<Arc<MockTool>> {
        let cached = self.read(|tools| tools.get(name).cloned());
        let Some(store) = self.shared_store() else { return cached };
        let stored = match store.get(MOCK_NAMESPACE, &format!("{KEY_PREFIX}{name}")) {
            Ok(stored) => stored,
            Err(err) => {
                tracing::warn!(tool = name, "cannot read a mock tool from the shared store: {err}");
                return cached;
            }
        };
        let Some(bytes) = stored else {
            if let Ok(mut tools) = self.tools.write() {
                tools.remove(name);
            }
            return None;
        };
        if let Some(tool) = cached.filter(|tool| tool.stored == bytes) {
            return Some(tool);
        }
        let tool = match MockTool::decode(bytes) {
            Ok(tool) => Arc::new(tool),
            Err(err) => {
                tracing::warn!(tool = name, "skipping a stored mock tool: {err}");
                return None;
            }
        };
        if let Ok(mut tools) = self.tools.write() {
            tools.insert(name.to_owned(), tool.clone());
        }
        Some(tool)
    }

    /// Every tool, by name: re-read from the shared store when there is one.
    fn all(&self) -> Vec<Arc<MockTool>> {
        let Some(store) = self.shared_store() else {
            return self.read(|tools| tools.values().cloned().collect());
        };
        let names: Vec<String> = match store.list_keys(MOCK_NAMESPACE, KEY_PREFIX) {
            Ok(keys) => keys.iter().map(|key| key[KEY_PREFIX.len()..].to_owned()).collect(),
            Err(err) => {
                tracing::warn!("cannot list mock tools in the shared store: {err}");
                return self.read(|tools| tools.values().cloned().collect());
            }
        };
        if let Ok(mut tools) = self.tools.write() {
            tools.retain(|name, _| names.contains(name));
        }
        names.iter().filter_map(|name| self.tool(name)).collect()
    }

    /// Adds or replaces (by name) every tool of a `load-schema` body: a JSON
    /// or YAML list of tools, or `{"tools": [...]}`. Nothing is loaded unless
    /// every tool is valid.
    pub async fn load_schema(&self, body: &[u8]) -> Result<Loaded, MockError> {
        let records = record::parse_tools(body)?;
        let mut compiled = Vec::with_capacity(records.len());
        for (index, record) in records.into_iter().enumerate() {
            let name = record.definition.name.clone();
            let tool = MockTool::compile(record)
                .map_err(|err| MockError::InvalidSchema(format!("tool #{index} ('{name}'): {err}")))?;
            compiled.push(tool);
        }
        let names: Vec<String> = compiled.iter().map(|tool| tool.record.definition.name.clone()).collect();
        for tool in compiled {
            self.put(tool).await?;
        }
        Ok(Loaded { loaded: names.len(), tools: names })
    }

    /// Sets (or, with `null`, removes) a tool's `mockResponse` template.
    pub async fn update_response(&self, name: &str, response: Value) -> Result<(), MockError> {
        let mut record = self.record(name)?;
        record.mock_response = (!response.is_null()).then_some(response);
        self.put(MockTool::compile(record)?).await
    }

    /// Adds an argument-specific response to a tool.
    pub async fn add_fixture(&self, name: &str, fixture: Fixture) -> Result<(), MockError> {
        let mut record = self.record(name)?;
        record.mock_fixtures.push(fixture);
        self.put(MockTool::compile(record)?).await
    }

    /// Every tool with its mock extensions, by name.
    pub fn list_tools(&self) -> Vec<MockToolRecord> {
        self.all().iter().map(|tool| tool.record.clone()).collect()
    }

    /// The MCP definitions of every tool, by name.
    pub fn tool_definitions(&self) -> Vec<ToolDefinition> {
        self.all().iter().map(|tool| tool.record.definition.clone()).collect()
    }

    /// Whether a tool of that name is loaded.
    pub fn has_tool(&self, name: &str) -> bool {
        self.tool(name).is_some()
    }

    /// Removes every tool; how many there were.
    pub async fn clear(&self) -> Result<usize, MockError> {
        let removed = match self.tools.write() {
            Ok(mut tools) => std::mem::take(&mut *tools).len(),
            Err(_) => return Err(poisoned()),
        };
        if let Some(store) = &self.store {
            store.delete_session(MOCK_NAMESPACE).map_err(store_error)?;
        }
        Ok(removed)
    }

    /// Executes one call; the result text is the response's compact JSON.
    /// Never fails: errors are outcomes.
    pub fn execute(&self, name: &str, args: &Value) -> ToolOutcome {
        match self.respond(name, args) {
            Ok(response) => ToolOutcome::ok(response.to_string()),
            Err(failed) => failed,
        }
    }

    /// Executes one call and returns the response as JSON; a failure is the
    /// failed outcome (`UnknownTool`, `InvalidArguments`).
    pub fn respond(&self, name: &str, args: &Value) -> Result<Value, ToolOutcome> {
        let Some(tool) = self.tool(name) else {
            return Err(ToolOutcome::error(ErrorType::UnknownTool, format!("Unknown tool: {name}")));
        };
        let empty = Value::Object(serde_json::Map::new());
        let args = if args.is_null() { &empty } else { args };
        if let Err(err) = tool.validator.validate(args) {
            let kind = match err {
                ArgumentError::BadSchema { .. } => ErrorType::ComponentError,
                _ => ErrorType::InvalidArguments,
            };
            return Err(ToolOutcome::error(kind, err.to_string()));
        }
        Ok(tool.respond(args))
    }

    fn tool_names(&self) -> Vec<String> {
        self.read(|tools| tools.keys().cloned().collect())
    }

    fn record(&self, name: &str) -> Result<MockToolRecord, MockError> {
        self.tool(name).map(|tool| tool.record.clone()).ok_or_else(|| MockError::UnknownTool(name.to_owned()))
    }

    async fn put(&self, mut tool: MockTool) -> Result<(), MockError> {
        if let Some(store) = &self.store {
            let bytes = serde_json::to_vec(&tool.record).map_err(|err| MockError::Store(err.to_string()))?;
            let key = format!("{KEY_PREFIX}{}", tool.record.definition.name);
            store.set(MOCK_NAMESPACE, &key, &bytes).map_err(store_error)?;
            tool.stored = bytes;
        }
        let mut tools = self.tools.write().map_err(|_| poisoned())?;
        tools.insert(tool.record.definition.name.clone(), Arc::new(tool));
        Ok(())
    }

    fn read<T: Default>(&self, f: impl FnOnce(&BTreeMap<String, Arc<MockTool>>) -> T) -> T {
        self.tools.read().map(|tools| f(&tools)).unwrap_or_default()
    }
}

fn store_error(err: weft_kv::KvError) -> MockError {
    MockError::Store(err.to_string())
}

fn poisoned() -> MockError {
    MockError::Store("the mock registry lock is poisoned".into())
}
