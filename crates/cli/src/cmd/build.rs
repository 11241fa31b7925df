//! `weft build [--manifest FILE] [COMPONENT...]`: runs each component's
//! `[component.NAME.build]` commands, as `spin build` does — in the
//! component's `workdir` (relative to the manifest; the manifest's directory
//! by default), through `sh -c`, in order, stopping at the first that fails.
//! A component without a build section is skipped, and so is a built-in one.
//! After a build the component's `source` must exist: a build that writes
//! somewhere else is an error here, not at `weft serve`.
//!
//! Serving never needs it: `weft serve` loads prebuilt `.wasm` files.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use weft_sandbox::Manifest;

/// Arguments of `weft build`.
#[derive(clap::Args)]
pub struct Args {
    /// The manifest whose components to build: a weft.toml or a Spin app's spin.toml.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    pub manifest: PathBuf,
    /// Build only these components (default: every component with a build section).
    pub components: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest =
        Manifest::load(&args.manifest).with_context(|| format!("reading {}", args.manifest.display()))?;
    for name in &args.components {
        if !manifest.component.contains_key(name) {
            let known: Vec<&str> = manifest.component.keys().map(String::as_str).collect();
            bail!("no component '{name}' in {} (it has: {})", args.manifest.display(), known.join(", "));
        }
    }
    let mut built = 0;
    for (name, spec) in &manifest.component {
        if !args.components.is_empty() && !args.components.contains(name) {
            continue;
        }
        let Some(build) = &spec.build else {
            if !spec.source.starts_with("builtin:") {
                println!("{name}: no [component.{name}.build]; nothing to build");
            }
            continue;
        };
        let mut workdir = manifest.base_dir.join(build.workdir.as_deref().unwrap_or("".as_ref()));
        if workdir.as_os_str().is_empty() {
            // A manifest named without a directory: the current one.
            workdir = PathBuf::from(".");
        }
        let started = Instant::now();
        for command in build.command.all() {
            println!("{name}: {command}  (in {})", workdir.display());
            let status =
                Command::new("sh").arg("-c").arg(command).current_dir(&workdir).status().with_context(
                    || format!("component {name}: cannot run `{command}` in {}", workdir.display()),
                )?;
            if !status.success() {
                bail!("component {name}: `{command}` failed ({status})");
            }
        }
        let source = manifest.base_dir.join(&spec.source);
        if !source.is_file() {
            bail!(
                "component {name}: the build succeeded but its source {} does not exist; \
                 does `source` name what the build writes?",
                source.display()
            );
        }
        println!("{name}: built {} in {:.1}s", source.display(), started.elapsed().as_secs_f64());
        built += 1;
    }
    if built == 0 {
        println!("Nothing to build: no component of {} has a build section", args.manifest.display());
    }
    Ok(())
}
