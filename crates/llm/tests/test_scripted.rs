//! The scripted provider: deterministic, and a careful agent over a sandbox
//! that answers with the real envelopes and error messages.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};
use weft_llm::{
    ChatModel, ChatRequest, FinishReason, Message, ModelEnv, ProviderSpec, Purpose, Role, ToolChoice,
    UsageCounter, build_model_in,
};

fn scripted(seed: u64) -> std::sync::Arc<dyn ChatModel> {
    build_model_in(&ProviderSpec { seed, ..ProviderSpec::new("scripted", "scripted-agent") }, &empty_env())
        .unwrap()
}

/// The VFS's behaviour in miniature: the real messages and envelope.
struct Sandbox {
    files: BTreeMap<String, String>,
}

impl Sandbox {
    fn seeded() -> Self {
        let files = [
            ("data/sales.csv", "region,amount\nnorth,120\nsouth,80\n"),
            ("src/main.py", "import sys\n\ndef main():\n    print('hello')\n"),
            ("docs/guide.md", "# Deployment guide\nRun make deploy.\n"),
        ];
        Self { files: files.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect() }
    }

    fn execute(&mut self, name: &str, arguments: &str) -> String {
        let args: Value = serde_json::from_str(arguments).expect("scripted arguments are JSON");
        let path = args.get("file_path").and_then(Value::as_str).unwrap_or_default().to_owned();
        let envelope = |ok: bool, result: String, error: Option<&str>| {
            let mut value = json!({"success": ok, "result": result});
            if let Some(error) = error {
                value["error_type"] = error.into();
            }
            value.to_string()
        };
        if path.starts_with('/') || path.contains("..") {
            return envelope(false, format!("Access denied: {path}"), Some("PermissionDenied"));
        }
        match name {
            "list_files" => {
                envelope(true, serde_json::to_string(&self.files.keys().collect::<Vec<_>>()).unwrap(), None)
            }
            "read_file" => match self.files.get(&path) {
                Some(content) => envelope(true, content.clone(), None),
                None => envelope(false, format!("File not found: {path}"), Some("FileNotFound")),
            },
            "write_file" => {
                let content = args["content"].as_str().unwrap().to_owned();
                let len = content.len();
                self.files.insert(path.clone(), content);
                envelope(true, format!("Successfully wrote {len} bytes to {path}"), None)
            }
            other => envelope(false, format!("Unknown tool: {other}"), Some("UnknownTool")),
        }
    }
}

/// Runs the agent loop to its answer; returns the transcript.
async fn run(
    model: &dyn ChatModel,
    task: &str,
    tools: Vec<weft_protocol::ToolDefinition>,
    sandbox: &mut Sandbox,
) -> Vec<Message> {
    let mut messages =
        vec![Message::system("You are a careful assistant with file tools."), Message::user(task)];
    for _ in 0..20 {
        let request = ChatRequest {
            messages: messages.clone(),
            tools: tools.clone().into(),
            purpose: Purpose::AgentStep,
            ..ChatRequest::default()
        };
        let response = model.chat(&request).await.unwrap();
        let offered: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        for call in &response.tool_calls {
            assert!(offered.contains(&call.name.as_str()), "called {} which was not offered", call.name);
            assert_eq!(call.id.len(), 9);
            assert!(call.id.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        let calls = response.tool_calls.clone();
        messages.push(Message {
            role: Role::Assistant,
            content: response.content.clone(),
            tool_calls: calls.clone(),
            tool_call_id: None,
            name: None,
        });
        if calls.is_empty() {
            assert_eq!(response.finish_reason, FinishReason::Stop);
            return messages;
        }
        assert_eq!(response.finish_reason, FinishReason::ToolCalls);
        assert!(!response.content.is_empty(), "each tool step carries a thought");
        for call in calls {
            let result = sandbox.execute(&call.name, &call.arguments);
            messages.push(Message::tool(&call.id, &call.name, result));
        }
    }
    panic!("the scripted agent did not answer within 20 steps");
}

fn file_tools() -> Vec<weft_protocol::ToolDefinition> {
    vec![list_files_tool(), read_file_tool(), write_file_tool()]
}

fn calls(transcript: &[Message]) -> Vec<(String, Value)> {
    transcript
        .iter()
        .flat_map(|m| &m.tool_calls)
        .map(|c| (c.name.clone(), serde_json::from_str(&c.arguments).unwrap()))
        .collect()
}

const TASK: &str =
    "Please read data/sales.csv and src/main.py and record a brief summary in notes/summary.md.";

#[tokio::test]
async fn the_agent_explores_meets_errors_recovers_and_answers_from_what_it_saw() {
    let mut saw_missing = false;
    let mut saw_denied = false;
    for seed in 0..12 {
        let mut sandbox = Sandbox::seeded();
        let transcript = run(&*scripted(seed), TASK, file_tools(), &mut sandbox).await;
        let calls = calls(&transcript);
        assert_eq!(calls[0], ("list_files".to_owned(), json!({})), "seed {seed} starts by listing");
        let results: Vec<&str> =
            transcript.iter().filter(|m| m.role == Role::Tool).map(|m| m.content.as_str()).collect();
        saw_missing |= results.iter().any(|r| r.contains("File not found"));
        saw_denied |= results.iter().any(|r| r.contains("Access denied: /etc/passwd"));
        // It read a real file, wrote the notes the user asked for, and they hold what it read.
        assert!(
            calls.iter().any(|(n, a)| n == "read_file" && a["file_path"] == "data/sales.csv"),
            "seed {seed}"
        );
        let notes =
            sandbox.files.get("notes/summary.md").unwrap_or_else(|| panic!("seed {seed} wrote no notes"));
        assert!(notes.contains("data/sales.csv: 3 lines"), "{notes}");
        // The answer quotes observations.
        let answer = &transcript.last().unwrap().content;
        assert!(answer.contains("data/sales.csv has 3 lines"), "seed {seed}: {answer}");
        assert!(answer.contains("notes/summary.md"), "{answer}");
    }
    assert!(saw_missing && saw_denied, "across seeds the agent meets both kinds of error");
}

#[tokio::test]
async fn same_seed_same_transcript_different_seeds_differ() {
    let once = run(&*scripted(7), TASK, file_tools(), &mut Sandbox::seeded()).await;
    let again = run(&*scripted(7), TASK, file_tools(), &mut Sandbox::seeded()).await;
    assert_eq!(once, again);
    let mut distinct = std::collections::BTreeSet::new();
    for seed in 0..8 {
        let transcript = run(&*scripted(seed), TASK, file_tools(), &mut Sandbox::seeded()).await;
        distinct.insert(serde_json::to_string(&transcript).unwrap());
    }
    assert!(distinct.len() >= 4, "only {} distinct transcripts over 8 seeds", distinct.len());
}

#[tokio::test]
async fn canned_history_with_errors_is_handled_step_by_step() {
    let model = scripted(3);
    let listing = json!({"success": true, "result": "[\"a.txt\"]"}).to_string();
    let denied =
        json!({"success": false, "result": "Access denied: a.txt", "error_type": "PermissionDenied"})
            .to_string();
    let mut messages = vec![Message::user("Summarise my files into report.txt")];
    let request = |messages: &Vec<Message>| ChatRequest {
        messages: messages.clone(),
        tools: file_tools().into(),
        purpose: Purpose::AgentStep,
        ..ChatRequest::default()
    };
    let first = model.chat(&request(&messages)).await.unwrap();
    assert_eq!(first.tool_calls[0].name, "list_files");
    messages.push(Message {
        role: Role::Assistant,
        content: first.content,
        tool_calls: first.tool_calls.clone(),
        tool_call_id: None,
        name: None,
    });
    messages.push(Message::tool(&first.tool_calls[0].id, "list_files", listing));
    // Every further call fails; the agent must still finish.
    for _ in 0..15 {
        let response = model.chat(&request(&messages)).await.unwrap();
        if response.tool_calls.is_empty() {
            assert!(response.content.contains("a.txt"), "{}", response.content);
            return;
        }
        let calls = response.tool_calls.clone();
        messages.push(Message {
            role: Role::Assistant,
            content: response.content,
            tool_calls: calls.clone(),
            tool_call_id: None,
            name: None,
        });
        for call in calls {
            messages.push(Message::tool(&call.id, &call.name, &denied));
        }
    }
    panic!("no answer despite errors everywhere");
}

#[tokio::test]
async fn only_offered_tools_are_called_and_tool_choice_none_answers() {
    // Only read_file: no listing, so it reads the files the task names.
    let mut sandbox = Sandbox::seeded();
    let transcript = run(&*scripted(1), TASK, vec![read_file_tool()], &mut sandbox).await;
    assert!(calls(&transcript).iter().all(|(name, _)| name == "read_file"));

    let request = ChatRequest {
        messages: vec![Message::user(TASK)],
        tools: file_tools().into(),
        tool_choice: ToolChoice::None,
        purpose: Purpose::AgentStep,
        ..ChatRequest::default()
    };
    let response = scripted(1).chat(&request).await.unwrap();
    assert!(response.tool_calls.is_empty());
    assert!(!response.content.is_empty());

    // Unknown tools get arguments from their schema.
    let weather: weft_protocol::ToolDefinition = serde_json::from_value(json!({
        "name": "get_weather", "description": "Weather for a city",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}
    }))
    .unwrap();
    let request = ChatRequest { tools: vec![weather].into(), tool_choice: ToolChoice::Auto, ..request };
    let response = scripted(1).chat(&request).await.unwrap();
    assert_eq!(response.tool_calls[0].name, "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(&response.tool_calls[0].arguments).unwrap(),
        json!({"city": "Berlin"})
    );
}

#[tokio::test]
async fn subtopics_are_counted_distinct_and_deterministic() {
    let ask = |text: &str| ChatRequest {
        messages: vec![Message::user(text)],
        purpose: Purpose::Subtopics,
        ..ChatRequest::default()
    };
    let model = scripted(5);
    let five = model.chat(&ask("Generate 5 subtopics.\nTopic path: DevOps -> CI pipelines")).await.unwrap();
    let five: Vec<String> = serde_json::from_str(&five.content).unwrap();
    assert_eq!(five.len(), 5);
    assert_eq!(five.iter().collect::<std::collections::BTreeSet<_>>().len(), 5);
    assert!(five.iter().all(|t| t.contains("CI pipelines")), "{five:?}");
    let again: Vec<String> = serde_json::from_str(
        &model.chat(&ask("Generate 5 subtopics.\nTopic path: DevOps -> CI pipelines")).await.unwrap().content,
    )
    .unwrap();
    assert_eq!(five, again);
    let default: Vec<String> =
        serde_json::from_str(&model.chat(&ask("Topic: Cooking")).await.unwrap().content).unwrap();
    assert_eq!(default.len(), 3);
    let sibling: Vec<String> = serde_json::from_str(
        &model.chat(&ask("Generate 5 subtopics.\nTopic path: DevOps -> Monitoring")).await.unwrap().content,
    )
    .unwrap();
    assert!(sibling.iter().all(|t| !five.contains(t)));
}

#[tokio::test]
async fn user_turns_mention_the_seeded_files() {
    let prompt = "Write the user's request.\nSeeded files: data/sales.csv, src/main.py\nTopic path: Data analysis -> Sales reports";
    let request = ChatRequest {
        messages: vec![Message::user(prompt)],
        purpose: Purpose::UserRequest,
        ..ChatRequest::default()
    };
    let text = scripted(2).chat(&request).await.unwrap().content;
    assert!(text.contains("data/sales.csv") || text.contains("src/main.py"), "{text}");
    assert!(text.contains("Sales reports"), "{text}");
    assert_eq!(text, scripted(2).chat(&request).await.unwrap().content);

    let mut sandbox = Sandbox::seeded();
    let mut transcript = run(&*scripted(2), TASK, file_tools(), &mut sandbox).await;
    let follow = ChatRequest {
        messages: transcript.clone(),
        purpose: Purpose::UserFollowUp,
        ..ChatRequest::default()
    };
    let follow_up = scripted(2).chat(&follow).await.unwrap().content;
    assert!(!follow_up.is_empty());
    // The agent carries on in the second turn with the sandbox state it left.
    transcript.push(Message::user(&follow_up));
    let second = run_from(&*scripted(2), transcript, &mut sandbox).await;
    assert!(!second.last().unwrap().content.is_empty());
}

#[tokio::test]
async fn without_file_tools_the_user_asks_for_what_the_tools_do() {
    // The prompt as the generator writes it.
    let prompt = |tools: &str| {
        format!(
            "Topic path: Travel -> Weather\nFiles in the user's workspace: notes.txt\n\
             The assistant can use these tools: {tools}\nWrite only the user's message."
        )
    };
    let ask = |tools: &str| ChatRequest {
        messages: vec![Message::user(prompt(tools))],
        purpose: Purpose::UserRequest,
        ..ChatRequest::default()
    };
    for seed in 0..6 {
        let text = scripted(seed).chat(&ask("get_weather, search_flights")).await.unwrap().content;
        assert!(text.contains("`get_weather`") && text.contains("`search_flights`"), "{text}");
        assert!(text.contains("Weather"), "{text}");
        assert!(!text.contains("notes.txt") && !text.contains("file"), "{text}");
        // With the file tools among them, the request is about the files again.
        let text = scripted(seed).chat(&ask("get_weather, read_file, write_file")).await.unwrap().content;
        assert!(text.contains("notes.txt"), "{text}");
    }

    let call = weft_llm::ModelToolCall {
        id: "c1".to_owned(),
        name: "get_weather".to_owned(),
        arguments: r#"{"city":"Berlin"}"#.to_owned(),
    };
    let history = vec![
        Message::user("For Weather, could you run `get_weather` and tell me what the results say?"),
        Message {
            role: Role::Assistant,
            content: String::new(),
            tool_calls: vec![call],
            tool_call_id: None,
            name: None,
        },
        Message::tool("c1", "get_weather", r#"{"temperature": 4}"#),
        Message::assistant("It is 4 degrees in Berlin."),
    ];
    for seed in 0..6 {
        let follow = ChatRequest {
            messages: history.clone(),
            purpose: Purpose::UserFollowUp,
            ..ChatRequest::default()
        };
        let text = scripted(seed).chat(&follow).await.unwrap().content;
        assert!(text.contains("`get_weather`"), "{text}");
        assert!(!text.contains("file"), "{text}");
    }
}

async fn run_from(model: &dyn ChatModel, mut messages: Vec<Message>, sandbox: &mut Sandbox) -> Vec<Message> {
    for _ in 0..20 {
        let request = ChatRequest {
            messages: messages.clone(),
            tools: file_tools().into(),
            purpose: Purpose::AgentStep,
            ..ChatRequest::default()
        };
        let response = model.chat(&request).await.unwrap();
        let calls = response.tool_calls.clone();
        messages.push(Message {
            role: Role::Assistant,
            content: response.content,
            tool_calls: calls.clone(),
            tool_call_id: None,
            name: None,
        });
        if calls.is_empty() {
            return messages;
        }
        for call in calls {
            let result = sandbox.execute(&call.name, &call.arguments);
            messages.push(Message::tool(&call.id, &call.name, result));
        }
    }
    panic!("no answer in the second turn");
}

#[tokio::test]
async fn usage_is_counted_into_a_shared_counter() {
    let usage = UsageCounter::new();
    let env = ModelEnv::from_vars(Vec::<(String, String)>::new()).with_usage(usage.clone());
    let model = build_model_in(&ProviderSpec::new("scripted", ""), &env).unwrap();
    assert_eq!(model.model(), "scripted");
    let reply = model.chat(&plain("Hello there")).await.unwrap();
    assert!(reply.usage.prompt_tokens > 0 && reply.usage.completion_tokens > 0);
    let totals = usage.snapshot();
    assert_eq!(totals.calls, 1);
    assert_eq!(totals.prompt_tokens, reply.usage.prompt_tokens);
}
