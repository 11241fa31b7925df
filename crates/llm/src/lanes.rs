//! A bounded pool of HTTP/2 connections to one provider.
//!
//! One HTTP/2 connection carries many requests at once, but only as many as
//! the server allows (its `SETTINGS_MAX_CONCURRENT_STREAMS`; RFC 9113 asks
//! for at least 100, and nginx, Go and hyper allow 128–250). A client with a
//! single connection makes every request past that limit wait for a free
//! stream, so thousands of samples in flight would go at the pace of a
//! hundred. [`Lanes`] keeps several clients, each holding its own connection,
//! and gives each request the least busy one: a new lane opens only when
//! every lane carries [`STREAMS_PER_LANE`] requests, so 10,000 requests in
//! flight use 100 connections instead of 10,000 (HTTP/1.1) or one queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::LlmError;

/// Requests one lane carries before another lane opens: the stream limit
/// every conforming server allows.
pub(crate) const STREAMS_PER_LANE: usize = 100;
/// At most this many lanes (100,000 requests at once); past it requests go
/// to the least busy lane and wait there for a stream.
pub(crate) const MAX_LANES: usize = 1000;

/// One client with its own connection, and how many requests it carries.
#[derive(Debug)]
struct Lane {
    client: reqwest::Client,
    in_flight: AtomicUsize,
}

/// Clients built alike, opened as the load needs them.
pub(crate) struct Lanes {
    build: Box<dyn Fn() -> Result<reqwest::Client, LlmError> + Send + Sync>,
    lanes: Mutex<Vec<Arc<Lane>>>,
    per_lane: usize,
    max_lanes: usize,
}

/// A request's hold on a lane: the lane counts it until this is dropped.
pub(crate) struct LaneGuard {
    lane: Arc<Lane>,
}

impl LaneGuard {
    /// The lane's client.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.lane.client
    }
}

impl Drop for LaneGuard {
    fn drop(&mut self) {
        self.lane.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Lanes {
    /// Lanes whose clients `build` makes; the first is built now, so a bad
    /// TLS setup fails here rather than on the first request.
    pub(crate) fn new(
        build: impl Fn() -> Result<reqwest::Client, LlmError> + Send + Sync + 'static,
        per_lane: usize,
        max_lanes: usize,
    ) -> Result<Self, LlmError> {
        let first = Arc::new(Lane { client: build()?, in_flight: AtomicUsize::new(0) });
        Ok(Self {
            build: Box::new(build),
            lanes: Mutex::new(vec![first]),
            per_lane: per_lane.max(1),
            max_lanes: max_lanes.max(1),
        })
    }

    /// The least busy lane, or a new one when every lane is full.
    pub(crate) fn acquire(&self) -> Result<LaneGuard, LlmError> {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        let least = lanes.iter().min_by_key(|lane| lane.in_flight.load(Ordering::Relaxed)).cloned();
        let lane = match least {
            Some(lane) if lane.in_flight.load(Ordering::Relaxed) < self.per_lane => lane,
            Some(lane) if lanes.len() >= self.max_lanes => lane,
            _ => {
                let lane = Arc::new(Lane { client: (self.build)()?, in_flight: AtomicUsize::new(0) });
                lanes.push(lane.clone());
                lane
            }
        };
        lane.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(LaneGuard { lane })
    }

    /// How many lanes are open.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes(per_lane: usize, max_lanes: usize) -> Lanes {
        crate::http::install_crypto_provider();
        Lanes::new(|| Ok(reqwest::Client::new()), per_lane, max_lanes).unwrap()
    }

    #[test]
    fn a_lane_opens_only_when_every_lane_is_full() {
        let lanes = lanes(2, 10);
        let held: Vec<_> = (0..4).map(|_| lanes.acquire().unwrap()).collect();
        assert_eq!(lanes.len(), 2);
        let fifth = lanes.acquire().unwrap();
        assert_eq!(lanes.len(), 3);
        drop(fifth);
        drop(held);
        // Freed lanes are reused, not multiplied.
        let again: Vec<_> = (0..6).map(|_| lanes.acquire().unwrap()).collect();
        assert_eq!(lanes.len(), 3);
        drop(again);
    }

    #[test]
    fn past_the_lane_cap_requests_share_the_least_busy_lane() {
        let lanes = lanes(1, 2);
        let held: Vec<_> = (0..5).map(|_| lanes.acquire().unwrap()).collect();
        assert_eq!(lanes.len(), 2);
        let counts: Vec<usize> =
            lanes.lanes.lock().unwrap().iter().map(|lane| lane.in_flight.load(Ordering::Relaxed)).collect();
        assert_eq!(counts.iter().sum::<usize>(), 5);
        assert!(counts.iter().all(|&count| (2..=3).contains(&count)), "{counts:?}");
        drop(held);
    }
}
