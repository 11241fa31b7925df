//! `weft-gen` runs no wasm, so it must not build wasmtime: it holds a
//! `dyn ToolBackend` and leaves the sandbox to whoever builds one (the CLI,
//! `weft serve`). This fails the moment a normal dependency brings it back.

use std::process::Command;

#[test]
fn weft_gen_builds_without_wasmtime() {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-p", "weft-gen", "-e", "no-dev", "--prefix", "none"])
        .args(["--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.lines().any(|line| line.starts_with("weft-tools ")),
        "the tree lists weft-gen's dependencies:\n{tree}"
    );
    let wasm: Vec<&str> = tree
        .lines()
        .filter(|line| line.starts_with("wasmtime") || line.starts_with("weft-sandbox "))
        .collect();
    assert!(wasm.is_empty(), "weft-gen depends on {wasm:?}");
}
