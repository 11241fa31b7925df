//! `fake-hub TOKEN:USER... [--lfs-threshold BYTES] [--multipart-chunk BYTES] [--cdn]`:
//! the fake Hugging Face Hub on 127.0.0.1 (random ports), in memory, until
//! killed; prints `HF_ENDPOINT=http://127.0.0.1:PORT` when ready.

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let mut options = weft_bench::hub::HubOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> std::io::Result<u64> {
            args.next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| std::io::Error::other(format!("{what} needs a number of bytes")))
        };
        match arg.as_str() {
            "--lfs-threshold" => options.lfs_threshold = number("--lfs-threshold")?,
            "--multipart-chunk" => options.multipart_chunk = Some(number("--multipart-chunk")?),
            "--cdn" => options.cdn = true,
            token => {
                let (token, user) = token
                    .split_once(':')
                    .ok_or_else(|| std::io::Error::other(format!("{token:?}: give tokens as TOKEN:USER")))?;
                options = options.token(token, user);
            }
        }
    }
    let hub = weft_bench::hub::FakeHub::start(options).await?;
    println!("HF_ENDPOINT={}", hub.endpoint());
    std::future::pending::<()>().await;
    Ok(())
}
