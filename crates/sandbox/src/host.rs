//! What a guest sees of the host during one call: an empty WASI context (no
//! files, no environment, no sockets), its session's store, its variables,
//! and outbound HTTP to the hosts its manifest entry allows.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::kv::{KvError, SharedStore};
use weft_outbound::{OutboundError, OutboundHttp};

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
    /// The message of a storage quota the call ran into: the guest only
    /// sees `too-large`; a `ResourceExhausted` answer gets this text.
    pub(crate) quota_exceeded: Option<String>,
    /// Epoch ticks this call has run through, and the tick it ends at.
    pub(crate) ticks: u64,
    pub(crate) deadline_ticks: u64,
    /// The call runs on an async worker with other connections waiting:
    /// past its first tick, while it has changed nothing, it stops and is
    /// run again on a thread of its own (see `component::execute_inline`).
    pub(crate) inline: bool,
    /// The call has written to its store: running it again would repeat it.
    pub(crate) wrote: bool,
    /// Stopped for running past the inline budget.
    pub(crate) over_budget: bool,
    /// The call writes a scenario's file before the session's first call:
    /// the guest sees the variable [`SEEDING_VARIABLE`].
    pub(crate) seeding: bool,
    /// The store failed under the call (not a quota, not a size cap): what
    /// the call answers is the service's failure, not the tool's.
    pub(crate) store_failed: Option<String>,
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
            quota_exceeded: None,
            ticks: 0,
            deadline_ticks: u64::MAX,
            inline: false,
            wrote: false,
            over_budget: false,
            seeding: false,
            store_failed: None,
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

impl CallState {
    fn store_error(&mut self, err: KvError) -> StoreError {
        match err {
            KvError::TooLarge(_) => StoreError::TooLarge,
            KvError::Quota(message) => {
                self.quota_exceeded = Some(message);
                StoreError::TooLarge
            }
            other => {
                let message = other.to_string();
                self.store_failed = Some(message.clone());
                StoreError::Other(message)
            }
        }
    }
}

impl weft::tool::types::Host for CallState {}

impl weft::tool::session_store::Host for CallState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, StoreError> {
        let result = self.store()?.get(&self.session, &key);
        result.map_err(|err| self.store_error(err))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), StoreError> {
        self.wrote = true;
        let result = self.store()?.set(&self.session, &key, &value);
        result.map_err(|err| self.store_error(err))
    }

    fn delete(&mut self, key: String) -> Result<(), StoreError> {
        self.wrote = true;
        let result = self.store()?.delete(&self.session, &key);
        result.map(drop).map_err(|err| self.store_error(err))
    }

    fn exists(&mut self, key: String) -> Result<bool, StoreError> {
        let result = self.store()?.exists(&self.session, &key);
        result.map_err(|err| self.store_error(err))
    }

    fn list_keys(&mut self, prefix: String) -> Result<Vec<String>, StoreError> {
        let result = self.store()?.list_keys(&self.session, &prefix);
        result.map_err(|err| self.store_error(err))
    }
}

/// The variable a guest reads (`"1"`) only while the host seeds a session
/// with a scenario's files. A manifest cannot define it: Spin variable names
/// have no `.`.
pub(crate) const SEEDING_VARIABLE: &str = "weft.seeding";

impl weft::tool::config::Host for CallState {
    fn get(&mut self, name: String) -> Option<String> {
        if name == SEEDING_VARIABLE {
            return self.seeding.then(|| "1".to_owned());
        }
        self.variables.get(&name).cloned()
    }
}

impl weft::tool::outbound_http::Host for CallState {
    async fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = weft_outbound::Request {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
        };
        match self.http.send(request).await {
            Ok(response) => {
                Ok(HttpResponse { status: response.status, headers: response.headers, body: response.body })
            }
            Err(OutboundError::NotAllowed(message)) => Err(HttpError::NotAllowed(message)),
            Err(OutboundError::InvalidRequest(message)) => Err(HttpError::InvalidRequest(message)),
            Err(OutboundError::Timeout(message)) => Err(HttpError::Timeout(message)),
            Err(OutboundError::TooLarge(message)) => Err(HttpError::TooLarge(message)),
            Err(other) => Err(HttpError::Transport(other.to_string())),
        }
    }
}
