//! The wasmtime engine: pooling allocator tuned for a fresh instance per call,
//! and the epoch ticker that enforces call deadlines.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::SandboxError;

/// How often the epoch advances; deadlines are counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Instances that may be alive at once (also the number of concurrent calls).
pub(crate) const DEFAULT_POOL_SIZE: u32 = 256;

/// Builds the engine. `max_memory_bytes` is the largest per-instance memory
/// cap of any component; the pool reserves slots of that size.
pub(crate) fn build(pool_size: u32, max_memory_bytes: usize) -> Result<Engine, SandboxError> {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(pool_size)
        .total_core_instances(pool_size * 4)
        .total_memories(pool_size * 2)
        .total_tables(pool_size * 4)
        .total_stacks(pool_size)
        .max_memory_size(max_memory_bytes)
        // Measured: keeping a little resident and resetting with pagemap_scan
        // is what makes a fresh instance per call cost ~15 µs instead of ~40.
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(2 << 20)
        .async_stack_keep_resident(256 << 10)
        .decommit_batch_size(16)
        .pagemap_scan(Enabled::Auto);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        // No WASI-P3 component is loaded; the concurrency machinery only costs.
        .concurrency_support(false)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|err| SandboxError::Engine(format!("{err:#}")))
}

/// The engine of Spin HTTP components: instances allocated on demand, not
/// from the pool. Their sizes vary far more than weft's own guests' (an
/// interpreter's component is tens of MB with large tables), and a fixed
/// pool sized for the largest would reserve that for every slot; a Spin
/// request costs tens of microseconds either way.
pub(crate) fn build_spin() -> Result<Engine, SandboxError> {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true).concurrency_support(false);
    Engine::new(&config).map_err(|err| SandboxError::Engine(format!("{err:#}")))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
pub(crate) fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new().name("weft-epoch".into()).spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(EPOCH_TICK);
        }
    });
    if let Err(err) = spawned {
        // Without a ticker no deadline fires; say so loudly rather than hang later.
        tracing::error!("cannot start the epoch ticker, call deadlines are not enforced: {err}");
    }
}

/// Deadline in ticks for a wall-clock budget, rounded up, at least one.
pub(crate) fn ticks_for(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_millis().max(1) as u64;
    (timeout.as_millis() as u64).div_ceil(tick).max(1)
}
