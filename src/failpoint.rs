//! Test-only crash points, compiled only with the `failpoints` feature (`make test` turns
//! it on; a release build has none of this code).
//!
//! `OHS_FAILPOINT=put:N` aborts the process just before its N-th lake write, as a SIGKILL
//! would; `OHS_FAILPOINT=panic` panics once the run starts. The crash-safety tests use them
//! to stop a run at every write.

#[cfg(feature = "failpoints")]
mod enabled {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Failpoint {
        BeforePut(usize),
        Panic,
    }

    fn configured() -> Option<Failpoint> {
        static FAILPOINT: OnceLock<Option<Failpoint>> = OnceLock::new();
        *FAILPOINT.get_or_init(|| {
            let value = std::env::var("OHS_FAILPOINT").ok()?;
            match value.split_once(':') {
                Some(("put", n)) => n.parse().ok().map(Failpoint::BeforePut),
                _ if value == "panic" => Some(Failpoint::Panic),
                _ => None,
            }
        })
    }

    /// Puts started and finished (with any outcome).
    static PUTS_STARTED: AtomicUsize = AtomicUsize::new(0);
    static PUTS_FINISHED: AtomicUsize = AtomicUsize::new(0);

    /// Panics when `OHS_FAILPOINT=panic`.
    pub fn at_start() {
        if configured() == Some(Failpoint::Panic) {
            panic!("OHS_FAILPOINT=panic");
        }
    }

    /// With `OHS_FAILPOINT=put:N`, aborts the process before the Nth put, once every put
    /// started before it has finished and holding any later one back, so the crash leaves
    /// exactly N - 1 writes however many run at once.
    pub async fn before_put() {
        static CRASHING: AtomicBool = AtomicBool::new(false);
        let Some(Failpoint::BeforePut(n)) = configured() else {
            return;
        };
        if CRASHING.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if PUTS_STARTED.fetch_add(1, Ordering::SeqCst) + 1 == n {
            CRASHING.store(true, Ordering::SeqCst);
            while PUTS_FINISHED.load(Ordering::SeqCst) + 1 < PUTS_STARTED.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            std::process::abort();
        }
    }

    /// Counts a finished put.
    pub fn after_put() {
        PUTS_FINISHED.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(feature = "failpoints")]
pub use enabled::{after_put, at_start, before_put};

/// Without the feature: nothing.
#[cfg(not(feature = "failpoints"))]
pub fn at_start() {}

#[cfg(not(feature = "failpoints"))]
pub async fn before_put() {}

#[cfg(not(feature = "failpoints"))]
pub fn after_put() {}
