//! How much memory the process holds, and the glibc malloc settings and calls that keep it
//! close to what transform uses: without them a snapshot of a million repositories held its
//! freed records, each allocating thread an arena of its own, and large freed blocks in
//! fragmented heaps, until the process ended.

/// Sets glibc malloc up for transform's memory:
/// - one arena per core. By default each thread that allocates at once gets an arena of its
///   own, up to eight per core, and keeps what is freed in it: transform's threads then held
///   twice the memory they use (`ohs transform --all-snapshots` at 1e6 rows: 1.3 GiB peak
///   against 0.7 GiB with one arena per core, and slower);
/// - blocks of 1 MiB and more mapped on their own, and unmapped when freed. By default that
///   threshold rises to 32 MiB as large blocks are freed, and column buffers then fragment
///   the heap: four snapshots of a million repositories peaked at 0.94 GiB against 0.84 GiB;
/// - freed memory at the top of a heap kept up to 32 MiB rather than 128 KiB. With the small
///   default every freed page buffer was handed back and the next one faulted in afresh:
///   a third of the page faults of a transform of 1e5 repositories with answers, and about
///   3% of its CPU (alternated runs). Transform hands memory back itself where it matters ([`release_freed`]).
///
/// Call before any thread starts.
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets allocator parameters; no thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 32 * 1024 * 1024);
        }
    }
}

/// Gives the memory freed since the last call back to the system. glibc keeps freed small
/// blocks for later small allocations, but polars' column buffers are large and come from
/// elsewhere, so records freed before the gold queries would otherwise stay resident beside
/// them.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of malloc's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The process's resident memory now and its peak so far, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct ResidentMemory {
    pub current_mib: u64,
    pub peak_mib: u64,
}

impl ResidentMemory {
    /// From `/proc/self/status` (`VmRSS`, `VmHWM`); `None` where there is no such file.
    pub fn now() -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib = |field: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line[field.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(ResidentMemory {
            current_mib: kib("VmRSS:")? / 1024,
            peak_mib: kib("VmHWM:")? / 1024,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn resident_memory_is_read_on_linux() {
        let memory = ResidentMemory::now().expect("/proc/self/status");
        assert!(memory.current_mib > 0 && memory.peak_mib >= memory.current_mib);
    }
}
