//! The mock tier: templates, fixtures, argument validation, persistence, and
//! its place behind `InProcess`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use weft_protocol::{ErrorType, ScenarioSeed, ToolBackend, ToolCall, ToolDefinition};
use weft_sandbox::Manifest;
use weft_tools::InProcess;
use weft_tools::mock::{Fixture, MockError, MockTier};
use weft_tools::validate::{ArgumentError, Validators};

const WEATHER: &str = r#"[{
    "name": "get_weather",
    "description": "Current weather of a city",
    "inputSchema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "minimum": 1},
            "units": {"enum": ["metric", "imperial"]},
            "place": {"type": "object", "properties": {"lat": {"type": "number"}}},
            "tags": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["city"]
    }
}]"#;

async fn weather() -> MockTier {
    let tier = MockTier::in_memory();
    tier.load_schema(WEATHER.as_bytes()).await.expect("loads");
    tier
}

fn result(tier: &MockTier, args: Value) -> Value {
    let outcome = tier.execute("get_weather", &args);
    assert!(outcome.success, "{outcome:?}");
    serde_json::from_str(&outcome.result).expect("the result is JSON")
}

#[tokio::test]
async fn templates_fill_nested_paths_keep_types_and_walk_arrays() {
    let tier = weather().await;
    let template = json!({
        "summary": "{{days}} days in {{city}} at {{place.lat}}",
        "days": "{{days}}",
        "place": "{{place}}",
        "first_tag": "{{tags.0}}",
        "second_tag": "{{tags[1]}}",
        "list": ["{{city}}", {"deep": "{{ units }}"}, 7],
        "missing": "{{nope}}",
        "missing_in_text": "<{{nope.deeper}}>",
    });
    tier.update_response("get_weather", template).await.expect("updates");
    let args =
        json!({"city": "Paris", "days": 3, "units": "metric", "place": {"lat": 48.85}, "tags": ["a", "b,c"]});
    assert_eq!(
        result(&tier, args),
        json!({
            "summary": "3 days in Paris at 48.85",
            "days": 3,
            "place": {"lat": 48.85},
            "first_tag": "a",
            "second_tag": "b,c",
            "list": ["Paris", {"deep": "metric"}, 7],
            "missing": null,
            "missing_in_text": "<>",
        })
    );
}

#[tokio::test]
async fn a_null_response_restores_the_default() {
    let tier = weather().await;
    tier.update_response("get_weather", json!("fixed")).await.expect("updates");
    assert_eq!(result(&tier, json!({"city": "Oslo"})), json!("fixed"));
    tier.update_response("get_weather", Value::Null).await.expect("resets");
    assert_eq!(result(&tier, json!({"city": "Oslo"}))["status"], "success");
}

#[tokio::test]
async fn the_most_specific_fixture_wins_and_ties_go_to_the_first() {
    let tier = weather().await;
    let fixture = |matches: Value, response: Value| Fixture {
        matches: serde_json::from_value(matches).expect("an object"),
        response,
    };
    let add = |f: Fixture| {
        let tier = tier.clone();
        async move { tier.add_fixture("get_weather", f).await.expect("adds") }
    };
    add(fixture(json!({"city": "Paris, France"}), json!("paris"))).await;
    add(fixture(json!({"city": "Paris, France", "days": 2}), json!("paris for {{days}} days"))).await;
    add(fixture(json!({"units": "metric"}), json!("first metric"))).await;
    add(fixture(json!({"units": "metric"}), json!("second metric"))).await;
    add(fixture(json!({"tags": ["x", "y,z"]}), json!("tagged"))).await;

    assert_eq!(result(&tier, json!({"city": "Paris, France"})), json!("paris"));
    assert_eq!(result(&tier, json!({"city": "Paris, France", "days": 2})), json!("paris for 2 days"));
    // JSON values, not strings: 2 is not "2", and "Paris" is not "Paris, France".
    assert_eq!(result(&tier, json!({"city": "Paris, France", "days": 3})), json!("paris"));
    assert_eq!(result(&tier, json!({"city": "Paris"}))["status"], "success");
    assert_eq!(result(&tier, json!({"city": "Rome", "units": "metric"})), json!("first metric"));
    assert_eq!(result(&tier, json!({"city": "Rome", "tags": ["x", "y,z"]})), json!("tagged"));
    assert_eq!(result(&tier, json!({"city": "Rome", "tags": ["x", "y", "z"]}))["status"], "success");
    assert_eq!(tier.list_tools()[0].mock_fixtures.len(), 5);
}

#[tokio::test]
async fn arguments_are_validated_first_with_the_failing_path() {
    let tier = weather().await;
    let outcome = tier.execute("get_weather", &json!({"city": 5}));
    assert_eq!(outcome.error_type, Some(ErrorType::InvalidArguments));
    assert_eq!(outcome.result, r#"Invalid arguments: /city: 5 is not of type "string""#);

    let outcome = tier.execute("get_weather", &json!({"days": 2}));
    assert_eq!(outcome.result, r#"Invalid arguments: /: missing required property "city""#);

    let outcome = tier.execute("get_weather", &json!({"city": "x", "place": {"lat": "north"}}));
    assert_eq!(outcome.result, r#"Invalid arguments: /place/lat: "north" is not of type "number""#);

    let outcome = tier.execute("get_weather", &json!({"city": "x", "tags": ["ok", 1]}));
    assert_eq!(outcome.result, r#"Invalid arguments: /tags/1: 1 is not of type "string""#);

    // No arguments at all is `{}`: still missing `city`.
    let outcome = tier.execute("get_weather", &Value::Null);
    assert_eq!(outcome.error_type, Some(ErrorType::InvalidArguments));

    let outcome = tier.execute("get_forecast", &json!({}));
    assert_eq!(
        (outcome.error_type, outcome.result.as_str()),
        (Some(ErrorType::UnknownTool), "Unknown tool: get_forecast")
    );
}

fn tool(name: &str, schema: Value) -> ToolDefinition {
    serde_json::from_value(json!({"name": name, "inputSchema": schema})).expect("a definition")
}

#[test]
fn validators_follow_the_schema_draft() {
    let validators = Validators::new();
    // `prefixItems` is 2020-12 (the default); draft-07 ignores it and uses
    // `items` as an array of schemas instead.
    let modern = tool("modern", json!({"properties": {"pair": {"prefixItems": [{"type": "string"}]}}}));
    let err = validators.validate(&modern, &json!({"pair": [1]})).expect_err("2020-12 prefixItems applies");
    assert_eq!(err.to_string(), r#"Invalid arguments: /pair/0: 1 is not of type "string""#);

    let draft7 = tool(
        "draft7",
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"pair": {"prefixItems": [{"type": "string"}], "items": [{"type": "integer"}]}},
            "required": ["pair"]
        }),
    );
    validators.validate(&draft7, &json!({"pair": [1]})).expect("draft-07 ignores prefixItems");
    let err = validators.validate(&draft7, &json!({"pair": ["a"]})).expect_err("draft-07 tuple items");
    assert_eq!(err.to_string(), r#"Invalid arguments: /pair/0: "a" is not of type "integer""#);
    let err = validators.validate(&draft7, &json!({})).expect_err("required");
    assert_eq!(err.to_string(), r#"Invalid arguments: /: missing required property "pair""#);
    assert_eq!(validators.len(), 2);
}

#[test]
fn validators_recompile_a_redefined_tool_and_report_bad_schemas() {
    let validators = Validators::new();
    let v1 = tool("t", json!({"properties": {"n": {"type": "string"}}}));
    let v2 = tool("t", json!({"properties": {"n": {"type": "integer"}}}));
    validators.validate(&v1, &json!({"n": "x"})).expect("v1 accepts a string");
    validators.validate(&v2, &json!({"n": 1})).expect("v2 accepts an integer");
    assert!(validators.validate(&v2, &json!({"n": "x"})).is_err());
    assert_eq!(validators.len(), 1);

    let broken = tool("broken", json!({"type": "no-such-type"}));
    let err = validators.validate(&broken, &json!({})).expect_err("bad schema");
    assert!(matches!(err, ArgumentError::BadSchema { ref tool, .. } if tool == "broken"), "{err:?}");
}

#[tokio::test]
async fn load_schema_accepts_yaml_and_the_tools_list_shape_and_replaces_by_name() {
    let tier = MockTier::in_memory();
    let yaml = "
- name: search
  description: first
  inputSchema: {type: object, properties: {q: {type: string}}}
  annotations: {readOnlyHint: true, openWorldHint: true}
  mockResponse: {hits: ['{{q}}']}
";
    let loaded = tier.load_schema(yaml.as_bytes()).await.expect("YAML loads");
    assert_eq!((loaded.loaded, loaded.tools), (1, vec!["search".to_owned()]));
    assert_eq!(tier.execute("search", &json!({"q": "rust"})).result, r#"{"hits":["rust"]}"#);

    let wrapped = json!({"tools": [
        {"name": "search", "description": "second", "title": "Search"},
        {"name": "fetch", "outputSchema": {"type": "object"}}
    ]});
    let loaded = tier.load_schema(wrapped.to_string().as_bytes()).await.expect("tools/list loads");
    assert_eq!(loaded.tools, ["search", "fetch"]);
    let tools = tier.list_tools();
    assert_eq!(tools.iter().map(|t| t.definition.name.as_str()).collect::<Vec<_>>(), ["fetch", "search"]);
    let search = &tools[1];
    assert_eq!(search.definition.description, "second");
    assert_eq!(search.definition.title.as_deref(), Some("Search"));
    assert_eq!(search.mock_response, None, "a replaced tool keeps nothing of the old one");
    assert_eq!(tools[0].definition.input_schema, json!({"type": "object", "properties": {}}));
}

#[tokio::test]
async fn bad_load_bodies_name_the_tool_and_field_and_load_nothing() {
    let tier = MockTier::in_memory();
    let cases = [
        (r#"[{"name": "ok"}, {"description": "no name"}]"#, "tool #1: 'name' must be a non-empty string"),
        (r#"[{"name": "a", "inputSchema": 3}]"#, "tool #0 ('a'): 'inputSchema' must be a JSON Schema object"),
        (r#"[{"name": "a", "mockFixtures": [{"response": 1}]}]"#, "tool #0 ('a'): missing field `match`"),
        (r#"[{"name": "a", "inputSchema": {"type": "nope"}}]"#, "tool #0 ('a')"),
        (r#"{"tools": 5}"#, "'tools' must be a list"),
        (r#"{"name": "x""#, "invalid JSON"),
        ("just text", "expected a list of tools"),
    ];
    for (body, expected) in cases {
        let err = tier.load_schema(body.as_bytes()).await.expect_err(body);
        assert!(matches!(err, MockError::InvalidSchema(_)), "{err:?}");
        assert!(err.to_string().contains(expected), "{body}: {err}");
    }
    assert!(tier.list_tools().is_empty(), "nothing of a refused body is loaded");
    let err = tier.update_response("ghost", json!(1)).await.expect_err("unknown");
    assert!(matches!(err, MockError::UnknownTool(ref name) if name == "ghost"));
}

fn redb_manifest(dir: &Path) -> Manifest {
    let text = r#"
        [component.mock]
        source = "builtin:mock"
        key_value_stores = ["default"]
        [key_value_store.default]
        type = "redb"
        path = "mock.redb"
    "#;
    Manifest::parse(text, Path::new("test.toml"), PathBuf::from(dir)).expect("valid manifest")
}

#[tokio::test]
async fn tools_fixtures_and_templates_survive_a_restart_on_redb() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let backend = InProcess::new(redb_manifest(dir.path())).await.expect("starts");
        let tier = backend.mock().expect("the manifest enables mock");
        tier.load_schema(WEATHER.as_bytes()).await.expect("loads");
        tier.load_schema(br#"[{"name": "gone"}]"#).await.expect("loads");
        tier.update_response("get_weather", json!({"t": "{{city}}"})).await.expect("updates");
        let fixture = Fixture {
            matches: serde_json::from_value(json!({"city": "Oslo"})).expect("map"),
            response: json!("cold"),
        };
        tier.add_fixture("get_weather", fixture).await.expect("adds");
        assert_eq!(backend.delete_session(weft_tools::mock::MOCK_NAMESPACE).await, 0, "reserved");
    }
    let backend = InProcess::new(redb_manifest(dir.path())).await.expect("restarts");
    let tier = backend.mock().expect("mock");
    assert_eq!(tier.list_tools().len(), 2);
    assert_eq!(tier.execute("get_weather", &json!({"city": "Oslo"})).result, r#""cold""#);
    assert_eq!(tier.execute("get_weather", &json!({"city": "Rome"})).result, r#"{"t":"Rome"}"#);
    assert_eq!(
        tier.execute("get_weather", &json!({"city": 1})).error_type,
        Some(ErrorType::InvalidArguments)
    );

    assert_eq!(tier.clear().await.expect("clears"), 2);
    drop(backend);
    let backend = InProcess::new(redb_manifest(dir.path())).await.expect("restarts again");
    assert!(backend.mock().expect("mock").list_tools().is_empty(), "clear is persisted");
}

#[tokio::test]
async fn in_process_routes_mock_tools_beside_the_sandbox() {
    let backend = InProcess::new(Manifest::builtin()).await.expect("built-in manifest");
    assert_eq!(backend.mock_component(), Some("mock"), "the default manifest enables mock");
    let tier = backend.mock().expect("mock");
    tier.load_schema(WEATHER.as_bytes()).await.expect("loads");
    // A mock tool named like a VFS tool is shadowed: the VFS serves it.
    tier.load_schema(br#"[{"name": "read_file", "mockResponse": "mocked"}]"#).await.expect("loads");

    let tools = backend.tools().await.expect("tools");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"get_weather") && names.contains(&"write_file"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "read_file").count(), 1, "{names:?}");
    assert_eq!(backend.component_of("get_weather"), Some("mock"));
    assert_eq!(backend.component_of("read_file"), Some("vfs"));
    let components: Vec<String> = backend.components().into_iter().map(|c| c.name).collect();
    assert_eq!(components, ["vfs", "mock"]);

    let mut seed = ScenarioSeed::default();
    seed.files.insert("notes.txt".into(), "hello".into());
    let session = backend.open_session(&seed).await.expect("session");
    let outcome =
        ToolBackend::execute(&backend, &session, &ToolCall::new("get_weather", json!({"city": "Lima"})))
            .await
            .expect("in process");
    assert!(outcome.success, "{outcome:?}");
    let response: Value = serde_json::from_str(&outcome.result).expect("JSON");
    assert_eq!(response["input_received"], json!({"city": "Lima"}));
    let outcome = ToolBackend::execute(
        &backend,
        &session,
        &ToolCall::new("read_file", json!({"file_path": "notes.txt"})),
    )
    .await
    .expect("in process");
    assert_eq!(outcome.result, "hello", "the VFS, not the mock, serves read_file");
    let outcome = ToolBackend::execute(&backend, &session, &ToolCall::new("get_weather", json!({})))
        .await
        .expect("in process");
    assert_eq!(outcome.error_type, Some(ErrorType::InvalidArguments));
    let outcome =
        backend.execute_in("mock", session.as_str(), "get_weather", "not json").await.expect("mock");
    assert_eq!(outcome.error_type, Some(ErrorType::InvalidArguments));
    let reserved = weft_protocol::SessionId::new(weft_tools::mock::MOCK_NAMESPACE);
    let outcome =
        ToolBackend::execute(&backend, &reserved, &ToolCall::new("get_weather", json!({"city": "Lima"})))
            .await
            .expect("in process");
    assert_eq!(outcome.error_type, Some(ErrorType::NotAllowed));
    backend.close_session(&session).await;
}

#[tokio::test]
async fn replicas_sharing_a_redis_answer_with_the_same_mock_tools() {
    use weft_sandbox::kv::redis::RedisStore;
    use weft_sandbox::testing::{redis, unique};
    let Some(redis) = redis("replicas_sharing_a_redis_answer_with_the_same_mock_tools") else { return };
    let label = unique("mock");
    // Two tiers over one Redis, as two `weft serve` replicas would have.
    let open = || async {
        let store = RedisStore::open(&redis.url, &label, None).expect("connects");
        MockTier::open(std::sync::Arc::new(store)).await.expect("opens")
    };
    let (a, b) = (open().await, open().await);
    a.load_schema(WEATHER.as_bytes()).await.expect("loads on a");
    let args = json!({"city": "Oslo"});
    assert!(b.has_tool("get_weather"));
    assert!(b.execute("get_weather", &args).success);
    assert_eq!(b.tool_definitions().len(), 1);

    // A change on one replica is what the other answers with next.
    a.update_response("get_weather", json!({"city": "{{city}}", "sky": "grey"})).await.expect("updates");
    assert_eq!(b.execute("get_weather", &args).result, r#"{"city":"Oslo","sky":"grey"}"#);
    b.update_response("get_weather", json!("fixed")).await.expect("updates on b");
    assert_eq!(a.execute("get_weather", &args).result, r#""fixed""#);

    assert_eq!(a.clear().await.expect("clears"), 1);
    let gone = b.execute("get_weather", &args);
    assert_eq!(gone.error_type, Some(ErrorType::UnknownTool), "{gone:?}");
    assert!(b.list_tools().is_empty());
}
