//! OpenAI Chat Completions, and every server that speaks it (OpenRouter,
//! vLLM, LM Studio, llama.cpp, Ollama's `/v1`).

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use weft_protocol::ToolDefinition;

use super::{assigned_call_id, count, identifier, malformed};
use crate::http::{Sampling, WireFormat, serialise};
use crate::schema::openai_strict;
use crate::{ChatRequest, ChatResponse, FinishReason, Message, ModelToolCall, Role, ToolChoice, Usage};

/// The Chat Completions wire format.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiWire {
    /// Provider name for errors.
    pub(crate) provider: String,
    /// `max_completion_tokens` for api.openai.com (its reasoning models
    /// refuse `max_tokens`), `max_tokens` for compatible servers.
    pub(crate) max_tokens_field: &'static str,
    /// The tools array of the last tool set seen, as JSON.
    tools_json: ToolsJson,
}

impl OpenAiWire {
    pub(crate) fn new(provider: String, max_tokens_field: &'static str) -> Self {
        Self { provider, max_tokens_field, tools_json: ToolsJson::default() }
    }
}

/// A tool set's `tools` array, written once. A run offers the same `Arc` of
/// tools at every step, and their descriptions and schemas were written
/// (escaped, the schemas walked as trees) into every body again. The entry
/// holds its `Arc`, so the address it is matched by cannot be reused.
#[derive(Debug, Default)]
struct ToolsJson(Mutex<Option<Written>>);

/// A tool set and its JSON.
type Written = (Arc<[ToolDefinition]>, Arc<RawValue>);

impl Clone for ToolsJson {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl ToolsJson {
    fn of(&self, tools: &Arc<[ToolDefinition]>) -> Result<Arc<RawValue>, crate::LlmError> {
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, json)) = last.as_ref()
            && Arc::ptr_eq(seen, tools)
        {
            return Ok(json.clone());
        }
        let wire: Vec<WireTool<'_>> = tools
            .iter()
            .map(|tool| WireTool {
                kind: "function",
                function: WireFunction {
                    name: &tool.name,
                    description: &tool.description,
                    parameters: &tool.input_schema,
                },
            })
            .collect();
        let json: Arc<RawValue> = serde_json::value::to_raw_value(&wire)
            .map_err(|err| crate::LlmError::Config(format!("cannot serialise the tools: {err}")))?
            .into();
        *last = Some((tools.clone(), json.clone()));
        Ok(json)
    }
}

impl WireFormat for OpenAiWire {
    fn path(&self, _model: &str) -> String {
        "/chat/completions".to_owned()
    }

    fn body(&self, model: &str, request: &ChatRequest, sampling: Sampling) -> Result<Value, crate::LlmError> {
        let mut body = Map::new();
        body.insert("model".into(), model.into());
        body.insert("messages".into(), request.messages.iter().map(message).collect());
        if !request.tools.is_empty() {
            let tools = request
                .tools
                .iter()
                .map(|tool| {
                    json!({"type": "function", "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    }})
                })
                .collect();
            body.insert("tools".into(), tools);
            let choice = match request.tool_choice {
                ToolChoice::Auto => "auto",
                ToolChoice::None => "none",
                ToolChoice::Required => "required",
            };
            body.insert("tool_choice".into(), choice.into());
        }
        if let Some(schema) = &request.response_schema {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {
                    "name": identifier(&schema.name),
                    "strict": true,
                    "schema": openai_strict(&schema.schema),
                }}),
            );
        }
        if let Some(temperature) = sampling.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if let Some(max_tokens) = sampling.max_tokens {
            body.insert(self.max_tokens_field.into(), json!(max_tokens));
        }
        Ok(Value::Object(body))
    }

    fn body_bytes(
        &self,
        model: &str,
        request: &ChatRequest,
        sampling: Sampling,
    ) -> Result<Vec<u8>, crate::LlmError> {
        // The same body as `body`, field for field, written straight from
        // the request: the history is borrowed, not copied into a tree.
        let tools = if request.tools.is_empty() { None } else { Some(self.tools_json.of(&request.tools)?) };
        let response_format = request.response_schema.as_ref().map(|schema| WireResponseFormat {
            kind: "json_schema",
            json_schema: WireJsonSchema {
                name: identifier(&schema.name),
                strict: true,
                schema: openai_strict(&schema.schema),
            },
        });
        let (max_tokens, max_completion_tokens) = match self.max_tokens_field {
            "max_completion_tokens" => (None, sampling.max_tokens),
            _ => (sampling.max_tokens, None),
        };
        let body = WireBody {
            model,
            messages: request.messages.iter().map(WireMessage).collect(),
            tool_choice: (!request.tools.is_empty()).then_some(match request.tool_choice {
                ToolChoice::Auto => "auto",
                ToolChoice::None => "none",
                ToolChoice::Required => "required",
            }),
            tools: tools.as_deref(),
            response_format,
            // As `json!` would: the f32 widened to f64.
            temperature: sampling.temperature.map(f64::from),
            max_tokens,
            max_completion_tokens,
        };
        serialise(&body)
    }

    fn parse(&self, _request: &ChatRequest, reply: Value) -> Result<ChatResponse, crate::LlmError> {
        let choice = reply
            .get("choices")
            .and_then(|choices| choices.get(0))
            .ok_or_else(|| malformed(&self.provider, "no choices in the reply"))?;
        let message =
            choice.get("message").ok_or_else(|| malformed(&self.provider, "choice has no message"))?;
        let content = text_of(message.get("content"));
        let reasoning = reasoning_of(message.get("reasoning_content"), message.get("reasoning"));
        let mut tool_calls = Vec::new();
        for (index, call) in
            message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            let function = call
                .get("function")
                .ok_or_else(|| malformed(&self.provider, "tool call without function"))?;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&self.provider, "tool call without a name"))?;
            tool_calls.push(tool_call(index, call.get("id"), name, function.get("arguments")));
        }
        let finish_reason =
            finish_reason(choice.get("finish_reason").and_then(Value::as_str), !tool_calls.is_empty());
        let usage = usage_of(reply.get("usage"));
        Ok(ChatResponse { content, tool_calls, reasoning, usage, finish_reason })
    }

    fn parse_bytes(
        &self,
        _request: &ChatRequest,
        bytes: &[u8],
    ) -> Option<Result<ChatResponse, crate::LlmError>> {
        let reply: FastReply = serde_json::from_slice(bytes).ok()?;
        let choice = reply.choices.into_iter().next()?;
        let message = choice.message?;
        let mut tool_calls = Vec::new();
        for (index, call) in message.tool_calls.unwrap_or_default().into_iter().enumerate() {
            let function = call.function?;
            let name = function.name.as_ref().and_then(Value::as_str)?;
            tool_calls.push(tool_call(index, call.id.as_ref(), name, function.arguments.as_ref()));
        }
        let finish_reason =
            finish_reason(choice.finish_reason.as_ref().and_then(Value::as_str), !tool_calls.is_empty());
        Some(Ok(ChatResponse {
            content: text_of(message.content.as_ref()),
            reasoning: reasoning_of(message.reasoning_content.as_ref(), message.reasoning.as_ref()),
            tool_calls,
            usage: usage_of(reply.usage.as_ref()),
            finish_reason,
        }))
    }
}

/// The usual shape of a reply, read without a JSON tree; every field the
/// tree walk of `parse` treats loosely stays a `Value` here. Anything else
/// fails to deserialize, and `parse` explains it.
#[derive(serde::Deserialize)]
struct FastReply {
    choices: Vec<FastChoice>,
    usage: Option<Value>,
}

#[derive(serde::Deserialize)]
struct FastChoice {
    message: Option<FastMessage>,
    finish_reason: Option<Value>,
}

#[derive(serde::Deserialize)]
struct FastMessage {
    content: Option<Value>,
    reasoning_content: Option<Value>,
    reasoning: Option<Value>,
    tool_calls: Option<Vec<FastCall>>,
}

#[derive(serde::Deserialize)]
struct FastCall {
    id: Option<Value>,
    function: Option<FastFunction>,
}

#[derive(serde::Deserialize)]
struct FastFunction {
    name: Option<Value>,
    arguments: Option<Value>,
}

/// The first non-empty text of `reasoning_content`, else `reasoning`.
fn reasoning_of(content: Option<&Value>, reasoning: Option<&Value>) -> Option<String> {
    [content, reasoning]
        .into_iter()
        .find_map(|field| field.and_then(Value::as_str))
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// One call: arguments as text (`{}` when absent), the reply's id or one
/// derived from the call.
fn tool_call(index: usize, id: Option<&Value>, name: &str, arguments: Option<&Value>) -> ModelToolCall {
    let arguments = match arguments {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => "{}".to_owned(),
        Some(other) => other.to_string(),
    };
    let id = match id.and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => assigned_call_id(index, name, &arguments),
    };
    ModelToolCall { id, name: name.to_owned(), arguments }
}

fn finish_reason(reason: Option<&str>, has_calls: bool) -> FinishReason {
    match reason {
        _ if has_calls => FinishReason::ToolCalls,
        Some("stop") | None => FinishReason::Stop,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("length") => FinishReason::Length,
        Some("content_filter") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

fn usage_of(usage: Option<&Value>) -> Usage {
    usage.map_or_else(Usage::default, |usage| Usage {
        prompt_tokens: count(usage, "prompt_tokens"),
        completion_tokens: count(usage, "completion_tokens"),
    })
}

/// A request body, borrowed from the request.
#[derive(serde::Serialize)]
struct WireBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireResponseFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
}

#[derive(serde::Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(serde::Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

#[derive(serde::Serialize)]
struct WireResponseFormat {
    #[serde(rename = "type")]
    kind: &'static str,
    json_schema: WireJsonSchema,
}

#[derive(serde::Serialize)]
struct WireJsonSchema {
    name: String,
    strict: bool,
    schema: Value,
}

/// One message as [`message`] writes it.
struct WireMessage<'a>(&'a Message);

impl serde::Serialize for WireMessage<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let message = self.0;
        let mut map = serializer.serialize_map(None)?;
        match message.role {
            Role::System => {
                map.serialize_entry("role", "system")?;
                map.serialize_entry("content", &message.content)?;
            }
            Role::User => {
                map.serialize_entry("role", "user")?;
                map.serialize_entry("content", &message.content)?;
            }
            Role::Assistant if message.tool_calls.is_empty() => {
                map.serialize_entry("role", "assistant")?;
                map.serialize_entry("content", &message.content)?;
            }
            Role::Assistant => {
                map.serialize_entry("role", "assistant")?;
                let content = (!message.content.is_empty()).then_some(message.content.as_str());
                map.serialize_entry("content", &content)?;
                let calls: Vec<WireCall<'_>> = message.tool_calls.iter().map(WireCall).collect();
                map.serialize_entry("tool_calls", &calls)?;
            }
            Role::Tool => {
                map.serialize_entry("role", "tool")?;
                map.serialize_entry("tool_call_id", message.tool_call_id.as_deref().unwrap_or_default())?;
                map.serialize_entry("content", &message.content)?;
            }
        }
        map.end()
    }
}

/// One tool call of an assistant message.
struct WireCall<'a>(&'a ModelToolCall);

impl serde::Serialize for WireCall<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let call = self.0;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("id", &call.id)?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry("function", &WireCallFunction { name: &call.name, arguments: &call.arguments })?;
        map.end()
    }
}

#[derive(serde::Serialize)]
struct WireCallFunction<'a> {
    name: &'a str,
    arguments: &'a str,
}

fn message(message: &Message) -> Value {
    match message.role {
        Role::System => json!({"role": "system", "content": message.content}),
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant if message.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": message.content})
        }
        Role::Assistant => {
            let calls: Vec<Value> = message
                .tool_calls
                .iter()
                .map(|call| {
                    json!({"id": call.id, "type": "function",
                           "function": {"name": call.name, "arguments": call.arguments}})
                })
                .collect();
            let content =
                if message.content.is_empty() { Value::Null } else { message.content.clone().into() };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        }),
    }
}

/// `content` as a string, an array of text parts, or null.
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResponseSchema;

    fn tool(name: &str) -> weft_protocol::ToolDefinition {
        serde_json::from_value(json!({
            "name": name,
            "description": "Reads a \"file\"\n(UTF-8).",
            "inputSchema": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
        }))
        .expect("a tool")
    }

    /// The bytes written directly are the serialised tree, byte for byte,
    /// for every role, with and without tools, schema and sampling.
    #[test]
    fn body_bytes_are_the_serialised_body() {
        let call = ModelToolCall {
            id: "abc123XYZ".into(),
            name: "read_file".into(),
            arguments: "{\"file_path\":\"a\"}".into(),
        };
        let messages = vec![
            Message::system("You help.\n\"Quoted\" ✓"),
            Message::user("Read a"),
            Message { tool_calls: vec![call.clone()], ..Message::assistant("") },
            Message::tool("abc123XYZ", "read_file", "contents\twith\u{1}control"),
            Message { tool_calls: vec![call], ..Message::assistant("Again.") },
            Message::tool("abc123XYZ", "read_file", ""),
            Message::assistant("Done."),
        ];
        let requests = [
            ChatRequest { messages: messages.clone(), ..ChatRequest::default() },
            ChatRequest {
                messages: messages.clone(),
                tools: vec![tool("read_file"), tool("write_file")].into(),
                tool_choice: ToolChoice::Required,
                ..ChatRequest::default()
            },
            ChatRequest {
                messages,
                tools: vec![tool("read_file")].into(),
                tool_choice: ToolChoice::None,
                response_schema: Some(ResponseSchema {
                    name: "agent step".into(),
                    schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                }),
                ..ChatRequest::default()
            },
        ];
        let samplings = [
            Sampling::default(),
            Sampling { temperature: Some(0.7), max_tokens: Some(512) },
            Sampling { temperature: Some(1.0), max_tokens: None },
        ];
        for field in ["max_tokens", "max_completion_tokens"] {
            let wire = OpenAiWire::new("openai".into(), field);
            for request in &requests {
                for sampling in samplings {
                    let tree =
                        serde_json::to_vec(&wire.body("m", request, sampling).expect("body")).expect("json");
                    let direct = wire.body_bytes("m", request, sampling).expect("bytes");
                    assert_eq!(String::from_utf8_lossy(&direct), String::from_utf8_lossy(&tree));
                }
            }
        }
    }

    /// A tool set's JSON is written once and reused while the same set is
    /// offered; another set replaces it, and every body still equals the tree.
    #[test]
    fn the_tools_json_follows_the_tool_set() {
        let wire = OpenAiWire::new("openai".into(), "max_tokens");
        let first: Arc<[ToolDefinition]> = vec![tool("read_file"), tool("write_file")].into();
        let second: Arc<[ToolDefinition]> = vec![tool("list_files")].into();
        let cached = || wire.tools_json.0.lock().expect("lock").as_ref().map(|(tools, _)| tools.clone());
        for (tools, turn) in [(&first, "one"), (&first, "two"), (&second, "three"), (&first, "four")] {
            let request = ChatRequest {
                messages: vec![Message::user(turn)],
                tools: tools.clone(),
                ..ChatRequest::default()
            };
            let sampling = Sampling { temperature: None, max_tokens: None };
            let tree = serde_json::to_vec(&wire.body("m", &request, sampling).expect("body")).expect("json");
            let direct = wire.body_bytes("m", &request, sampling).expect("bytes");
            assert_eq!(String::from_utf8_lossy(&direct), String::from_utf8_lossy(&tree), "{turn}");
            assert!(cached().is_some_and(|seen| Arc::ptr_eq(&seen, tools)), "{turn}");
        }
        let before = wire.tools_json.0.lock().expect("lock").as_ref().map(|(_, json)| json.clone());
        let request = ChatRequest { tools: first.clone(), ..ChatRequest::default() };
        wire.body_bytes("m", &request, Sampling { temperature: None, max_tokens: None }).expect("bytes");
        let after = wire.tools_json.0.lock().expect("lock").as_ref().map(|(_, json)| json.clone());
        assert!(matches!((before, after), (Some(a), Some(b)) if Arc::ptr_eq(&a, &b)), "written again");
    }

    /// Replies read straight into the typed structs give what the JSON tree
    /// walk gives; shapes the typed path does not take fall back to it.
    #[test]
    fn typed_replies_parse_as_the_tree_does() {
        let wire = OpenAiWire::new("openai".into(), "max_tokens");
        let request = ChatRequest::default();
        let replies = [
            json!({"choices": [{"message": {"role": "assistant", "content": "Hi", "reasoning_content": "think"},
                   "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
            json!({"choices": [{"message": {"content": null, "reasoning_content": null, "reasoning": "r",
                   "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "read_file",
                   "arguments": "{\"file_path\":\"a\"}"}}, {"function": {"name": "list_files", "arguments": null}},
                   {"id": "", "function": {"name": "write_file", "arguments": {"file_path": "b"}}}]},
                   "finish_reason": "length"}], "usage": null}),
            json!({"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"text": "b"}]},
                   "finish_reason": "content_filter"}], "id": "x", "extra": [1, 2]}),
            json!({"choices": [{"message": {"content": "x"}, "finish_reason": "weird"}]}),
            json!({"choices": [{"message": {"content": "x"}}]}),
        ];
        for reply in replies {
            let bytes = serde_json::to_vec(&reply).expect("bytes");
            let typed = wire.parse_bytes(&request, &bytes).expect("the typed path takes it").expect("parsed");
            assert_eq!(typed, wire.parse(&request, reply.clone()).expect("parsed"), "{reply}");
        }
        // Not the usual shape: the typed path declines and the tree walk names the problem.
        for odd in [
            json!({"choices": []}),
            json!({"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{}"}}]}}]}),
            json!({"choices": [{"message": {"tool_calls": [{"id": "c"}]}}]}),
            json!({"choices": "none"}),
            json!([1]),
        ] {
            let bytes = serde_json::to_vec(&odd).expect("bytes");
            assert!(wire.parse_bytes(&request, &bytes).is_none(), "{odd}");
        }
    }
}
