//! One loaded component: compiled, pre-instantiated, described.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, ComponentExportIndex, Linker};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};
use weft_protocol::{ErrorType, ToolAnnotations, ToolDefinition, ToolOutcome};

use crate::engine;
use crate::host::{CallState, Tool, ToolPre, WitErrorType, WitOutcome, WitToolDefinition};
use crate::kv::SharedStore;
use crate::manifest::Limits;
use weft_outbound::OutboundHttp;

/// A component ready to serve calls.
pub(crate) struct LoadedComponent {
    pub(crate) name: String,
    pub(crate) tools: Vec<ToolDefinition>,
    pre: ToolPre<CallState>,
    mode: Mode,
    engine: Engine,
    store: Option<SharedStore>,
    variables: Arc<BTreeMap<String, String>>,
    http: Arc<OutboundHttp>,
    timeout: Duration,
    deadline_ticks: u64,
    memory_cap: usize,
}

impl LoadedComponent {
    /// Links and pre-instantiates `component`, then asks it what it offers.
    pub(crate) async fn new(
        engine: &Engine,
        name: &str,
        component: &Component,
        store: Option<SharedStore>,
        variables: BTreeMap<String, String>,
        http: OutboundHttp,
        limits: Limits,
    ) -> wasmtime::Result<Self> {
        let mut linker: Linker<CallState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Tool::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)?;
        let pre = ToolPre::new(linker.instantiate_pre(component)?)?;
        let mode = Mode::of(engine, component)?;
        let timeout = Duration::from_millis(limits.timeout_ms);
        let mut loaded = Self {
            name: name.to_owned(),
            tools: Vec::new(),
            pre,
            mode,
            engine: engine.clone(),
            store,
            variables: Arc::new(variables),
            http: Arc::new(http),
            timeout,
            deadline_ticks: engine::ticks_for(timeout) + 1,
            memory_cap: usize::try_from(limits.memory_limit_mib << 20).unwrap_or(usize::MAX),
        };
        loaded.tools = loaded.describe().await?;
        Ok(loaded)
    }

    /// A store for one call. The epoch ticks once per [`engine::EPOCH_TICK`]
    /// and each tick asks the callback: past the deadline the call ends as
    /// `Timeout`; a call on a fiber yields to the worker's other tasks; an
    /// `inline` call that has written nothing stops to be run again off the
    /// worker (see [`Self::execute_inline`]).
    fn new_store(&self, session: &str, inline: bool, seeding: bool) -> Store<CallState> {
        let mut state = CallState::new(
            Arc::from(session),
            self.store.clone(),
            self.variables.clone(),
            self.http.clone(),
            self.memory_cap,
        );
        state.deadline_ticks = self.deadline_ticks;
        state.inline = inline;
        state.seeding = seeding;
        let yields = matches!(self.mode, Mode::Async);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut context| {
            let state = context.data_mut();
            state.ticks += 1;
            if state.ticks >= state.deadline_ticks {
                return Ok(UpdateDeadline::Interrupt);
            }
            if state.inline && !state.wrote {
                state.over_budget = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(if yields { UpdateDeadline::Yield(1) } else { UpdateDeadline::Continue(1) })
        });
        store
    }

    async fn describe(&self) -> wasmtime::Result<Vec<ToolDefinition>> {
        let mut store = self.new_store("", false, false);
        let defs = match &self.mode {
            Mode::Sync { describe, .. } => {
                let instance = self.pre.instance_pre().instantiate(&mut store)?;
                let func = instance.get_typed_func::<(), (Vec<WitToolDefinition>,)>(&mut store, describe)?;
                func.call(&mut store, ())?.0
            }
            Mode::Async => {
                let instance = self.pre.instantiate_async(&mut store).await?;
                instance.call_describe(&mut store).await?
            }
        };
        defs.into_iter().map(|def| convert_definition(&self.name, def)).collect()
    }

    /// Whether a call can wait on the network through its store (it must
    /// then run on a blocking thread).
    pub(crate) fn blocks(&self) -> bool {
        self.store.as_ref().is_some_and(|store| store.is_remote())
    }

    /// Runs one call on the caller's async worker, for as long as it stays
    /// light: a call without a fiber cannot yield, so one that is still
    /// running at the next epoch tick (within 10 ms) and has written nothing
    /// is stopped, and `None` says to run it again with [`Self::execute`] on
    /// a thread of its own. The other connections of the worker then wait
    /// at most a tick behind a heavy call, never its whole deadline. A call
    /// that has written runs on to the end where it is (running it again
    /// would repeat the write); a call on a fiber yields at every tick.
    pub(crate) async fn execute_inline(
        &self,
        session: &str,
        tool: &str,
        args_json: &str,
    ) -> Option<ToolOutcome> {
        let inline = matches!(self.mode, Mode::Sync { .. });
        self.run(session, tool, args_json, inline, false).await
    }

    /// Runs one call in a fresh instance. Whatever the guest does, the
    /// answer is an outcome.
    /// `seeding`: the call writes a scenario's file (see `SEEDING_VARIABLE`).
    pub(crate) async fn execute(
        &self,
        session: &str,
        tool: &str,
        args_json: &str,
        seeding: bool,
    ) -> ToolOutcome {
        match self.run(session, tool, args_json, false, seeding).await {
            Some(outcome) => outcome,
            None => ToolOutcome::error(ErrorType::ComponentError, format!("Tool '{tool}' was stopped")),
        }
    }

    /// Writes several of a scenario's files with one instance: `tool` is
    /// called once per entry of `calls` (each call with its own epoch
    /// budget), stopping at the first failure, whose outcome is the last one
    /// returned. `None` when the component's calls may wait on the host (a
    /// fiber per call, [`Self::execute`]). A fresh instance per call is what
    /// keeps a model's calls apart; a scenario's writes are the config's,
    /// into a session nobody has used yet, and one instance for them saves
    /// an instantiation and a memory reset per file.
    pub(crate) fn seed_batch<'a>(
        &self,
        session: &str,
        tool: &str,
        calls: impl ExactSizeIterator<Item = &'a str>,
    ) -> Option<Vec<ToolOutcome>> {
        let Mode::Sync { execute, .. } = &self.mode else {
            return None;
        };
        let mut store = self.new_store(session, false, true);
        let func = match self.pre.instance_pre().instantiate(&mut store).and_then(|instance| {
            instance.get_typed_func::<(&str, &str, &str), (WitOutcome,)>(&mut store, *execute)
        }) {
            Ok(func) => func,
            Err(err) => return Some(vec![self.trap_outcome(tool, &err, store.data().memory_exceeded)]),
        };
        let mut outcomes = Vec::with_capacity(calls.len());
        for args_json in calls {
            store.data_mut().ticks = 0;
            let outcome = match func.call(&mut store, (session, tool, args_json)) {
                Ok((outcome,)) => with_quota_message(convert_outcome(outcome), store.data_mut()),
                Err(err) => self.trap_outcome(tool, &err, store.data().memory_exceeded),
            };
            let failed = !outcome.success;
            outcomes.push(outcome);
            if failed {
                break;
            }
        }
        Some(outcomes)
    }

    async fn run(
        &self,
        session: &str,
        tool: &str,
        args_json: &str,
        inline: bool,
        seeding: bool,
    ) -> Option<ToolOutcome> {
        let mut store = self.new_store(session, inline, seeding);
        if let Mode::Sync { execute, .. } = &self.mode {
            // Nothing here waits on the host: the epoch deadline is the only bound needed.
            let result = self.pre.instance_pre().instantiate(&mut store).and_then(|instance| {
                let func =
                    instance.get_typed_func::<(&str, &str, &str), (WitOutcome,)>(&mut store, execute)?;
                func.call(&mut store, (session, tool, args_json))
            });
            return match result {
                Ok((outcome,)) => Some(with_quota_message(convert_outcome(outcome), store.data_mut())),
                Err(_) if store.data().over_budget => None,
                Err(err) => Some(self.trap_outcome(tool, &err, store.data().memory_exceeded)),
            };
        }
        let call = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.call_execute(&mut store, session, tool, args_json).await
        };
        // The epoch deadline stops a guest burning CPU; this wall-clock bound
        // also covers time spent waiting on the host (storage, network).
        let result = tokio::time::timeout(self.timeout + engine::EPOCH_TICK * 2, call).await;
        Some(match result {
            Ok(Ok(outcome)) => with_quota_message(convert_outcome(outcome), store.data_mut()),
            Ok(Err(err)) => self.trap_outcome(tool, &err, store.data().memory_exceeded),
            Err(_elapsed) => self.timed_out(tool),
        })
    }

    fn timed_out(&self, tool: &str) -> ToolOutcome {
        ToolOutcome::error(
            ErrorType::Timeout,
            format!("Tool '{tool}' timed out after {} ms", self.timeout.as_millis()),
        )
    }

    fn trap_outcome(&self, tool: &str, err: &wasmtime::Error, memory_exceeded: bool) -> ToolOutcome {
        if memory_exceeded {
            return ToolOutcome::error(
                ErrorType::ResourceExhausted,
                format!("Tool '{tool}' exceeded its memory limit of {} MiB", self.memory_cap >> 20),
            );
        }
        if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return self.timed_out(tool);
        }
        tracing::warn!(component = %self.name, tool, "guest trapped: {err:#}");
        let reason =
            err.downcast_ref::<Trap>().map_or_else(|| "instantiation failed".to_owned(), Trap::to_string);
        ToolOutcome::error(ErrorType::ComponentError, format!("Tool '{tool}' crashed: {reason}"))
    }
}

/// How a component's calls run.
enum Mode {
    /// The component imports only weft's store, config and types, whose host
    /// functions are plain calls: instantiate and call directly, with no
    /// fiber to switch to and no timer to arm (~15% of a small call).
    Sync { describe: ComponentExportIndex, execute: ComponentExportIndex },
    /// It imports WASI or outbound HTTP, which may wait on the host: the call
    /// runs on a fiber under a wall-clock timeout.
    Async,
}

/// Interfaces whose host functions never wait.
const SYNC_INTERFACES: &[&str] = &["weft:tool/types", "weft:tool/session-store", "weft:tool/config"];

impl Mode {
    fn of(engine: &Engine, component: &Component) -> wasmtime::Result<Self> {
        let all_sync = component.component_type().imports(engine).all(|(name, _)| {
            let interface = name.split_once('@').map_or(name, |(interface, _version)| interface);
            SYNC_INTERFACES.contains(&interface)
        });
        if !all_sync {
            return Ok(Self::Async);
        }
        let export = |name: &str| {
            component
                .get_export_index(None, name)
                .ok_or_else(|| wasmtime::format_err!("the component does not export `{name}`"))
        };
        Ok(Self::Sync { describe: export("describe")?, execute: export("execute")? })
    }
}

/// A `ResourceExhausted` answer to a call that ran into a storage quota
/// says which quota (the guest only learned `too-large`); a failed call
/// whose store failed under it is the service's failure
/// ([`ToolOutcome::store_unavailable`]), whatever the guest made of it.
fn with_quota_message(mut outcome: ToolOutcome, state: &mut crate::host::CallState) -> ToolOutcome {
    if let Some(message) = state.store_failed.take()
        && !outcome.success
    {
        return ToolOutcome::store_unavailable(format!("The session store is unavailable: {message}"));
    }
    if let Some(message) = state.quota_exceeded.take()
        && outcome.error_type == Some(ErrorType::ResourceExhausted)
    {
        outcome.result = message;
    }
    outcome
}

fn convert_outcome(outcome: WitOutcome) -> ToolOutcome {
    ToolOutcome {
        success: outcome.success,
        result: outcome.result,
        error_type: outcome.error_type.map(|kind| match kind {
            WitErrorType::FileNotFound => ErrorType::FileNotFound,
            WitErrorType::PermissionDenied => ErrorType::PermissionDenied,
            WitErrorType::InvalidArguments => ErrorType::InvalidArguments,
            WitErrorType::UnknownTool => ErrorType::UnknownTool,
            WitErrorType::IoError => ErrorType::IOError,
            WitErrorType::Timeout => ErrorType::Timeout,
            WitErrorType::ResourceExhausted => ErrorType::ResourceExhausted,
            WitErrorType::NotAllowed => ErrorType::NotAllowed,
            WitErrorType::UpstreamError => ErrorType::UpstreamError,
            WitErrorType::HttpError => ErrorType::HTTPError,
            WitErrorType::RateLimited => ErrorType::RateLimited,
        }),
    }
}

fn convert_definition(component: &str, def: WitToolDefinition) -> wasmtime::Result<ToolDefinition> {
    let input_schema = serde_json::from_str(&def.input_schema).map_err(|err| {
        wasmtime::format_err!(
            "component '{component}' describes tool '{}' with an invalid inputSchema: {err}",
            def.name
        )
    })?;
    let annotations: Option<ToolAnnotations> = match def.annotations {
        Some(text) => Some(serde_json::from_str(&text).map_err(|err| {
            wasmtime::format_err!(
                "component '{component}' describes tool '{}' with invalid annotations: {err}",
                def.name
            )
        })?),
        None => None,
    };
    Ok(ToolDefinition {
        name: def.name,
        title: def.title,
        description: def.description,
        input_schema,
        output_schema: None,
        annotations,
    })
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    fn mode(name: &str) -> Mode {
        let engine = Engine::default();
        let bytes = crate::builtin::lookup(name).expect("built in");
        Mode::of(&engine, &Component::new(&engine, bytes).expect("compiles")).expect("exports")
    }

    #[test]
    fn guests_importing_only_weft_interfaces_run_synchronously() {
        assert!(matches!(mode("vfs"), Mode::Sync { .. }));
        assert!(matches!(mode("misbehave-bare"), Mode::Sync { .. }));
        // std brings WASI imports; github imports outbound HTTP.
        assert!(matches!(mode("misbehave"), Mode::Async));
        assert!(matches!(mode("github"), Mode::Async));
    }
}
