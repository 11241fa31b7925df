//! Core modules built for `wasm32-wasip1` that carry a component-type
//! section (spin-sdk 2.x–5.x Rust guests, DeepFabric's reference VFS and
//! mock) become components at load, as Spin does: wit-component encodes the
//! module's embedded world and adapts its WASI preview 1 imports with the
//! reactor adapter of this wasmtime's release. The compiled result is
//! cached like any component, keyed by the module's bytes.

use wasi_preview1_component_adapter_provider as adapter;

/// Whether `bytes` is a core module (not a component).
pub(crate) fn is_core_module(bytes: &[u8]) -> bool {
    wasmparser::Parser::is_core_wasm(bytes)
}

/// The component made of the core module `bytes`.
pub(crate) fn componentize(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let encoded = (|| {
        wit_component::ComponentEncoder::default()
            .validate(true)
            .module(bytes)?
            .adapter(
                adapter::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                adapter::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
            )?
            .encode()
    })();
    encoded.map_err(|err| {
        format!(
            "it is a core wasm module that cannot be made a component ({err:#}); a Spin module must be built \
             with a Spin SDK (which embeds its component type) for wasm32-wasip1"
        )
    })
}
