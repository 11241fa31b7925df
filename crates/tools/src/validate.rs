//! Checking a call's arguments against its tool's `inputSchema`.
//!
//! A schema is compiled once into a [`Validator`]; [`Validators`] keeps the
//! compiled form of every tool it has seen, so the agent loop and the mock
//! tier pay the compile cost once per schema, not once per call.
//!
//! The draft follows the schema's `$schema` (2020-12 when absent; draft-07,
//! 2019-09, -06 and -04 are recognised). Remote `$ref`s are never fetched:
//! a tool schema must be self-contained.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use weft_protocol::ToolDefinition;

/// At most this many violations are named in one message.
const MAX_REPORTED: usize = 5;

/// Why arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgumentError {
    /// The arguments violate the schema.
    #[error("Invalid arguments: {}", Violations(.0))]
    Invalid(Vec<Violation>),
    /// The tool's own `inputSchema` is not a valid JSON Schema.
    #[error("The inputSchema of '{tool}' is not a valid JSON Schema: {message}")]
    BadSchema {
        /// The tool.
        tool: String,
        /// What is wrong with the schema.
        message: String,
    },
}

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer of the failing instance, `/` for the arguments object itself.
    pub path: String,
    /// What is wrong there, e.g. `5 is not of type "string"`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Violations<'a>(&'a [Violation]);

impl fmt::Display for Violations<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, violation) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            violation.fmt(f)?;
        }
        Ok(())
    }
}

/// One tool's `inputSchema`, compiled.
#[derive(Debug, Clone)]
pub struct Validator {
    compiled: Arc<jsonschema::Validator>,
}

impl Validator {
    /// Compiles `schema`; `tool` names it in the error.
    pub fn compile(tool: &str, schema: &Value) -> Result<Self, ArgumentError> {
        let compiled = jsonschema::validator_for(schema)
            .map_err(|err| ArgumentError::BadSchema { tool: tool.to_owned(), message: err.to_string() })?;
        Ok(Self { compiled: Arc::new(compiled) })
    }

    /// Checks `args`; `null` (a call without arguments) counts as `{}`.
    pub fn validate(&self, args: &Value) -> Result<(), ArgumentError> {
        let empty = Value::Object(serde_json::Map::new());
        let args = if args.is_null() { &empty } else { args };
        if self.compiled.is_valid(args) {
            return Ok(());
        }
        let violations: Vec<Violation> = self
            .compiled
            .iter_errors(args)
            .take(MAX_REPORTED)
            .map(|err| {
                let pointer = err.instance_path().as_str();
                let path = if pointer.is_empty() { "/".to_owned() } else { pointer.to_owned() };
                let message = match err.kind() {
                    ValidationErrorKind::Required { property } => {
                        format!("missing required property {property}")
                    }
                    _ => err.to_string(),
                };
                Violation { path, message }
            })
            .collect();
        Err(ArgumentError::Invalid(violations))
    }
}

/// Compiled validators by tool name, compiled on first use.
///
/// An entry is reused only while the tool's schema is equal to the one it was
/// compiled from: a tool redefined under the same name is recompiled. A schema
/// that does not compile is remembered too, and reported on every call.
#[derive(Debug, Default)]
pub struct Validators {
    compiled: RwLock<HashMap<String, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    schema: Value,
    validator: Result<Validator, ArgumentError>,
}

impl Validators {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `args` against `def.input_schema`, compiling it if needed.
    pub fn validate(&self, def: &ToolDefinition, args: &Value) -> Result<(), ArgumentError> {
        let cached = self.compiled.read().ok().and_then(|map| {
            map.get(&def.name)
                .filter(|entry| entry.schema == def.input_schema)
                .map(|entry| entry.validator.clone())
        });
        let validator = match cached {
            Some(validator) => validator,
            None => {
                let validator = Validator::compile(&def.name, &def.input_schema);
                if let Ok(mut map) = self.compiled.write() {
                    let entry = Entry { schema: def.input_schema.clone(), validator: validator.clone() };
                    map.insert(def.name.clone(), entry);
                }
                validator
            }
        };
        validator?.validate(args)
    }

    /// Number of tools compiled so far.
    pub fn len(&self) -> usize {
        self.compiled.read().map_or(0, |map| map.len())
    }

    /// Whether nothing was compiled yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
