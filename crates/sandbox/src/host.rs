//! What a guest sees of the host during one call: an empty WASI context (no
//! files, no environment, no sockets), its session's store, its variables,
//! and outbound HTTP to the hosts its manifest entry allows.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::kv::{KvError, SharedStore};
use crate::outbound::OutboundHttp;

// The store and config imports answer from local state and are plain
// calls; only outbound HTTP waits on the network. A component importing
// nothing async runs without a fiber (see `component::Mode`).
wasmtime::component::bindgen!({
    world: "tool",
    path: "../../wit",
    imports: { "weft:tool/outbound-http.send": async },
    exports: { default: async },
});

pub(crate) use weft::tool::outbound_http::{HttpError, Request as HttpRequest, Response as HttpResponse};
pub(crate) use weft::tool::session_store::StoreError;
pub(crate) use weft::tool::types::{
    ErrorType as WitErrorType, Outcome as WitOutcome, ToolDefinition as WitToolDefinition,
};

/// The state of one call's `Store`.
pub(crate) struct CallState {
    /// Built on the guest's first WASI call: most calls make none, and
    /// building one (clocks, random generators) is a measurable part of a
    /// fresh instance.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    session: Arc<str>,
    store: Option<SharedStore>,
    variables: Arc<BTreeMap<String, String>>,
    http: Arc<OutboundHttp>,
    memory_cap: usize,
    /// Set when the guest tried to grow past `memory_cap`: the trap that
    /// follows is `ResourceExhausted`, not a crash.
    pub(crate) memory_exceeded: bool,
}

impl CallState {
    pub(crate) fn new(
        session: Arc<str>,
        store: Option<SharedStore>,
        variables: Arc<BTreeMap<String, String>>,
        http: Arc<OutboundHttp>,
        memory_cap: usize,
    ) -> Self {
        Self {
            wasi: None,
            table: ResourceTable::new(),
            session,
            store,
            variables,
            http,
            memory_cap,
            memory_exceeded: false,
        }
    }

    fn store(&self) -> Result<&SharedStore, StoreError> {
        self.store.as_ref().ok_or(StoreError::AccessDenied)
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        // Nothing inherited: no preopens, no env, no args, no network,
        // stdio goes nowhere.
        let ctx = self.wasi.get_or_insert_with(|| WasiCtx::builder().build());
        WasiCtxView { ctx, table: &mut self.table }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_exceeded = true;
            wasmtime::bail!("memory cap of {} bytes exceeded", self.memory_cap);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

fn store_error(err: KvError) -> StoreError {
    match err {
        KvError::TooLarge(_) => StoreError::TooLarge,
        other => StoreError::Other(other.to_string()),
    }
}

impl weft::tool::types::Host for CallState {}

impl weft::tool::session_store::Host for CallState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, StoreError> {
        self.store()?.get(&self.session, &key).map_err(store_error)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), StoreError> {
        self.store()?.set(&self.session, &key, &value).map_err(store_error)
    }

    fn delete(&mut self, key: String) -> Result<(), StoreError> {
        self.store()?.delete(&self.session, &key).map(drop).map_err(store_error)
    }

    fn exists(&mut self, key: String) -> Result<bool, StoreError> {
        self.store()?.exists(&self.session, &key).map_err(store_error)
    }

    fn list_keys(&mut self, prefix: String) -> Result<Vec<String>, StoreError> {
        self.store()?.list_keys(&self.session, &prefix).map_err(store_error)
    }
}

impl weft::tool::config::Host for CallState {
    fn get(&mut self, name: String) -> Option<String> {
        self.variables.get(&name).cloned()
    }
}

impl weft::tool::outbound_http::Host for CallState {
    async fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.http.send(request).await
    }
}
