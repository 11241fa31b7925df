//! The VFS path rules against a model of them: any string a model writes as
//! a path either stays inside the session or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_vfs_path::{DEFAULT_PROTECTED, Refused, is_protected, lies_under, normalise};

/// The rules, written the slow way: components and a depth.
fn model(given: &str) -> Result<Vec<&str>, Refused> {
    if given.contains('\0') {
        return Err(Refused::Nul);
    }
    let mut stack = Vec::new();
    for part in given.split(['/', '\\']) {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            if stack.pop().is_none() {
                return Err(Refused::Escape);
            }
        } else if part == "~" && stack.is_empty() {
            return Err(Refused::Home);
        } else {
            stack.push(part);
        }
    }
    Ok(stack)
}

fuzz_target!(|data: &[u8]| {
    let Ok(given) = std::str::from_utf8(data) else { return };
    let got = normalise(given);
    match (&got, model(given)) {
        (Ok(path), Ok(parts)) => assert_eq!(*path, parts.join("/")),
        (Err(got), Err(want)) => assert_eq!(*got, want),
        (got, want) => panic!("{given:?}: got {got:?}, the model says {want:?}"),
    }
    let Ok(path) = got else { return };
    assert!(!path.starts_with('/') && !path.ends_with('/') && !path.contains("//"), "{path:?}");
    assert!(!path.contains('\\') && !path.contains('\0'));
    if !path.is_empty() {
        assert!(path.split('/').all(|part| part != "." && part != ".."), "{path:?}");
        assert!(!path.starts_with("~/") && path != "~");
    }
    assert_eq!(normalise(&path).as_deref(), Ok(path.as_str()), "normalising twice changes nothing");

    let first = path.split('/').next().unwrap_or_default();
    assert_eq!(is_protected(&path, None), DEFAULT_PROTECTED.contains(&first), "{path:?}");
    assert!(lies_under(&path, &path));
    if let Some((parent, _)) = path.rsplit_once('/') {
        assert!(lies_under(&path, parent) && !lies_under(parent, &path));
    }
    // A sibling that merely starts with the same letters is not inside.
    assert!(!lies_under(&format!("{path}x"), &path) || path.is_empty());
});
