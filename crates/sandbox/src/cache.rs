//! Compiled components cached on disk, keyed by the wasm bytes and the
//! engine's compatibility hash, so that start-up deserialises (< 1 ms)
//! instead of compiling (150–300 ms per component).
//!
//! The cache lives in `$WEFT_CACHE_DIR`, else `$XDG_CACHE_HOME/weft`, else
//! `~/.cache/weft`; `WEFT_CACHE_DIR=off` disables it.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiles `bytes`, or loads the artifact a previous run cached.
pub(crate) fn load(engine: &Engine, name: &str, bytes: &[u8]) -> wasmtime::Result<Component> {
    load_prepared(engine, name, bytes, || Ok(std::borrow::Cow::Borrowed(bytes)))
}

/// Compiles what `prepare` makes of `source` (a core module componentized,
/// say), or loads the artifact a previous run cached for the same `source`:
/// a cache hit skips `prepare` as well as the compilation.
pub(crate) fn load_prepared<'a>(
    engine: &Engine,
    name: &str,
    source: &[u8],
    prepare: impl FnOnce() -> wasmtime::Result<std::borrow::Cow<'a, [u8]>>,
) -> wasmtime::Result<Component> {
    let Some(path) = artifact_path(engine, source) else {
        return Component::new(engine, &*prepare()?);
    };
    if path.exists() {
        // SAFETY: the file is one this module wrote with `serialize` for an
        // engine with the same compatibility hash (it is in the name);
        // wasmtime re-checks the header and refuses a mismatch.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(err) => tracing::debug!(component = name, "cached artifact unusable, recompiling: {err}"),
        }
    }
    let component = Component::new(engine, &*prepare()?)?;
    if let Err(err) = store(&path, &component) {
        tracing::debug!(component = name, "cannot cache the compiled component: {err}");
    }
    Ok(component)
}

fn store(path: &PathBuf, component: &Component) -> wasmtime::Result<()> {
    let serialized = component.serialize()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Write then rename, so a concurrent start never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, serialized)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn artifact_path(engine: &Engine, bytes: &[u8]) -> Option<PathBuf> {
    let dir = cache_dir()?;
    let digest = Sha256::digest(bytes);
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Some(dir.join("components").join(format!("{hex}-{:016x}.cwasm", compat.finish())))
}

fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("WEFT_CACHE_DIR") {
        Some(dir) if dir == "off" => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|base| base.join("weft")),
    }
}
