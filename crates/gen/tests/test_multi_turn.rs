//! `agent_mode: multi_turn`: a simulated user continues the conversation and
//! the sandbox session carries its state from turn to turn.

use crate::common;

use weft_gen::validate::{Rules, validate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_user_continues_over_one_session() {
    let config = common::config_with(4, 2, |text| {
        text.replace(
            "    reasoning_style: agent\n",
            "    reasoning_style: agent\n    agent_mode: multi_turn\n    min_turns: 2\n    max_turns: 3\n",
        )
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let summary =
        common::run(&config, common::scripted(config.seed), common::sandbox().await, &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    let samples = common::samples(&out);
    assert_eq!(samples.len(), 4);
    for sample in &samples {
        validate(sample, &Rules { max_per_query: 4, min_tool_calls: 1 }).expect("valid");
        // DeepFabric's `agent_context.mode` knows `single_turn` only: a
        // multi-turn sample says so in weft's metadata instead.
        assert!(sample.agent_context.is_none());
        assert_eq!(sample.metadata.agent_mode.as_deref(), Some("multi_turn"));
        let users: Vec<usize> =
            sample.messages.iter().enumerate().filter(|(_, m)| m.role == "user").map(|(i, _)| i).collect();
        assert!((2..=3).contains(&users.len()), "{} user turns", users.len());
        assert_eq!(sample.metadata.turns as usize, users.len());
        assert_eq!(sample.question, sample.messages[users[0]].content.clone().unwrap_or_default());
        // Every turn ends with an answer before the next user message.
        for next in &users[1..] {
            let before = &sample.messages[next - 1];
            assert_eq!(before.role, "assistant");
            assert!(before.tool_calls.is_none() && before.content.as_deref().is_some_and(|c| !c.is_empty()));
        }
        // State carries: files written in the first turn are listed by a
        // later turn's `list_files`, which ran in the same session.
        let written: Vec<String> = sample.messages[..users[1]]
            .iter()
            .filter_map(|m| m.tool_calls.as_ref())
            .flatten()
            .filter(|c| c.function.name == "write_file")
            .filter_map(|c| {
                let args: serde_json::Value = serde_json::from_str(&c.function.arguments).ok()?;
                Some(args["file_path"].as_str()?.to_owned())
            })
            .collect();
        let later_listing = sample.messages[users[1]..]
            .iter()
            .filter(|m| m.role == "tool")
            .filter_map(|m| m.content.as_deref())
            .find(|text| text.starts_with('['));
        if let (Some(file), Some(listing)) = (written.first(), later_listing) {
            assert!(listing.contains(file.as_str()), "{file} written in turn 1 missing from {listing}");
        }
        assert!(
            !written.is_empty() && later_listing.is_some(),
            "the scripted agent writes in turn 1 and lists in turn 2"
        );
    }
}
