//! Thread-per-core serving: each worker thread runs its own single-threaded
//! runtime and accepts on its own `SO_REUSEPORT` listener bound to the same
//! address, so the kernel spreads connections and a request never hops
//! between threads. Measured on 2 cores under wrk: fewer wake-ups and
//! context switches than one work-stealing runtime.

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::AppState;

/// Running workers; [`Workers::shutdown`] stops them gracefully.
pub struct Workers {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    threads: Vec<JoinHandle<io::Result<()>>>,
}

impl Workers {
    /// Binds `addr` once per worker and starts serving.
    pub fn spawn(addr: SocketAddr, workers: usize, state: AppState) -> io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let mut local_addr = addr;
        let mut threads = Vec::new();
        for index in 0..workers.max(1) {
            // Port 0 picks a port once; the other workers join that one.
            let listener = reuseport_listener(local_addr)?;
            local_addr = listener.local_addr()?;
            let state = state.clone();
            let mut stopped = stopped.clone();
            let thread =
                std::thread::Builder::new().name(format!("weft-serve-{index}")).spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        crate::serve(listener, state, async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        })
                        .await
                    })
                })?;
            threads.push(thread);
        }
        Ok(Self { local_addr, stop, threads })
    }

    /// The address the workers accept on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish, joins the threads.
    pub fn shutdown(self) -> io::Result<()> {
        let _ = self.stop.send(true);
        for thread in self.threads {
            thread.join().map_err(|_| io::Error::other("a server worker panicked"))??;
        }
        Ok(())
    }
}

fn reuseport_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?;
    listener.into_std()
}
