//! The virtual filesystem: files live in the host's key-value store, under
//! keys the host has already scoped to the call's session.
//!
//! Every path a model gives is normalised against the session root, so
//! `/test.txt`, `test.txt` and `./a/../test.txt` name one file. Anything that
//! climbs out of the root, or lies under a protected system directory, is
//! refused with `PermissionDenied` — those refusals are training data, so the
//! message is always `Access denied: <path as given>`.

#![no_std]

extern crate alloc;

mod args;
mod defs;
mod path;
mod tools;

wit_bindgen::generate!({
    world: "tool",
    path: "../../wit",
});

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use weft::tool::types::ErrorType;

/// The guest's heap: wasi-libc's malloc, as std would use. It starts in the
/// pages the module already has, so a small call grows no memory.
#[global_allocator]
static ALLOCATOR: LibcAlloc = LibcAlloc;

struct LibcAlloc;

unsafe extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn aligned_alloc(align: usize, size: usize) -> *mut u8;
    fn realloc(ptr: *mut u8, size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
}

/// malloc's own alignment on wasm32.
const MALLOC_ALIGN: usize = 16;

// SAFETY: each method forwards to the C allocator with the sizes and
// alignments it requires; over-aligned requests go through aligned_alloc.
unsafe impl core::alloc::GlobalAlloc for LibcAlloc {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                malloc(layout.size())
            } else {
                aligned_alloc(layout.align(), layout.size())
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: core::alloc::Layout) {
        unsafe { free(ptr) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: core::alloc::Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                return realloc(ptr, new_size);
            }
            let new = aligned_alloc(layout.align(), new_size);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                free(ptr);
            }
            new
        }
    }
}

/// The canonical ABI's allocator export, through which the host passes
/// strings and lists in (std would provide it).
///
/// # Safety
/// Called by the host per the canonical ABI: `old_ptr`/`old_len`/`align`
/// describe a live allocation made here, or `old_len` is 0.
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    let ptr = unsafe {
        if old_len == 0 {
            if new_len == 0 {
                return align as *mut u8;
            }
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
        }
    };
    if ptr.is_null() {
        // Out of memory under the host's cap: trap, reported as ResourceExhausted.
        core::arch::wasm32::unreachable()
    }
    ptr
}

// `memcmp` and friends come from wasi-libc's plain C routines (std would
// have linked them); nothing in them calls WASI.
#[link(name = "c")]
unsafe extern "C" {}

/// A panic is a bug in this component: trap, and the host reports the call
/// as `ComponentError`.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

struct Vfs;

impl Guest for Vfs {
    fn describe() -> Vec<ToolDefinition> {
        defs::definitions()
    }

    fn execute(_session: String, tool: String, args_json: String) -> Outcome {
        let args = match args::parse(&args_json) {
            Ok(args) => args,
            Err(failure) => return failure.into(),
        };
        let result = match tool.as_str() {
            "read_file" => tools::read_file(&args),
            "write_file" => tools::write_file(&args),
            "list_files" => tools::list_files(&args),
            "delete_file" => tools::delete_file(&args),
            "edit_file" => tools::edit_file(&args),
            "search_files" => tools::search_files(&args),
            "move_file" => tools::move_file(&args),
            other => Err(Failure::new(ErrorType::UnknownTool, format!("Unknown tool: {other}"))),
        };
        match result {
            Ok(text) => Outcome { success: true, result: text, error_type: None },
            Err(failure) => failure.into(),
        }
    }
}

/// A failed call: the error kind and the message the model will read.
pub(crate) struct Failure {
    kind: ErrorType,
    message: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Outcome { success: false, result: failure.message, error_type: Some(failure.kind) }
    }
}

pub(crate) type ToolResult = Result<String, Failure>;

export!(Vfs);
