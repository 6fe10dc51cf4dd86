//! CPU-bound work run from transform's async code: on rayon's pool, so that it neither holds
//! an async worker nor waits for one, and so that it can run while transform does other work.

/// Starts CPU-bound `work` on the cores (rayon's pool, which `work` may split further) at
/// once, without holding an async worker; its result is awaited. A panic in it resumes there.
pub fn on_cores<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl std::future::Future<Output = T> {
    let (done, result) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)));
    });
    async move {
        match result.await {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => unreachable!("rayon ran the work or panicked inside it"),
        }
    }
}
