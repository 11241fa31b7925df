//! What a Spin component imports, sorted before anything runs: what weft
//! provides, what Spin offers but weft does not grant (linked so that the
//! component loads, failing if called — SDKs import these whether or not the
//! guest uses them), and anything else, which refuses the component at load
//! naming the import.

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceType};

/// How weft meets one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provision {
    /// Implemented: WASI 0.2 (with no preopens, no sockets, an environment
    /// of the manifest's `environment` only), `wasi:http` 0.2, Spin 2's
    /// key-value and variables, `wasi:config/store`.
    Provided,
    /// A Spin interface weft does not implement (databases, Redis, MQTT,
    /// LLMs, `wasi:keyvalue`): linked, and a call to it traps — as a
    /// capability the application was not granted.
    NotGranted,
    /// WASI 0.3 (spin-sdk 6/7 `#[http_service]`, Python spin-sdk 4/5).
    Preview3,
    /// Nothing weft knows.
    Unknown,
}

const WASI_P2: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
    "wasi:http/",
];

const SPIN_PROVIDED: &[&str] = &[
    "fermyon:spin/key-value@2.0.0",
    "fermyon:spin/variables@2.0.0",
    "wasi:config/store@0.2.0-draft-2024-09-27",
];

const SPIN_NOT_GRANTED: &[&str] = &[
    "fermyon:spin/llm@",
    "fermyon:spin/redis@",
    "fermyon:spin/mqtt@",
    "fermyon:spin/mysql@",
    "fermyon:spin/postgres@",
    "fermyon:spin/sqlite@",
    "fermyon:spin/rdbms-types@",
    "spin:postgres/",
    "spin:sqlite/",
    "spin:mqtt/",
    "spin:mysql/",
    "spin:redis/",
    "wasi:keyvalue/",
];

/// How weft meets the import `name` (`wasi:http/types@0.2.6`).
pub(crate) fn provision(name: &str) -> Provision {
    let version = name.split_once('@').map_or("", |(_, version)| version);
    if WASI_P2.iter().any(|prefix| name.starts_with(prefix)) {
        return match version {
            v if v.starts_with("0.2.") => Provision::Provided,
            v if v.starts_with("0.3.") => Provision::Preview3,
            _ => Provision::Unknown,
        };
    }
    if SPIN_PROVIDED.contains(&name) {
        return Provision::Provided;
    }
    if name.starts_with("spin:key-value/") || name.starts_with("spin:variables/") {
        // Spin 3's key-value and variables are async (WASI 0.3) interfaces.
        return Provision::Preview3;
    }
    if SPIN_NOT_GRANTED.iter().any(|prefix| name.starts_with(prefix)) {
        return Provision::NotGranted;
    }
    Provision::Unknown
}

/// Why a component cannot load, as one sentence naming the imports.
pub(crate) fn refusal(component: &Component, engine: &Engine) -> Option<String> {
    let imports: Vec<(String, Provision)> = component
        .component_type()
        .imports(engine)
        .map(|(name, _)| (name.to_owned(), provision(name)))
        .collect();
    let preview3: Vec<&str> =
        imports.iter().filter(|(_, p)| *p == Provision::Preview3).map(|(name, _)| name.as_str()).collect();
    if !preview3.is_empty() {
        return Some(preview3_refusal(&preview3));
    }
    let unknown: Vec<&str> =
        imports.iter().filter(|(_, p)| *p == Provision::Unknown).map(|(name, _)| name.as_str()).collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "it imports {}, which weft does not provide (weft gives Spin HTTP components WASI 0.2, wasi:http 0.2, \
             fermyon:spin/key-value@2.0.0, fermyon:spin/variables@2.0.0 and wasi:config/store)",
            unknown.join(", ")
        )
    })
}

/// The load-time refusal of a WASI 0.3 component.
pub(crate) fn preview3_refusal(names: &[&str]) -> String {
    format!(
        "it is a WASI 0.3 component (it uses {}): spin-sdk 6/7 `#[http_service]` and Python spin-sdk 4+ \
         components are not supported yet (wasmtime 48's WASI 0.3 support is experimental); build it with \
         spin-sdk 5 `#[http_component]` (Rust) or spin-sdk 3.4 with componentize-py 0.18 (Python)",
        names.join(", ")
    )
}

/// Links every `NotGranted` import as functions that trap and resources
/// that hold nothing; returns their names (logged at load).
pub(crate) fn link_not_granted<T>(
    linker: &mut Linker<T>,
    engine: &Engine,
    component: &Component,
) -> wasmtime::Result<Vec<String>> {
    let mut linked = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        if provision(name) != Provision::NotGranted {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
        let mut exports = linker.instance(name)?;
        for (export, ty) in instance.exports(engine) {
            match ty.ty {
                ComponentItem::ComponentFunc(_) => {
                    let called = format!("{name}#{export}");
                    exports.func_new(export, move |_, _, _, _| {
                        wasmtime::bail!(
                            "{called} is not available in weft: the application has no grant for it"
                        )
                    })?;
                }
                ComponentItem::Resource(_) => {
                    exports.resource(export, ResourceType::host::<()>(), |_, _| Ok(()))?
                }
                _ => {}
            }
        }
        linked.push(name.to_owned());
    }
    Ok(linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_sorted_by_what_weft_gives() {
        assert_eq!(provision("wasi:http/types@0.2.6"), Provision::Provided);
        assert_eq!(provision("wasi:io/streams@0.2.12"), Provision::Provided);
        assert_eq!(provision("fermyon:spin/key-value@2.0.0"), Provision::Provided);
        assert_eq!(provision("wasi:config/store@0.2.0-draft-2024-09-27"), Provision::Provided);
        assert_eq!(provision("fermyon:spin/llm@2.0.0"), Provision::NotGranted);
        assert_eq!(provision("spin:postgres/postgres@4.0.0"), Provision::NotGranted);
        assert_eq!(provision("wasi:keyvalue/store@0.2.0-draft2"), Provision::NotGranted);
        assert_eq!(provision("wasi:http/handler@0.3.0"), Provision::Preview3);
        assert_eq!(provision("spin:key-value/key-value@3.0.0"), Provision::Preview3);
        assert_eq!(provision("acme:billing/invoices@1.0.0"), Provision::Unknown);
        assert_eq!(provision("fermyon:spin/key-value@1.0.0"), Provision::Unknown);
    }
}
