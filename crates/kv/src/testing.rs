//! Test support (feature `testing`): a Redis server for the tests of shared
//! stores.

/// A Redis server for one test.
pub struct TestRedis {
    /// Where it listens.
    pub url: String,
    own: Option<std::process::Child>,
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The run's Redis (`WEFT_TEST_REDIS_URL`, which `.ci/run` starts), or
/// [`own_redis`] when the variable is unset.
pub fn redis(test: &str) -> Option<TestRedis> {
    match std::env::var("WEFT_TEST_REDIS_URL") {
        Ok(url) => Some(TestRedis { url, own: None }),
        Err(_) => own_redis(test),
    }
}

/// A `redis-server` of this test's own on a free port (a test that stops
/// it needs one nobody else uses); `None`, and SKIPPED on stderr, when
/// none is installed.
pub fn own_redis(test: &str) -> Option<TestRedis> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let spawned = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn();
    let Ok(child) = spawned else {
        let why = "no redis-server (set WEFT_TEST_REDIS_URL or install redis-server)";
        // In CI a missing peer is a failure, never a skip.
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{test}: {why}");
        eprintln!("SKIPPED {test}: {why}");
        return None;
    };
    let redis = TestRedis { url: format!("redis://127.0.0.1:{port}"), own: Some(child) };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(redis);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("redis-server did not start listening on {port}");
}

impl TestRedis {
    /// Stops a server of the test's own (one from [`own_redis`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.own.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A name no other test (or earlier run against the same Redis) uses.
pub fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}
