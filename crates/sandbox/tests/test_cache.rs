//! The compiled-component cache: written on first start, reused after, and a
//! damaged artifact is recompiled rather than trusted.

use weft_sandbox::{Manifest, Sandbox};

fn artifacts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir.join("components")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn compiled_components_are_cached_and_damage_is_recovered() {
    let dir = tempfile::tempdir().expect("tempdir");
    // SAFETY: this test binary has this one test; nothing reads env concurrently.
    unsafe { std::env::set_var("WEFT_CACHE_DIR", dir.path()) };

    Sandbox::new(Manifest::builtin()).await.expect("first start compiles");
    let cached = artifacts(dir.path());
    assert_eq!(cached.len(), 1, "one artifact for the vfs component: {cached:?}");
    let first = std::fs::read(&cached[0]).expect("artifact");

    {
        let sandbox = Sandbox::new(Manifest::builtin()).await.expect("second start deserialises");
        assert_eq!(std::fs::read(&cached[0]).expect("artifact"), first, "a good artifact is reused as is");
        assert!(sandbox.execute("s", "list_files", "{}").await.success);
    }
    // The artifact is memory-mapped while a sandbox uses it, so damage it only
    // once none does (weft itself replaces artifacts by rename, never in place).
    std::fs::write(&cached[0], b"not a compiled component").expect("damage it");
    let sandbox = Sandbox::new(Manifest::builtin()).await.expect("a damaged artifact is recompiled");
    assert!(sandbox.execute("s", "list_files", "{}").await.success);
    assert_eq!(std::fs::read(&cached[0]).expect("artifact"), first, "the artifact is rewritten");
}
