//! `fake-llm [PORT] [LATENCY_MS]`: the fake OpenAI-compatible server on
//! 127.0.0.1 (port 0 picks one); prints `listening on ADDR` when ready.

use std::time::Duration;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let latency: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    let options = weft_bench::FakeOptions { latency: Duration::from_millis(latency), ..Default::default() };
    weft_bench::serve(listener, options).await
}
