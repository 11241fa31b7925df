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
    let port = fresh_port()?;
    let spawned = spawn_redis(port);
    let Ok(child) = spawned else {
        let why = "no redis-server (set WEFT_TEST_REDIS_URL or install redis-server)";
        // In CI a missing peer is a failure, never a skip.
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{test}: {why}");
        eprintln!("SKIPPED {test}: {why}");
        return None;
    };
    let redis = TestRedis { url: format!("redis://127.0.0.1:{port}"), own: Some(child) };
    wait_listening(port);
    Some(redis)
}

/// A free port no other server of this process was given: the kernel may
/// hand a just-released port to two tests running at once.
fn fresh_port() -> Option<u16> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..100 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        if !given.contains(&port) {
            given.push(port);
            return Some(port);
        }
    }
    None
}

fn spawn_redis(port: u16) -> std::io::Result<std::process::Child> {
    std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
}

fn wait_listening(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("redis-server did not start listening on {port}");
}

impl TestRedis {
    /// Starts a stopped server of the test's own again on its port, empty
    /// (what a Redis without persistence is after a restart).
    pub fn restart(&mut self) {
        self.stop();
        let port: u16 = self
            .url
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("an own server's URL ends with its port");
        self.own = Some(spawn_redis(port).expect("redis-server starts again"));
        wait_listening(port);
    }

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
