//! The config loader on any text: a config is read or refused with
//! diagnostics that point into the file, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_gen::config::{ConfigError, Overrides, parse_with_env};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let env = |name: &str| (name == "WEFT_FUZZ_VAR").then(|| "value".to_owned());
    match parse_with_env(text, "fuzz.yaml", &Overrides::default(), &env) {
        Ok(config) => {
            let _ = weft_gen::config::summary(&config);
        }
        Err(ConfigError::Invalid(diagnostics)) => {
            assert!(!diagnostics.items.is_empty(), "a refused config says why");
            // YAML breaks lines at `\r\n`, `\n` and a lone `\r`, as editors do.
            let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count() as u32;
            for item in &diagnostics.items {
                assert!(!item.message.trim().is_empty());
                if let Some(position) = item.position {
                    assert!(
                        position.line >= 1 && position.line <= lines + 1,
                        "{position:?} past {lines} lines"
                    );
                    assert!(position.column >= 1);
                }
            }
            assert!(diagnostics.to_string().contains("fuzz.yaml"));
        }
        Err(other) => panic!("text is refused only as Invalid: {other}"),
    }
});
