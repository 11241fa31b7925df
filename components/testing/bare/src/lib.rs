//! The misbehaviours of `misbehave` that need no WASI, in a component
//! without std: it imports only weft's store, so the host calls it on its
//! synchronous path (no fiber, no wall-clock timer), where the epoch
//! deadline and the memory cap must hold as well.

#![no_std]

extern crate alloc;

wit_bindgen::generate!({
    world: "tool",
    path: "../../../wit",
});

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

/// Bump allocation over `memory.grow`: an instance lives for one call, so
/// nothing is ever freed.
struct Bump {
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: a wasm instance is single-threaded.
unsafe impl Sync for Bump {}

const PAGE: usize = 64 << 10;

#[global_allocator]
static BUMP: Bump = Bump { next: Cell::new(0), end: Cell::new(0) };

// SAFETY: hands out disjoint, aligned ranges of pages this allocator grew.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let start = self.next.get().next_multiple_of(layout.align());
        let end = start + layout.size();
        if end > self.end.get() || self.end.get() == 0 {
            let pages = layout.size().div_ceil(PAGE) + 1;
            let grown = core::arch::wasm32::memory_grow(0, pages);
            if grown == usize::MAX {
                return core::ptr::null_mut();
            }
            self.next.set(grown * PAGE + layout.size());
            self.end.set((grown + pages) * PAGE);
            return (grown * PAGE) as *mut u8;
        }
        self.next.set(end);
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

/// The canonical ABI's allocator export.
///
/// # Safety
/// Called by the host per the canonical ABI.
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: a valid layout per the canonical ABI; the old range (if any) is live.
    unsafe {
        let new = BUMP.alloc(Layout::from_size_align_unchecked(new_len, align));
        if new.is_null() {
            core::arch::wasm32::unreachable()
        }
        if old_len > 0 {
            core::ptr::copy_nonoverlapping(old_ptr, new, old_len.min(new_len));
        }
        new
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

struct Bare;

impl Guest for Bare {
    fn describe() -> Vec<ToolDefinition> {
        ["spin", "hog", "trap", "echo"]
            .into_iter()
            .map(|name| ToolDefinition {
                name: name.to_owned(),
                title: None,
                description: String::from("misbehaviour without WASI"),
                input_schema: r#"{"type":"object"}"#.to_owned(),
                annotations: None,
            })
            .collect()
    }

    fn execute(_session: String, tool: String, args_json: String) -> Outcome {
        match tool.as_str() {
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = core::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(alloc::vec![1u8; 1 << 20]);
                    core::hint::black_box(&hoard);
                }
            }
            "trap" => core::arch::wasm32::unreachable(),
            _ => Outcome { success: true, result: args_json, error_type: None },
        }
    }
}

export!(Bare);
