//! Where the HTTP backend gets tool definitions: `GET /tools` of weft serve,
//! weft's own VFS definitions for a service without a listing (DeepFabric's
//! Spin app), and `tools_endpoint` listings such as `/mock/list-tools`.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;
use weft_protocol::ToolBackend;
use weft_tools::{HttpBackend, HttpBackendOptions};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn mock_listing() -> Router {
    Router::new().route(
        "/mock/list-tools",
        get(|| async {
            axum::Json(json!({"tools": [{
                "name": "get_weather",
                "description": "Weather for a city",
                "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                "mockResponse": {"temp": 21}
            }]}))
        }),
    )
}

#[tokio::test]
async fn a_service_without_a_listing_gets_the_builtin_vfs_definitions_and_the_listed_ones() {
    // Like DeepFabric's Spin app: health and execute, no /tools.
    let app = mock_listing().route("/health", get(|| async { axum::Json(json!({"status": "healthy"})) }));
    let endpoint = serve(app).await;
    let mut options = HttpBackendOptions::new(endpoint.clone());
    options.definitions_url = Some(format!("{endpoint}/mock/list-tools"));
    let backend = HttpBackend::new(options).expect("backend");
    let tools = backend.tools().await.expect("definitions");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for builtin in ["read_file", "write_file", "list_files", "delete_file"] {
        assert!(names.contains(&builtin), "{builtin} missing from {names:?}");
    }
    let read = tools.iter().find(|t| t.name == "read_file").expect("read_file");
    assert_eq!(read.input_schema["required"], json!(["file_path"]));
    let weather = tools.iter().find(|t| t.name == "get_weather").expect("the listed tool");
    assert_eq!(weather.input_schema["required"], json!(["city"]));
}

#[tokio::test]
async fn a_failing_listing_is_an_error_not_an_empty_catalogue() {
    let app = Router::new()
        .route("/tools", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route("/health", get(|| async { "ok" }));
    let backend = HttpBackend::new(HttpBackendOptions::new(serve(app).await)).expect("backend");
    let err = backend.tools().await.expect_err("HTTP 500 is not a listing");
    assert!(err.to_string().contains("500"), "{err}");

    let endpoint = serve(Router::new().route("/tools", get(|| async { axum::Json(json!([])) }))).await;
    let mut options = HttpBackendOptions::new(endpoint.clone());
    options.definitions_url = Some(format!("{endpoint}/missing"));
    let err = HttpBackend::new(options).expect("backend").tools().await.expect_err("404 listing");
    assert!(err.to_string().contains("404"), "{err}");
}
