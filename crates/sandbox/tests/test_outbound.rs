//! Outbound HTTP from a guest: only to the hosts the manifest grants, within
//! timeouts and a size cap, never following a redirect; secrets redacted.

use crate::common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{assert_ok, call, from_toml};
use serde_json::json;
use weft_sandbox::{Manifest, Sandbox};

/// A loopback server with one route per behaviour; counts every request.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/big", get(|| async { "x".repeat(64 * 1024) }))
        .route(
            "/big-stream",
            get(|| async {
                let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 1024]));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/stall",
            get(|| async {
                let first = futures::stream::once(async { Ok::<_, std::io::Error>(b"start".to_vec()) });
                let stalled = futures::stream::once(async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok::<_, std::io::Error>(b"end".to_vec())
                });
                Body::from_stream(futures::StreamExt::chain(first, stalled))
            }),
        )
        .route(
            "/redirect",
            get(|| async {
                (axum::http::StatusCode::FOUND, [("location", "https://example.com/")]).into_response()
            }),
        )
        .layer(axum::middleware::from_fn(move |request, next: axum::middleware::Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request).await
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    (url, hits)
}

/// The misbehaving guest allowed to reach `hosts` with tight limits.
async fn guest(hosts: &str) -> Sandbox {
    from_toml(&format!(
        r#"
        [component.misbehave]
        source = "builtin:misbehave"
        allowed_outbound_hosts = [{hosts}]
        timeout_ms = 3000
        [component.misbehave.http]
        first_byte_timeout_ms = 200
        between_bytes_timeout_ms = 200
        max_response_bytes = 16384
        "#
    ))
    .await
}

async fn http_get(sandbox: &Sandbox, url: &str) -> String {
    let outcome = call(sandbox, "s", "http_get", json!({ "url": url })).await;
    assert!(outcome.success, "{outcome:?}");
    outcome.result
}

/// Log lines written while `f` runs on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

#[tokio::test]
async fn a_granted_host_is_reached_and_others_are_refused_and_logged() {
    let (url, hits) = upstream().await;
    let port = url.rsplit(':').next().expect("port");
    let sandbox = guest(&format!("\"http://127.0.0.1:{port}\"")).await;
    assert_eq!(http_get(&sandbox, &format!("{url}/ok")).await, "200: fine");

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let other = format!("http://localhost:{port}/ok?token=hunter2");
    assert_eq!(
        http_get(&sandbox, &other).await,
        format!("NotAllowed: Requests to http://localhost:{port} are not allowed for this component")
    );
    let wrong_scheme = format!("https://127.0.0.1:{port}/ok");
    assert!(http_get(&sandbox, &wrong_scheme).await.starts_with("NotAllowed: "));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a refused request reached the server");

    let logged = logs.text();
    assert!(logged.contains("WARN"), "{logged}");
    assert!(logged.contains(&format!("destination=http://localhost:{port}")), "{logged}");
    assert!(logged.contains("outbound request refused"), "{logged}");
    assert!(!logged.contains("hunter2"), "the query reached the log: {logged}");
}

#[tokio::test]
async fn without_a_grant_no_connection_is_ever_opened() {
    let (url, hits) = upstream().await;
    let sandbox = guest("").await;
    let port = url.rsplit(':').next().expect("port");
    assert_eq!(
        http_get(&sandbox, &format!("{url}/ok")).await,
        format!("NotAllowed: Requests to http://127.0.0.1:{port} are not allowed for this component")
    );
    assert!(http_get(&sandbox, "https://example.com/").await.starts_with("NotAllowed: "));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// A wildcard grant reaches the public internet only: loopback (by address
/// or by a name resolving there) needs an entry naming that host. The
/// upstream is on loopback, so each refusal is also checked to have sent
/// nothing.
#[tokio::test]
async fn a_wildcard_grant_does_not_reach_private_addresses() {
    let (url, hits) = upstream().await;
    let port = url.rsplit(':').next().expect("port");
    let refused = |origin: String| {
        format!(
            "NotAllowed: Requests to {origin} are not allowed for this component: it is a private \
             address, reachable only through an allowed_outbound_hosts entry that names it"
        )
    };
    let wildcard = guest(&format!("\"http://*:{port}\"")).await;
    for host in ["127.0.0.1", "localhost", "[::1]"] {
        assert_eq!(
            http_get(&wildcard, &format!("http://{host}:{port}/ok")).await,
            refused(format!("http://{host}:{port}"))
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a refused request reached the server");

    // Naming the host is the operator vouching for it.
    let named = guest(&format!("\"http://localhost:{port}\", \"http://127.0.0.1:*\"")).await;
    assert_eq!(http_get(&named, &format!("http://localhost:{port}/ok")).await, "200: fine");
    assert_eq!(http_get(&named, &format!("{url}/ok")).await, "200: fine");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn responses_over_the_cap_are_refused_whether_announced_or_streamed() {
    let (url, _) = upstream().await;
    let sandbox = guest("\"http://127.0.0.1:*\"").await;
    for path in ["/big", "/big-stream"] {
        assert_eq!(
            http_get(&sandbox, &format!("{url}{path}")).await,
            format!("TooLarge: the response from {url} is larger than 16384 bytes")
        );
    }
}

#[tokio::test]
async fn a_silent_upstream_times_out_before_the_first_byte_and_between_bytes() {
    let (url, _) = upstream().await;
    let sandbox = guest("\"http://127.0.0.1:*\"").await;
    assert_eq!(
        http_get(&sandbox, &format!("{url}/slow")).await,
        format!("Timeout: {url} did not answer within 200 ms")
    );
    assert_eq!(
        http_get(&sandbox, &format!("{url}/stall")).await,
        format!("Timeout: {url} paused for more than 200 ms in the response body")
    );
    // The sandbox keeps serving.
    assert_eq!(http_get(&sandbox, &format!("{url}/ok")).await, "200: fine");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (url, _) = upstream().await;
    let sandbox = guest("\"http://127.0.0.1:*\"").await;
    assert_eq!(http_get(&sandbox, &format!("{url}/redirect")).await, "302: ");
}

#[tokio::test]
async fn allowed_hosts_expand_variables_and_bad_entries_fail_the_load() {
    let (url, _) = upstream().await;
    let text = r#"
        [variables]
        api_url = { default = "https://nowhere.invalid" }
        [component.misbehave]
        source = "builtin:misbehave"
        allowed_outbound_hosts = ["{{ api_url }}"]
        "#;
    let mut manifest = Manifest::parse(text, "t.toml".as_ref(), ".".into()).expect("parses");
    manifest.set_variable("api_url", format!("{url}/api/v3")).expect("declared");
    let sandbox = Sandbox::new(manifest).await.expect("loads");
    assert_eq!(http_get(&sandbox, &format!("{url}/ok")).await, "200: fine");

    let bad = Manifest::parse(
        "[component.m]\nsource = \"builtin:misbehave\"\nallowed_outbound_hosts = [\"api.github.com\"]\n",
        "t.toml".as_ref(),
        ".".into(),
    )
    .expect("parses");
    let err = Sandbox::new(bad).await.err().expect("an entry without a scheme is refused");
    assert!(err.to_string().contains("expected scheme://host[:port]"), "{err}");
}

#[tokio::test]
async fn secret_values_are_redacted_from_every_outcome() {
    let sandbox = from_toml(
        r#"
        [variables]
        token = { default = "s3cr3t-value-42", secret = true }
        plain = { default = "visible" }
        [component.misbehave]
        source = "builtin:misbehave"
        [component.misbehave.variables]
        token = "{{ token }}"
        plain = "{{ plain }}"
        "#,
    )
    .await;
    assert_ok(&sandbox.execute("s", "variable", "token").await, "[REDACTED]");
    assert_ok(&sandbox.execute("s", "variable", "plain").await, "visible");
    // Even when the secret arrives from outside (here the arguments, echoed).
    assert_ok(&sandbox.execute("s", "echo", r#"{"a":"xs3cr3t-value-42x"}"#).await, r#"{"a":"x[REDACTED]x"}"#);
}

#[tokio::test]
async fn enabled_if_loads_a_component_only_when_its_variable_is_set() {
    let text = r#"
        [variables]
        key = { default = "" }
        [component.misbehave]
        source = "builtin:misbehave"
        enabled_if = "key"
        "#;
    let manifest = Manifest::parse(text, "t.toml".as_ref(), ".".into()).expect("parses");
    assert!(!Sandbox::new(manifest.clone()).await.expect("loads").has_component("misbehave"));
    let mut manifest = manifest;
    manifest.set_variable("key", "yes").expect("declared");
    assert!(Sandbox::new(manifest).await.expect("loads").has_component("misbehave"));

    let err = Manifest::parse(
        "[component.m]\nsource = \"builtin:misbehave\"\nenabled_if = \"nope\"\n",
        "t.toml".as_ref(),
        ".".into(),
    )
    .expect_err("undeclared");
    assert!(err.to_string().contains("enabled_if names undeclared variable 'nope'"), "{err}");
}

#[tokio::test]
async fn a_load_error_does_not_quote_a_secret() {
    let text = r#"
        [variables]
        token = { default = "tok-1234567", secret = true }
        [component.misbehave]
        source = "builtin:misbehave"
        allowed_outbound_hosts = ["{{ token }}"]
        "#;
    let manifest = Manifest::parse(text, "t.toml".as_ref(), ".".into()).expect("parses");
    let err = Sandbox::new(manifest).await.err().expect("not a host pattern").to_string();
    assert!(err.contains("'[REDACTED]'") && !err.contains("tok-1234567"), "{err}");
}
