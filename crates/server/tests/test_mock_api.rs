//! The mock tier's HTTP API, driven over a real loopback socket.

use crate::common;

use std::net::SocketAddr;

use serde_json::{Value, json};

struct Api {
    client: reqwest::Client,
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    async fn start() -> Self {
        let (addr, stop) = common::spawn(common::state().await).await;
        Self { client: common::http_client(), addr, _stop: stop }
    }

    async fn post(&self, path: &str, body: impl Into<String>) -> (u16, Value) {
        let body: String = body.into();
        // JSON, or YAML (which the mock tier also reads): its media type.
        let media =
            if body.trim_start().starts_with(['{', '[']) { "application/json" } else { "application/yaml" };
        let response = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", media)
            .body(body)
            .send()
            .await
            .expect("sends");
        Self::read(response).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(format!("http://{}{path}", self.addr)).send().await.expect("sends");
        Self::read(response).await
    }

    async fn text(&self, path: &str) -> String {
        let response = self.client.get(format!("http://{}{path}", self.addr)).send().await.expect("sends");
        response.text().await.expect("text")
    }

    async fn read(response: reqwest::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("a JSON reply"))
    }
}

const TOOLS: &str = r#"{"tools": [
    {
        "name": "get_weather",
        "title": "Weather",
        "description": "Current weather of a city",
        "inputSchema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"]
        },
        "outputSchema": {"type": "object", "properties": {"temp": {"type": "number"}}},
        "annotations": {"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true},
        "mockResponse": {"city": "{{city}}", "days": "{{days}}"},
        "mockFixtures": [{"match": {"city": "Oslo, Norway"}, "response": {"temp": -3}}]
    },
    {"name": "send_email", "description": "Sends an email"}
]}"#;

#[tokio::test]
async fn load_list_and_execute_in_both_shapes() {
    let api = Api::start().await;
    let (status, reply) = api.post("/mock/load-schema", TOOLS).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply, json!({"success": true, "loaded": 2, "tools": ["get_weather", "send_email"]}));

    let (status, listed) = api.get("/mock/list-tools").await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("list_tools", listed);

    // The reference shape: the response as JSON under `result`.
    let call = json!({"name": "get_weather", "arguments": {"city": "Lima", "days": 2}});
    let (status, reply) = api.post("/mock/execute", call.to_string()).await;
    assert_eq!((status, reply), (200, json!({"result": {"city": "Lima", "days": 2}})));
    let call = json!({"name": "get_weather", "arguments": {"city": "Oslo, Norway"}});
    assert_eq!(api.post("/mock/execute", call.to_string()).await.1, json!({"result": {"temp": -3}}));
    let call = json!({"name": "send_email", "arguments": {"to": "a@example.com"}});
    let (_, reply) = api.post("/mock/execute", call.to_string()).await;
    insta::assert_json_snapshot!("default_response", reply);

    // A failed call is a 200 with the Spin envelope.
    let call = json!({"name": "get_weather", "arguments": {"city": 5}});
    let (status, reply) = api.post("/mock/execute", call.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({"success": false, "result": "Invalid arguments: /city: 5 is not of type \"string\"", "error_type": "InvalidArguments"})
    );
    let (_, reply) = api.post("/mock/execute", r#"{"name": "nope"}"#).await;
    assert_eq!(reply["error_type"], "UnknownTool");

    // The Spin envelope, as for any component: the result is text.
    let call = json!({"session_id": "s1", "tool": "get_weather", "args": {"city": "Lima"}});
    let (status, reply) = api.post("/mock/execute", call.to_string()).await;
    assert_eq!((status, reply), (200, json!({"success": true, "result": r#"{"city":"Lima","days":null}"#})));
    // ... and routed by name from /execute.
    let (_, reply) = api.post("/execute", call.to_string()).await;
    assert_eq!(reply["success"], true, "{reply}");
    let call = json!({"session_id": "s1", "tool": "get_weather", "args": {}});
    let (_, reply) = api.post("/execute", call.to_string()).await;
    assert_eq!(reply["error_type"], "InvalidArguments");

    let metrics = api.text("/metrics").await;
    for line in [
        r#"weft_tool_calls_total{component="mock",tool="get_weather",error_type="success"} 4"#,
        r#"weft_tool_calls_total{component="mock",tool="get_weather",error_type="InvalidArguments"} 2"#,
        r#"weft_tool_calls_total{component="mock",tool="<unknown>",error_type="UnknownTool"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

#[tokio::test]
async fn mock_is_a_component_like_the_others() {
    let api = Api::start().await;
    api.post("/mock/load-schema", TOOLS).await;
    let components = api.get("/components").await.1;
    assert_eq!(components["components"], json!(["vfs", "mock"]));
    assert_eq!(components["versions"]["mock"], json!({"version": "builtin", "live": false}));
    let vfs = components["versions"]["vfs"]["version"].as_str().expect("the VFS has a version");
    assert!(vfs.starts_with("sha256:") && vfs.len() == 23, "{vfs}");
    assert_eq!(api.get("/health").await.1["components"], json!(["vfs", "mock"]));
    assert_eq!(api.get("/mock/health").await, (200, json!({"status": "healthy", "components": ["mock"]})));
    assert_eq!(api.get("/mock/components").await.1, json!({"components": ["mock"]}));
    let (_, tools) = api.get("/mock/tools").await;
    let names: Vec<&str> =
        tools["tools"].as_array().expect("list").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["get_weather", "send_email"]);
    assert!(tools["tools"][0].get("mockResponse").is_none(), "/tools is plain MCP");
    let (_, all) = api.get("/tools").await;
    let all: Vec<&str> =
        all["tools"].as_array().expect("list").iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(all.contains(&"read_file") && all.contains(&"send_email"), "{all:?}");
    // The reserved namespace cannot be deleted through the session API.
    assert_eq!(
        api.client
            .delete(format!("http://{}/session/__weft_mock__", api.addr))
            .send()
            .await
            .expect("sends")
            .status(),
        200
    );
    assert_eq!(api.get("/mock/list-tools").await.1["tools"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn yaml_bodies_fixtures_updates_and_clear() {
    let api = Api::start().await;
    let yaml = "
- name: lookup
  description: Looks up a record
  inputSchema:
    type: object
    properties:
      id: {type: integer}
      tags: {type: array}
";
    let (status, reply) = api.post("/mock/load-schema", yaml).await;
    assert_eq!((status, reply["tools"].clone()), (200, json!(["lookup"])));

    let update =
        json!({"name": "lookup", "mockResponse": {"id": "{{id}}", "label": "record {{id}} ({{tags.0}})"}});
    assert_eq!(
        api.post("/mock/update-response", update.to_string()).await,
        (200, json!({"success": true, "tool": "lookup"}))
    );
    let fixture =
        json!({"name": "lookup", "match": {"id": 7, "tags": ["a,b"]}, "response": {"special": true}});
    assert_eq!(api.post("/mock/add-fixture", fixture.to_string()).await.0, 200);
    let fixture = json!({"name": "lookup", "match": {"id": 7}, "response": "seven"});
    assert_eq!(api.post("/mock/add-fixture", fixture.to_string()).await.0, 200);

    let run = |args: Value| json!({"name": "lookup", "arguments": args}).to_string();
    assert_eq!(
        api.post("/mock/execute", run(json!({"id": 7, "tags": ["a,b"]}))).await.1,
        json!({"result": {"special": true}})
    );
    assert_eq!(
        api.post("/mock/execute", run(json!({"id": 7, "tags": ["a", "b"]}))).await.1,
        json!({"result": "seven"})
    );
    assert_eq!(
        api.post("/mock/execute", run(json!({"id": 8, "tags": ["x"]}))).await.1,
        json!({"result": {"id": 8, "label": "record 8 (x)"}})
    );

    assert_eq!(api.post("/mock/clear", "").await, (200, json!({"success": true, "cleared": 1})));
    assert_eq!(api.get("/mock/list-tools").await.1, json!({"tools": []}));
    assert_eq!(api.post("/mock/execute", run(json!({"id": 7}))).await.1["error_type"], "UnknownTool");
}

#[tokio::test]
async fn bad_requests_are_400_and_unknown_tools_404() {
    let api = Api::start().await;
    let (status, reply) = api.post("/mock/load-schema", r#"[{"name": "a"}, {"name": ""}]"#).await;
    assert_eq!((status, reply["error_type"].as_str()), (400, Some("InvalidRequest")));
    assert!(reply["error"].as_str().is_some_and(|e| e.contains("tool #1")), "{reply}");
    assert_eq!(api.get("/mock/list-tools").await.1, json!({"tools": []}), "all or nothing");

    let (status, reply) = api.post("/mock/update-response", r#"{"name": "ghost", "mockResponse": 1}"#).await;
    assert_eq!((status, reply["error_type"].as_str()), (404, Some("UnknownTool")));
    let (status, reply) =
        api.post("/mock/add-fixture", r#"{"name": "ghost", "match": {}, "response": 1}"#).await;
    assert_eq!((status, reply["error_type"].as_str()), (404, Some("UnknownTool")));
    for (path, body) in [
        ("/mock/update-response", r#"{"mockResponse": 1}"#),
        ("/mock/add-fixture", r#"{"name": "a", "match": [1], "response": 1}"#),
        ("/mock/execute", "{not json"),
        ("/mock/execute", r#"{"arguments": {}}"#),
    ] {
        let (status, reply) = api.post(path, body).await;
        assert_eq!((status, reply["error_type"].as_str()), (400, Some("InvalidRequest")), "{path} {body}");
    }
    let metrics = api.text("/metrics").await;
    assert!(metrics.contains(r#"weft_requests_rejected_total{error_type="UnknownTool"} 2"#), "{metrics}");
}

/// `POST /mock/pull` imports a real MCP server's tools: a second weft serve's
/// `/mcp` (rmcp, Streamable HTTP), so the pulled tools are the VFS ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_loads_every_tool_of_an_mcp_server() {
    let api = Api::start().await;
    let (peer, _peer_stop) = common::spawn(common::state().await).await;

    let (status, body) =
        api.post("/mock/pull", json!({"url": format!("http://{peer}/mcp")}).to_string()).await;
    assert_eq!(status, 200, "{body}");
    let pulled: Vec<&str> =
        body["tools"].as_array().expect("names").iter().filter_map(Value::as_str).collect();
    for name in ["read_file", "write_file", "list_files", "delete_file"] {
        assert!(pulled.contains(&name), "{name} missing from {pulled:?}");
    }
    assert_eq!(body["loaded"], json!(pulled.len()));
    let (_, listed) = api.get("/mock/list-tools").await;
    let read =
        listed["tools"].as_array().expect("tools").iter().find(|t| t["name"] == "read_file").expect("pulled");
    assert_eq!(read["inputSchema"]["required"], json!(["file_path"]));
    // The pulled definition is a mock: answered from its schema, validated.
    let (status, reply) = api
        .post("/mock/execute", json!({"name": "read_file", "arguments": {"file_path": 3}}).to_string())
        .await;
    assert_eq!(status, 200);
    assert_eq!(reply["error_type"], "InvalidArguments", "{reply}");

    let (status, body) = api.post("/mock/pull", json!({"url": "ftp://example.com/mcp"}).to_string()).await;
    assert_eq!((status, body["error_type"].as_str()), (400, Some("InvalidRequest")));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let (status, body) =
        api.post("/mock/pull", json!({"url": format!("http://{closed}/mcp")}).to_string()).await;
    assert_eq!((status, body["error_type"].as_str()), (502, Some("UpstreamError")), "{body}");
    let (status, body) = api.post("/mock/pull", "{not json").await;
    assert_eq!((status, body["error_type"].as_str()), (400, Some("InvalidRequest")));
}
