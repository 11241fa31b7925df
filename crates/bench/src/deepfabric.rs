//! The fake agent as DeepFabric 4.13 asks for it, so `bench/deepfabric.sh`
//! drives DeepFabric and weft against one fake.
//!
//! DeepFabric does not send native tool calls: each of its requests is one
//! user message and a strict JSON schema in `response_format`, named
//! `default`, whose title says what is wanted — `UserQuestionOpenAICompat`
//! (`{content}`), `AgentStepOpenAICompat` (`{thought, tool_calls:
//! [{function_name, arguments, reasoning}], is_final}`, `arguments` a JSON
//! string) or `AgentResponseOpenAICompat` (`{content}`). The step prompt lists
//! the steps taken so far, each under a `### Step N` heading.
//!
//! The plan is [`crate::reply`]'s: `list_files` + `read_file`, `write_file` +
//! `read_file`, a read of a missing file, then the answer. With
//! `max_agent_steps: 3` a sample costs DeepFabric 5 requests (question, 3
//! steps, answer) and 5 tool calls, as a weft sample costs weft.

use serde_json::{Value, json};

/// What a DeepFabric request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Question,
    Step,
    Answer,
}

/// The kind of a DeepFabric request, from its response schema's title.
fn kind(request: &Value) -> Option<Kind> {
    let title = request["response_format"]["json_schema"]["schema"]["title"].as_str()?;
    match title.strip_suffix("OpenAICompat").unwrap_or(title) {
        "UserQuestion" => Some(Kind::Question),
        "AgentStep" => Some(Kind::Step),
        "AgentResponse" => Some(Kind::Answer),
        _ => None,
    }
}

/// The step object after `taken` steps.
fn step(taken: usize) -> Value {
    let calls: Vec<(&str, Value, &str)> = match taken {
        0 => vec![
            ("list_files", json!({}), "See what the workspace holds."),
            ("read_file", json!({"file_path": "config.json"}), "Read the config to summarise it."),
        ],
        1 => vec![
            (
                "write_file",
                json!({"file_path": "summary.txt", "content": "config.json sets version and debug.\n"}),
                "Save the summary.",
            ),
            ("read_file", json!({"file_path": "summary.txt"}), "Check what was written."),
        ],
        2 => vec![("read_file", json!({"file_path": "CHANGELOG.md"}), "Is there a changelog too?")],
        _ => return json!({"thought": "I have what I need.", "tool_calls": [], "is_final": true}),
    };
    let thought = [
        "Let me look at the workspace and the config.",
        "Writing the summary and reading it back.",
        "Is there a changelog too?",
    ][taken];
    let tool_calls: Vec<Value> = calls
        .into_iter()
        .map(|(name, arguments, reasoning)| {
            json!({"function_name": name, "arguments": arguments.to_string(), "reasoning": reasoning})
        })
        .collect();
    json!({"thought": thought, "tool_calls": tool_calls, "is_final": false})
}

/// The answer to a DeepFabric request, or `None` when `request` is not one.
pub fn reply(request: &Value) -> Option<Value> {
    let kind = kind(request)?;
    let prompt = request["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["content"].as_str())
        .unwrap_or("");
    let content = match kind {
        Kind::Question => {
            let topic = prompt
                .lines()
                .find_map(|line| line.split_once("following subtopics: "))
                .map_or("", |(_, topic)| topic.trim());
            json!({"content": format!("Please check config.json and save a short summary to summary.txt. ({topic})")})
        }
        Kind::Step => step(prompt.matches("### Step ").count()),
        Kind::Answer => {
            json!({"content": "Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md."})
        }
    };
    Some(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(title: &str, prompt: &str) -> Value {
        json!({
            "model": "fake",
            "messages": [{"role": "user", "content": prompt}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "default", "strict": true,
                "schema": {"title": title, "type": "object"}}},
        })
    }

    fn content(reply: &Value) -> Value {
        serde_json::from_str(reply["choices"][0]["message"]["content"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn other_requests_are_not_deepfabric_ones() {
        assert!(reply(&json!({"messages": []})).is_none());
        assert!(reply(&request("agent_step", "x")).is_none());
    }

    #[test]
    fn a_sample_is_a_question_three_steps_of_five_calls_and_an_answer() {
        let question = content(
            &reply(&request("UserQuestionOpenAICompat", "the following subtopics: Files -> Chore 3"))
                .unwrap(),
        );
        assert!(question["content"].as_str().unwrap().ends_with("(Files -> Chore 3)"));
        let mut prompt = String::from("## Previous Actions & Results\nNone yet");
        let mut calls = 0;
        for taken in 0..3 {
            let step = content(&reply(&request("AgentStepOpenAICompat", &prompt)).unwrap());
            assert_eq!(step["is_final"], false);
            for call in step["tool_calls"].as_array().unwrap() {
                let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
                assert!(arguments.is_object());
                calls += 1;
            }
            prompt.push_str(&format!("\n### Step {}\nThought: x\n", taken + 1));
        }
        assert_eq!(calls, 5);
        let last = content(&reply(&request("AgentStepOpenAICompat", &prompt)).unwrap());
        assert_eq!(last["is_final"], true);
        let answer = content(&reply(&request("AgentResponseOpenAICompat", "")).unwrap());
        assert!(answer["content"].as_str().unwrap().len() >= 10);
    }
}
