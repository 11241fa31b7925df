//! Builds the guest components in `components/` for `wasm32-wasip2` so that
//! the weft binary embeds them: a plain `cargo build` is all a user runs.
//!
//! The guests are a separate Cargo workspace built into `<target>/wasm`, with
//! the outer build's flags scrubbed from the environment (they are meant for
//! the host, not for wasm).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const GUESTS: &[(&str, &str)] = &[
    ("vfs", "weft_vfs"),
    ("github", "weft_github"),
    ("misbehave", "weft_misbehave"),
    ("misbehave-bare", "weft_misbehave_bare"),
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..");
    let components = root.join("components");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = guest_target_dir(&out_dir);

    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    for entry in ["Cargo.toml", "Cargo.lock", ".cargo", "vfs", "vfs-path", "github", "testing"] {
        println!("cargo:rerun-if-changed={}", components.join(entry).display());
    }

    // The no_std guests are built apart from the others: in one build, the
    // std guests' features would unify into their dependencies.
    for packages in [&["weft-vfs", "weft-misbehave-bare"][..], &["weft-github", "weft-misbehave"]] {
        build_guests(&components, &target_dir, packages);
    }

    let built = target_dir.join("wasm32-wasip2/release");
    for (name, artifact) in GUESTS {
        let from = built.join(format!("{artifact}.wasm"));
        let to = out_dir.join(format!("{name}.wasm"));
        std::fs::copy(&from, &to).unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
    }
}

fn build_guests(components: &Path, target_dir: &Path, packages: &[&str]) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(components)
        .args(["build", "--release", "--locked", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PROFILE_RELEASE_DEBUG",
        "CARGO_PROFILE_RELEASE_INCREMENTAL",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("cargo can be spawned to build the guest components");
    if !status.success() {
        panic!(
            "building the guest components {packages:?} failed; is the wasm32-wasip2 target installed? \
             (rustup target add wasm32-wasip2)"
        );
    }
}

/// `<target>/wasm`, where `<target>` is the outer build's target directory
/// (the ancestor of OUT_DIR that Cargo marked with CACHEDIR.TAG).
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").exists())
        .map(|target| target.join("wasm"))
        .unwrap_or_else(|| out_dir.join("wasm-target"))
}
