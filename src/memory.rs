//! Handing freed memory back to the system between the phases of a run.
//!
//! glibc keeps what a thread freed in that thread's arena for reuse, and gives back only what
//! lies at the top of an arena. After a crawl (a dozen threads allocating and freeing request
//! buffers, spools, parsed pages) much of its freed memory stays resident, and the mirror build
//! that follows in the same process then adds its own peak on top of the crawl's. One call to
//! `malloc_trim` between the two gives those pages back. Other allocators (musl, macOS,
//! Windows) return large free blocks themselves and have no such call: there this does nothing.

/// Asks the allocator to return the memory it holds free to the system; whether it did.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and only rearranges glibc's own free lists, which
    // it locks while it runs; live allocations are untouched.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Asks the allocator to return the memory it holds free to the system; whether it did.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() -> bool {
    false
}
