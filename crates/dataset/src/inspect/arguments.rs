//! Checking each call's arguments against the JSON Schema of the tool of
//! that name in the sample's own `tools`.
//!
//! Samples of one run offer the same tools, so the compiled schemas are
//! cached by the exact text of the `tools` array: a sample pays a string
//! comparison, not a compile. The draft follows each schema's `$schema`
//! (2020-12 when absent); remote `$ref`s are never fetched.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::hash::FastMap;

/// Distinct `tools` texts kept compiled; past this the cache starts over
/// (bounded memory on a dataset whose every sample offers other tools).
const CACHED_TOOL_SETS: usize = 256;

/// What a call's arguments are worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgumentCheck {
    /// Valid against the tool's schema.
    Valid,
    /// Parsed, but the schema refuses them: the first violation.
    Invalid(String),
    /// Not JSON: the parser's message.
    NotJson(String),
    /// The sample offers no tool of that name.
    UnknownTool,
    /// The tool's schema does not compile: why.
    Unchecked(String),
}

impl ArgumentCheck {
    /// The `kind` of [`super::figures::ArgumentProblem`]; `None` when valid.
    pub(crate) fn kind(&self) -> Option<&'static str> {
        match self {
            Self::Valid => None,
            Self::Invalid(_) => Some("invalid"),
            Self::NotJson(_) => Some("not_json"),
            Self::UnknownTool => Some("unknown_tool"),
            Self::Unchecked(_) => Some("unchecked"),
        }
    }

    /// What is wrong, for a person.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Valid => String::new(),
            Self::Invalid(message) | Self::Unchecked(message) => message.clone(),
            Self::NotJson(message) => format!("arguments are not JSON: {message}"),
            Self::UnknownTool => "the sample offers no tool of this name".to_owned(),
        }
    }

    /// Counts as an invalid argument of its tool (not [`Self::Unchecked`]).
    pub(crate) fn is_wrong(&self) -> bool {
        matches!(self, Self::Invalid(_) | Self::NotJson(_) | Self::UnknownTool)
    }
}

/// A call's `arguments` text as JSON; blank or `null` is `{}`.
pub(crate) fn parse_arguments(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str(text) {
        Ok(Value::Null) => Ok(Value::Object(Map::new())),
        Ok(value) => Ok(value),
        Err(err) => Err(err.to_string()),
    }
}

enum Schema {
    Compiled(jsonschema::Validator),
    /// A definition without a schema: anything goes.
    Open,
    Bad(String),
}

/// The compiled schemas of one `tools` array, by tool name.
pub(crate) struct ToolSchemas {
    by_name: FastMap<String, Schema>,
}

impl ToolSchemas {
    /// Compiles every definition of `tools` (OpenAI `{"type": "function",
    /// "function": {"name", "parameters"}}`, or a bare `{"name",
    /// "parameters" | "inputSchema"}`). Entries without a name are ignored;
    /// the first definition of a name wins.
    pub(crate) fn compile(tools: &Value) -> Self {
        let mut by_name = FastMap::default();
        for tool in tools.as_array().into_iter().flatten() {
            let definition = tool.get("function").unwrap_or(tool);
            let Some(name) = definition.get("name").and_then(Value::as_str) else { continue };
            let schema =
                ["parameters", "inputSchema", "input_schema"].iter().find_map(|key| definition.get(*key));
            let compiled = match schema {
                None => Schema::Open,
                Some(schema) => match jsonschema::validator_for(schema) {
                    Ok(validator) => Schema::Compiled(validator),
                    Err(err) => {
                        Schema::Bad(format!("the schema of {name} is not a valid JSON Schema: {err}"))
                    }
                },
            };
            by_name.entry(name.to_owned()).or_insert(compiled);
        }
        Self { by_name }
    }

    /// Checks the arguments of a call to `tool` (already parsed).
    pub(crate) fn check(&self, tool: &str, arguments: &Result<Value, String>) -> ArgumentCheck {
        let schema = match self.by_name.get(tool) {
            None => return ArgumentCheck::UnknownTool,
            Some(Schema::Bad(why)) => return ArgumentCheck::Unchecked(why.clone()),
            Some(schema) => schema,
        };
        let arguments = match arguments {
            Ok(value) => value,
            Err(message) => return ArgumentCheck::NotJson(message.clone()),
        };
        let Schema::Compiled(validator) = schema else { return ArgumentCheck::Valid };
        if validator.is_valid(arguments) {
            return ArgumentCheck::Valid;
        }
        match validator.iter_errors(arguments).next() {
            None => ArgumentCheck::Valid,
            Some(error) => {
                let pointer = error.instance_path().as_str();
                let at = if pointer.is_empty() { "/" } else { pointer };
                ArgumentCheck::Invalid(format!("{at}: {error}"))
            }
        }
    }
}

/// Compiled [`ToolSchemas`] by the text of the `tools` array.
#[derive(Default)]
pub(crate) struct SchemaCache {
    last: Option<(Box<str>, Arc<ToolSchemas>)>,
    by_text: FastMap<Box<str>, Arc<ToolSchemas>>,
}

impl SchemaCache {
    /// The schemas of the `tools` array whose JSON text is `text`.
    pub(crate) fn get(&mut self, text: &str) -> Arc<ToolSchemas> {
        if let Some((last_text, schemas)) = &self.last
            && **last_text == *text
        {
            return Arc::clone(schemas);
        }
        let schemas = match self.by_text.get(text) {
            Some(schemas) => Arc::clone(schemas),
            None => {
                if self.by_text.len() >= CACHED_TOOL_SETS {
                    self.by_text.clear();
                }
                // `text` is the raw text of a JSON value, so it parses.
                let tools = serde_json::from_str(text).unwrap_or(Value::Null);
                let schemas = Arc::new(ToolSchemas::compile(&tools));
                self.by_text.insert(text.into(), Arc::clone(&schemas));
                schemas
            }
        };
        self.last = Some((text.into(), Arc::clone(&schemas)));
        schemas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> ToolSchemas {
        ToolSchemas::compile(&serde_json::json!([
            {"type": "function", "function": {"name": "read_file", "parameters": {
                "type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]}}},
            {"name": "free"},
            {"name": "broken", "inputSchema": {"type": 5}}
        ]))
    }

    #[test]
    fn each_outcome() {
        let s = schemas();
        let check = |tool: &str, args: &str| s.check(tool, &parse_arguments(args));
        assert_eq!(check("read_file", r#"{"file_path": "a"}"#), ArgumentCheck::Valid);
        let ArgumentCheck::Invalid(why) = check("read_file", "{}") else { panic!() };
        assert!(why.starts_with("/: ") && why.contains("file_path"), "{why}");
        let ArgumentCheck::Invalid(why) = check("read_file", r#"{"file_path": 5}"#) else { panic!() };
        assert!(why.starts_with("/file_path: "), "{why}");
        assert!(matches!(check("read_file", "{oops"), ArgumentCheck::NotJson(_)));
        assert_eq!(check("free", "[1]"), ArgumentCheck::Valid);
        assert_eq!(check("nope", "{}"), ArgumentCheck::UnknownTool);
        assert!(matches!(check("broken", "{}"), ArgumentCheck::Unchecked(_)));
        // Blank and null arguments are an empty object.
        assert!(matches!(check("read_file", " "), ArgumentCheck::Invalid(_)));
        assert!(matches!(check("read_file", "null"), ArgumentCheck::Invalid(_)));
    }

    #[test]
    fn cache_reuses_by_text() {
        let mut cache = SchemaCache::default();
        let a = cache.get(r#"[{"name": "x"}]"#);
        let b = cache.get(r#"[{"name": "x"}]"#);
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.get(r#"[{"name": "y"}]"#);
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(Arc::ptr_eq(&a, &cache.get(r#"[{"name": "x"}]"#)));
    }
}
