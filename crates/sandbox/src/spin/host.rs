//! What a Spin HTTP component sees of the host during one request: WASI
//! with only what its manifest grants (its `environment`, its read-only
//! `files` mounts, stdout/stderr captured for the log, no sockets),
//! `wasi:http` with outbound requests through weft's one allowlist gate,
//! the application's labelled key-value stores, and its variables.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::ResourceLimiter;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};
use weft_kv::SharedStore;
use weft_outbound::{OutboundError, OutboundHttp};

use crate::manifest::FileMount;

mod bindings {
    // Our WIT of the Spin 2 platform interfaces and of `wasi:config/store`.
    wasmtime::component::bindgen!({
        path: "wit/spin.wit",
        world: "spin-imports",
        with: { "fermyon:spin/key-value.store": super::StoreHandle },
    });
}

mod config_bindings {
    wasmtime::component::bindgen!({
        path: "wit/wasi-config.wit",
        world: "config-imports",
    });
}

pub(crate) use bindings::fermyon::spin::{key_value, variables};
pub(crate) use config_bindings::wasi::config::store as config_store;

/// The namespace a Spin application's data lives under in weft's stores.
/// A Spin store is the application's, not a session's: the guest picks its
/// own keys (the reference VFS writes `session_id:path`). Session ids equal
/// to this name are refused, so no session can reach the application's data.
pub const SPIN_APP_NAMESPACE: &str = "__spin_app__";

/// An opened store, as the guest holds it.
pub struct StoreHandle {
    store: SharedStore,
}

/// The stores a component may open: its granted labels and what backs them.
#[derive(Clone, Default)]
pub(crate) struct GrantedStores {
    pub(crate) by_label: BTreeMap<String, SharedStore>,
}

impl GrantedStores {
    /// Whether any of them waits on the network (calls then run on a blocking thread).
    pub(crate) fn any_remote(&self) -> bool {
        self.by_label.values().any(|store| store.is_remote())
    }
}

/// What every request of one component shares.
pub(crate) struct SpinGrants {
    pub(crate) stores: GrantedStores,
    pub(crate) variables: BTreeMap<String, String>,
    pub(crate) environment: Vec<(String, String)>,
    pub(crate) files: Vec<(std::path::PathBuf, String)>,
    pub(crate) http: Arc<OutboundHttp>,
    pub(crate) memory_cap: usize,
}

impl SpinGrants {
    pub(crate) fn mounts(
        base_dir: &std::path::Path,
        files: &[FileMount],
    ) -> Vec<(std::path::PathBuf, String)> {
        files.iter().map(|mount| (base_dir.join(&mount.source), mount.destination.clone())).collect()
    }
}

/// The state of one request's `Store`.
pub(crate) struct SpinState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: Gate,
    grants: Arc<SpinGrants>,
    /// Stdout and stderr together, logged when the request ends.
    pub(crate) output: MemoryOutputPipe,
    /// Set when the guest tried to grow past its memory cap.
    pub(crate) memory_exceeded: bool,
    /// The key-value store failed under the request (not a quota or a size
    /// cap): the answer is the service's failure, not the guest's.
    pub(crate) store_failed: Option<String>,
}

/// Most of a guest's stdout/stderr kept per request for the log.
const OUTPUT_CAP: usize = 64 << 10;

impl SpinState {
    pub(crate) fn new(grants: Arc<SpinGrants>) -> wasmtime::Result<Self> {
        let output = MemoryOutputPipe::new(OUTPUT_CAP);
        let mut builder = WasiCtx::builder();
        builder.stdout(output.clone()).stderr(output.clone());
        for (name, value) in &grants.environment {
            builder.env(name, value);
        }
        for (host, guest) in &grants.files {
            builder.preopened_dir(host, guest, FsPerms::ReadOnly)?;
        }
        Ok(Self {
            wasi: builder.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: Gate { http: grants.http.clone() },
            grants,
            output,
            memory_exceeded: false,
            store_failed: None,
        })
    }
}

impl WasiView for SpinState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for SpinState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

impl ResourceLimiter for SpinState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.grants.memory_cap {
            self.memory_exceeded = true;
            wasmtime::bail!("memory cap of {} bytes exceeded", self.grants.memory_cap);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Interpreters (componentize-py's CPython) keep large function tables.
        Ok(desired <= 1_000_000)
    }
}

/// `wasi:http/outgoing-handler`, sent through the component's gate: the
/// same `allowed_outbound_hosts` check, public-only wildcards, timeouts and
/// size cap as weft's own world. A refusal is `HttpRequestDenied` to the guest.
struct Gate {
    http: Arc<OutboundHttp>,
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Gate {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let gate = self.http.clone();
        Box::new(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let headers = parts
                .headers
                .iter()
                .filter(|(name, _)| *name != http::header::HOST)
                .map(|(name, value)| {
                    (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
                })
                .collect();
            let outgoing = weft_outbound::Request {
                method: parts.method.to_string(),
                url: parts.uri.to_string(),
                headers,
                body: (!body.is_empty()).then(|| body.to_vec()),
            };
            let response = gate.send(outgoing).await.map_err(|err| {
                tracing::debug!("outbound request failed: {err}");
                match err {
                    OutboundError::NotAllowed(_) => wasmtime_wasi_http::Error::HttpRequestDenied,
                    OutboundError::InvalidRequest(_) => wasmtime_wasi_http::Error::HttpRequestUriInvalid,
                    OutboundError::Timeout(_) => wasmtime_wasi_http::Error::ConnectionTimeout,
                    OutboundError::TooLarge(_) => wasmtime_wasi_http::Error::HttpResponseBodySize(None),
                    other => wasmtime_wasi_http::Error::InternalError(Some(other.to_string())),
                }
            })?;
            let mut builder = http::Response::builder().status(response.status);
            for (name, value) in &response.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let body = Full::new(Bytes::from(response.body)).map_err(|never| match never {}).boxed_unsync();
            let response = builder
                .body(body)
                .map_err(|err| wasmtime_wasi_http::Error::InternalError(Some(err.to_string())))?;
            let done: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> =
                Box::new(async { Ok(()) });
            Ok((response, done))
        })
    }
}

impl key_value::Host for SpinState {}

impl key_value::HostStore for SpinState {
    fn open(&mut self, label: String) -> Result<Resource<StoreHandle>, key_value::Error> {
        let Some(store) = self.grants.stores.by_label.get(&label).cloned() else {
            // As Spin: a label the component was not granted is refused.
            return Err(key_value::Error::AccessDenied);
        };
        self.table.push(StoreHandle { store }).map_err(|err| key_value::Error::Other(err.to_string()))
    }

    fn get(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        let result = self.handle(&handle)?.get(SPIN_APP_NAMESPACE, &key);
        result.map_err(|err| self.kv_error(err))
    }

    fn set(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        let result = self.handle(&handle)?.set(SPIN_APP_NAMESPACE, &key, &value);
        result.map_err(|err| self.kv_error(err))
    }

    fn delete(&mut self, handle: Resource<StoreHandle>, key: String) -> Result<(), key_value::Error> {
        let result = self.handle(&handle)?.delete(SPIN_APP_NAMESPACE, &key).map(drop);
        result.map_err(|err| self.kv_error(err))
    }

    fn exists(&mut self, handle: Resource<StoreHandle>, key: String) -> Result<bool, key_value::Error> {
        let result = self.handle(&handle)?.exists(SPIN_APP_NAMESPACE, &key);
        result.map_err(|err| self.kv_error(err))
    }

    fn get_keys(&mut self, handle: Resource<StoreHandle>) -> Result<Vec<String>, key_value::Error> {
        let result = self.handle(&handle)?.list_keys(SPIN_APP_NAMESPACE, "");
        result.map_err(|err| self.kv_error(err))
    }

    fn drop(&mut self, handle: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl SpinState {
    /// The guest's error for a store error; a failing backend is noted.
    fn kv_error(&mut self, err: weft_kv::KvError) -> key_value::Error {
        if matches!(err, weft_kv::KvError::Backend(_)) {
            self.store_failed = Some(err.to_string());
        }
        key_value::Error::Other(err.to_string())
    }

    fn handle(&self, handle: &Resource<StoreHandle>) -> Result<SharedStore, key_value::Error> {
        self.table
            .get(handle)
            .map(|opened| opened.store.clone())
            .map_err(|err| key_value::Error::Other(err.to_string()))
    }
}

impl variables::Host for SpinState {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(variables::Error::InvalidName(name));
        }
        self.grants.variables.get(&name).cloned().ok_or(variables::Error::Undefined(name))
    }
}

impl config_store::Host for SpinState {
    fn get(&mut self, key: String) -> Result<Option<String>, config_store::Error> {
        Ok(self.grants.variables.get(&key).cloned())
    }

    fn get_all(&mut self) -> Result<Vec<(String, String)>, config_store::Error> {
        Ok(self.grants.variables.iter().map(|(name, value)| (name.clone(), value.clone())).collect())
    }
}

/// Adds the Spin platform interfaces weft implements to `linker`.
pub(crate) fn add_spin_interfaces(
    linker: &mut wasmtime::component::Linker<SpinState>,
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    key_value::add_to_linker::<_, HasSelf<SpinState>>(linker, |state| state)?;
    variables::add_to_linker::<_, HasSelf<SpinState>>(linker, |state| state)?;
    config_store::add_to_linker::<_, HasSelf<SpinState>>(linker, |state| state)?;
    Ok(())
}
