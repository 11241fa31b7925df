//! `fake-llm [PORT] [LATENCY_MS] [short]`: the fake OpenAI-compatible server
//! on 127.0.0.1 (port 0 picks one); prints `listening on ADDR` when ready.
//! `short` makes samples of 4 model calls instead of 5.

use std::time::Duration;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let latency: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    let short = args.next().as_deref() == Some("short");
    let options =
        weft_bench::FakeOptions { latency: Duration::from_millis(latency), short, ..Default::default() };
    weft_bench::serve(listener, options).await
}
