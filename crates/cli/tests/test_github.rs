//! The GitHub component through the `weft` binary, configured only through
//! the environment (`SPIN_VARIABLE_*`) as a user would, against a fake GitHub
//! API on loopback. The token must reach GitHub and nothing else: not
//! stdout, not the logs, not /metrics.

use crate::fake_github;

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use fake_github::{FakeGitHub, TOKEN};
use serde_json::Value;

/// The fake on its own runtime, alive as long as the returned runtime.
fn fake() -> (tokio::runtime::Runtime, FakeGitHub) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let fake = runtime.block_on(FakeGitHub::start());
    (runtime, fake)
}

fn weft(fake: &FakeGitHub) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weft"));
    command
        .env("SPIN_VARIABLE_GITHUB_TOKEN", TOKEN)
        .env("SPIN_VARIABLE_GITHUB_API_URL", &fake.url)
        .env("SPIN_VARIABLE_ALLOWED_REPOS", "octo/hello")
        .env("RUST_LOG", "debug");
    command
}

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    reply
}

#[test]
fn tools_call_reaches_the_api_named_by_the_environment_and_hides_the_token() {
    let (_runtime, fake) = fake();
    let output = weft(&fake)
        .args(["tools", "call", "gh_get_issue", r#"{"owner":"octo","repo":"hello","issue_number":7}"#])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let envelope: Value = serde_json::from_str(stdout.trim()).expect("an envelope");
    let issue: Value = serde_json::from_str(envelope["result"].as_str().expect("result")).expect("JSON");
    // The fake echoes the Authorization header it got as the issue body.
    assert_eq!(issue["body"], "Bearer [REDACTED]");
    assert_eq!(fake.last().authorization, Some(format!("Bearer {TOKEN}")));
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN), "{stdout}\n{stderr}");

    let output = weft(&fake)
        .args(["tools", "call", "gh_list_commits", r#"{"owner":"evil","repo":"secret"}"#])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        r#"{"success":false,"result":"Repository 'evil/secret' is not in the allowed list. Allowed repositories: octo/hello","error_type":"NotAllowed"}"#
    );
}

#[test]
fn serve_routes_github_and_keeps_the_token_out_of_logs_and_metrics() {
    let (_runtime, fake) = fake();
    let mut child = weft(&fake)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft serve starts");
    let (addr, mut logs, lines) = common::until_listening(&mut child);
    assert!(logs.iter().any(|l| l.contains("component github: 13 tools")), "{logs:?}");

    let mut replies = Vec::new();
    for body in [
        r#"{"session_id":"s","tool":"gh_get_issue","args":{"owner":"octo","repo":"hello","issue_number":7}}"#,
        r#"{"session_id":"s","tool":"gh_get_issue","args":{"owner":"octo","repo":"hello","issue_number":404}}"#,
        r#"{"session_id":"s","tool":"gh_get_issue","args":{"owner":"octo","repo":"hello","issue_number":403}}"#,
    ] {
        replies.push(http(
            &addr,
            &format!(
                "POST /github/execute HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        ));
    }
    assert!(replies[0].contains(r#"Bearer [REDACTED]"#), "{}", replies[0]);
    assert!(replies[1].contains(r#""error_type":"UpstreamError""#), "{}", replies[1]);
    assert!(replies[2].contains(r#""error_type":"RateLimited""#), "{}", replies[2]);
    let metrics = http(&addr, &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    assert!(metrics.contains("gh_get_issue"), "{metrics}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    logs.extend(lines.map_while(Result::ok));
    let exit = child.wait().expect("weft serve exits");
    assert!(exit.success(), "{exit:?}");
    let logs = logs.join("\n");
    for (what, text) in [("a reply", replies.join("\n")), ("/metrics", metrics), ("the log", logs)] {
        assert!(!text.contains(TOKEN), "the token leaked into {what}:\n{text}");
    }
}
