//! `weft new tool NAME [--lang rust|python] [--world weft|spin] [--dir DIR]`:
//! a tool component that builds and serves as it is — its source, its
//! manifest (with the `[component.NAME.build]` that `weft build` runs) and a
//! README — to be edited into the tools a user needs.
//!
//! | `--lang` | `--world` | what it is |
//! |---|---|---|
//! | rust | weft (default) | weft's own world (`wit/weft.wit`, written beside it), the fast path |
//! | rust | spin | a Spin HTTP component (`spin-sdk`, `#[http_component]`) |
//! | python | spin (default) | a Spin HTTP component (Python `spin-sdk`, componentize-py) |
//! | python | weft | a component of weft's world (componentize-py over `wit/weft.wit`) |
//!
//! Every scaffold offers the same three tools — remember and recall a value
//! in the session's state, greet with a variable — so what differs between
//! worlds is visible side by side.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The WIT world a weft-world component is built against.
const WEFT_WIT: &str = include_str!("../../../../wit/weft.wit");

/// Arguments of `weft new`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Scaffold a tool component: source, manifest, README.
    Tool(ToolArgs),
}

/// Arguments of `weft new tool`.
#[derive(clap::Args)]
pub struct ToolArgs {
    /// The component's name: lower case, digits and hyphens (`weather`, `issue-tracker`);
    /// also its route (`/NAME/execute`) and its tools' prefix.
    pub name: String,
    /// The language it is written in.
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    pub lang: Lang,
    /// The world it implements: weft's own (the fast path) or Spin's HTTP
    /// component. Default: weft for Rust, spin for Python.
    #[arg(long, value_enum)]
    pub world: Option<World>,
    /// Where to write it (default: ./NAME); must not exist or be empty.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// A component's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, built for wasm32-wasip2 with cargo.
    Rust,
    /// Python, built with componentize-py.
    Python,
}

/// The world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    /// weft's world: `describe` and `execute` called directly.
    Weft,
    /// A Spin HTTP component (`wasi:http/incoming-handler`), as `spin up` runs it.
    Spin,
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Tool(args) => tool(args),
    }
}

fn tool(args: ToolArgs) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let world = args.world.unwrap_or(match args.lang {
        Lang::Rust => World::Weft,
        Lang::Python => World::Spin,
    });
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?.next().is_some()
    {
        bail!("{} exists and is not empty: choose another --dir", dir.display());
    }
    let files = scaffold(&args.name, args.lang, world);
    for (path, text) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    let manifest = manifest_name(world);
    println!("Created {} ({}, {}):", dir.display(), lang_name(args.lang), world_name(world));
    for (path, _) in &files {
        println!("  {}", Path::new(path).display());
    }
    println!("\nNext:\n  cd {}", dir.display());
    if args.lang == Lang::Python {
        println!("  python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt");
    }
    println!("  weft build --manifest {manifest}\n  weft serve --manifest {manifest}");
    Ok(())
}

/// Spin's rule for component ids, which weft's routes and tool prefixes
/// keep: `[a-z][a-z0-9]*` words joined by single hyphens.
fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name.split('-').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid {
        bail!(
            "'{name}' is not a component name: use lower-case words of letters and digits joined by \
             hyphens, each starting with a letter (e.g. `weather`, `issue-tracker`)"
        );
    }
    Ok(())
}

/// The files of a scaffold, with the placeholders filled: `(path, text)`.
fn scaffold(name: &str, lang: Lang, world: World) -> Vec<(&'static str, String)> {
    let snake = name.replace('-', "_");
    let fill = |text: &str| {
        text.replace("__NAME__", name).replace("__CRATE__", &snake).replace("__PREFIX__", &snake)
    };
    let mut files: Vec<(&'static str, String)> = match (lang, world) {
        (Lang::Rust, World::Weft) => vec![
            ("Cargo.toml", fill(include_str!("../../templates/rust-weft/Cargo.toml"))),
            ("src/lib.rs", fill(include_str!("../../templates/rust-weft/src/lib.rs"))),
            ("weft.toml", fill(include_str!("../../templates/rust-weft/weft.toml"))),
            ("wit/weft.wit", WEFT_WIT.to_owned()),
        ],
        (Lang::Rust, World::Spin) => vec![
            ("Cargo.toml", fill(include_str!("../../templates/rust-spin/Cargo.toml"))),
            ("src/lib.rs", fill(include_str!("../../templates/rust-spin/src/lib.rs"))),
            ("spin.toml", fill(include_str!("../../templates/rust-spin/spin.toml"))),
        ],
        (Lang::Python, World::Spin) => vec![
            ("app.py", fill(include_str!("../../templates/python-spin/app.py"))),
            ("requirements.txt", include_str!("../../templates/python-spin/requirements.txt").to_owned()),
            ("spin.toml", fill(include_str!("../../templates/python-spin/spin.toml"))),
        ],
        (Lang::Python, World::Weft) => vec![
            ("app.py", fill(include_str!("../../templates/python-weft/app.py"))),
            ("requirements.txt", include_str!("../../templates/python-weft/requirements.txt").to_owned()),
            ("weft.toml", fill(include_str!("../../templates/python-weft/weft.toml"))),
            ("wit/weft.wit", WEFT_WIT.to_owned()),
        ],
    };
    if lang == Lang::Rust {
        files.push((".gitignore", "/target\n".to_owned()));
    } else {
        files.push((".gitignore", format!("/.venv\n/{name}.wasm\n__pycache__/\n")));
    }
    let (source, build) = match (lang, world) {
        (Lang::Rust, _) => ("src/lib.rs", "cargo build --release --target wasm32-wasip2"),
        (Lang::Python, World::Spin) => ("app.py", "componentize-py -w spin-http componentize app"),
        (Lang::Python, World::Weft) => ("app.py", "componentize-py -d wit -w tool componentize app"),
    };
    let readme = fill(include_str!("../../templates/README.md"))
        .replace("__WORLD__", world_name(world))
        .replace("__MANIFEST__", manifest_name(world))
        .replace("__SOURCE__", &format!("`{source}`"))
        .replace("__BUILD__", build);
    files.push(("README.md", readme));
    files
}

fn manifest_name(world: World) -> &'static str {
    match world {
        World::Weft => "weft.toml",
        World::Spin => "spin.toml",
    }
}

fn world_name(world: World) -> &'static str {
    match world {
        World::Weft => "weft's world",
        World::Spin => "a Spin HTTP component",
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::Python => "Python",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_spin_s_component_ids() {
        for ok in ["weather", "issue-tracker", "v2", "a1-b2"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Weather", "2fast", "a--b", "-a", "a-", "snake_case", "a b", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (lang, world) in [
            (Lang::Rust, World::Weft),
            (Lang::Rust, World::Spin),
            (Lang::Python, World::Spin),
            (Lang::Python, World::Weft),
        ] {
            for (path, text) in scaffold("issue-tracker", lang, world) {
                for placeholder in [
                    "__NAME__",
                    "__CRATE__",
                    "__PREFIX__",
                    "__WORLD__",
                    "__MANIFEST__",
                    "__SOURCE__",
                    "__BUILD__",
                ] {
                    assert!(!text.contains(placeholder), "{lang:?}/{world:?} {path}: {placeholder}");
                }
            }
        }
    }

    /// The scaffolds pin the SDK versions CI builds `components/spin-notes` with.
    #[test]
    fn sdk_pins_are_the_tested_ones() {
        let tested = include_str!("../../../../components/spin-notes/python/requirements.txt");
        let pins = [
            include_str!("../../templates/python-spin/requirements.txt"),
            include_str!("../../templates/python-weft/requirements.txt"),
        ];
        for line in pins.iter().flat_map(|text| text.lines()) {
            if !line.starts_with('#') && !line.trim().is_empty() {
                assert!(tested.lines().any(|pin| pin == line), "{line} is not what CI builds with");
            }
        }
        let sdk = |toml: &str| toml.lines().find(|line| line.starts_with("spin-sdk")).map(str::to_owned);
        assert_eq!(
            sdk(include_str!("../../templates/rust-spin/Cargo.toml")),
            sdk(include_str!("../../../../components/spin-notes/rust/Cargo.toml"))
        );
    }
}
