//! Components compiled from `components/` by build.rs and embedded in the binary.

/// The built-in components: `(name, wasm bytes)`. A manifest names them as
/// `source = "builtin:NAME"`.
pub const BUILTIN_COMPONENTS: &[(&str, &[u8])] = &[
    ("vfs", include_bytes!(concat!(env!("OUT_DIR"), "/vfs.wasm"))),
    ("github", include_bytes!(concat!(env!("OUT_DIR"), "/github.wasm"))),
];

/// Looks up a built-in component's bytes.
pub(crate) fn lookup(name: &str) -> Option<&'static [u8]> {
    #[cfg(feature = "testing")]
    match name {
        "misbehave" => return Some(testing::MISBEHAVE),
        "misbehave-bare" => return Some(testing::MISBEHAVE_BARE),
        _ => {}
    }
    BUILTIN_COMPONENTS.iter().find(|(builtin, _)| *builtin == name).map(|(_, bytes)| *bytes)
}

/// Test-only guests (feature `testing`).
#[cfg(feature = "testing")]
pub mod testing {
    /// A component whose tools misbehave: `spin` loops forever, `hog`
    /// allocates without bound, `panic` traps, `read_host_file` and `env` poke
    /// at the host, `variable` reads a config variable named by its argument
    /// text, `store_probe` reads and writes the key `shared`, `http_get` fetches
    /// `{"url"}` and reports the status and body or the host's refusal,
    /// `echo` echoes.
    pub const MISBEHAVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/misbehave.wasm"));

    /// `spin`, `hog`, `trap` and `echo` without std: it imports only weft's
    /// interfaces, so the host calls it synchronously, as it calls the VFS.
    pub const MISBEHAVE_BARE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/misbehave-bare.wasm"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VFS is built without std so that a fresh instance links only
    /// weft's interfaces: every WASI import would be one more function to
    /// wire up per call. A dependency that brings std back fails this.
    #[test]
    fn vfs_imports_no_wasi() {
        let engine = wasmtime::Engine::default();
        let bytes = lookup("vfs").expect("vfs is built in");
        let component = wasmtime::component::Component::new(&engine, bytes).expect("vfs compiles");
        let imports: Vec<String> =
            component.component_type().imports(&engine).map(|(name, _)| name.to_owned()).collect();
        assert!(!imports.is_empty());
        assert!(imports.iter().all(|name| name.starts_with("weft:tool/")), "{imports:?}");
    }
}
