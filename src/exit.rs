//! Exit codes. Each stage's error type says its own code with an exhaustive match beside
//! its definition, and the command line returns only a [`Failure`], which can be made from
//! an error that has a code: a new error type or variant cannot forget its code.

use std::sync::atomic::{AtomicBool, Ordering};

/// The documented exit codes (`ohs --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// A bug (a panic is reported as one line, never a backtrace).
    Bug = 1,
    /// Usage or configuration: fix it, don't retry.
    Usage = 2,
    /// A forge's API or the network: retrying later may help.
    Source = 3,
    /// An invalid page or schema: nothing was published.
    Data = 4,
    /// The lake or target could not be read or written.
    Storage = 5,
    /// Another run holds a lease on what this run would write.
    Busy = 6,
}

/// An error that knows its exit code.
pub trait HasExitCode {
    fn exit_code(&self) -> ExitCode;
}

/// A failed command: the error (its message is printed as one line) and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure that is a bug in `ohs` itself.
    pub fn bug(error: anyhow::Error) -> Self {
        Self {
            code: ExitCode::Bug,
            error,
        }
    }
}

/// Whether a failure is reported as one JSON event (`--log-format json`), so every line
/// on stderr is JSON; set once by the binary.
static FAILURES_AS_JSON: AtomicBool = AtomicBool::new(false);

/// Reports failures as JSON events from now on.
pub fn report_failures_as_json() {
    FAILURES_AS_JSON.store(true, Ordering::Relaxed);
}

/// Prints a failure as the one line that ends a run: `ohs: <what failed>`, or one JSON event.
pub fn report(code: ExitCode, message: &str) {
    let message = message.replace('\n', " ");
    if FAILURES_AS_JSON.load(Ordering::Relaxed) {
        tracing::error!(exit_code = code as u8, error = %message, "run failed");
    } else {
        eprintln!("ohs: {message}");
    }
}

impl<E> From<E> for Failure
where
    E: HasExitCode + std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Self {
            code: error.exit_code(),
            error: error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode::{Busy, Data, Source, Storage, Usage};
    use super::*;
    use crate::config::ConfigError;
    use crate::domain::{OrgLogin, SnapshotDate};
    use crate::extract::ExtractError;
    use crate::formats::staged::StagedError;
    use crate::lake::LakeError;
    use crate::lease::{LeaseError, LeaseRecord};
    use crate::publish::PublishError;
    use crate::report::ReportError;
    use crate::transform::TransformError;

    #[test]
    fn each_error_has_its_documented_code() {
        let org: OrgLogin = "nhsx".parse().unwrap();
        let date: SnapshotDate = "2021-03-04".parse().unwrap();
        let key = crate::lake::bronze::snapshot(crate::domain::Forge::Github, date);
        let url = "https://api.github.com/orgs/nhsx".to_string();
        let io = || LakeError::Io {
            root: "lake".into(),
            op: "get",
            key: key.clone(),
            message: "refused".into(),
        };
        let holder = LeaseRecord {
            part: "site/".into(),
            run_id: "r".into(),
            host: "h".into(),
            pid: 1,
            boot_id: None,
            pid_namespace: None,
            started: chrono::Utc::now(),
            expires: chrono::Utc::now(),
            released: false,
        };
        let message = || "m".to_string();
        let cases: Vec<(Failure, ExitCode)> = vec![
            (
                ConfigError::Flag {
                    flag: "--orgs",
                    message: message(),
                }
                .into(),
                Usage,
            ),
            (
                LakeError::Open {
                    root: "x".into(),
                    message: message(),
                }
                .into(),
                Usage,
            ),
            (io().into(), Storage),
            (
                LakeError::NoConditionalCreate { root: "x".into() }.into(),
                Storage,
            ),
            (
                ExtractError::OrgNotFound {
                    org: org.clone(),
                    url: url.clone(),
                }
                .into(),
                Usage,
            ),
            (
                ExtractError::Unauthorized {
                    url: url.clone(),
                    forge: crate::domain::Forge::Github,
                    with_token: true,
                }
                .into(),
                Usage,
            ),
            (
                ExtractError::Forbidden {
                    org: org.clone(),
                    url: url.clone(),
                    message: message(),
                }
                .into(),
                Usage,
            ),
            (
                ExtractError::RateLimited {
                    org: org.clone(),
                    url: url.clone(),
                    retry_at: None,
                    max_wait_secs: 1,
                }
                .into(),
                Source,
            ),
            (
                ExtractError::ForeignOrigin {
                    org: org.clone(),
                    what: "URL",
                    url: url.clone(),
                    api: url.clone(),
                }
                .into(),
                Source,
            ),
            (
                ExtractError::InvalidPage {
                    org: org.clone(),
                    page: 1,
                    message: message(),
                }
                .into(),
                Data,
            ),
            (ExtractError::Lake(io()).into(), Storage),
            (
                TransformError::Incomplete {
                    date,
                    orgs: vec!["nhsx".into()],
                }
                .into(),
                Usage,
            ),
            (
                TransformError::Corrupt {
                    key: key.clone(),
                    message: message(),
                }
                .into(),
                Data,
            ),
            (ReportError::Lake(io()).into(), Storage),
            (
                ReportError::Staged(StagedError::NotStaged {
                    date,
                    key: key.clone(),
                })
                .into(),
                Usage,
            ),
            (
                PublishError::Stale {
                    date,
                    key: key.clone(),
                    build_id: "b".into(),
                }
                .into(),
                Usage,
            ),
            (
                PublishError::Staged(StagedError::Corrupt {
                    key: key.clone(),
                    message: message(),
                })
                .into(),
                Data,
            ),
            (
                LeaseError::Held {
                    part: "site/".into(),
                    holder: Box::new(holder),
                }
                .into(),
                Busy,
            ),
            (LeaseError::Unsupported { root: "x".into() }.into(), Storage),
        ];
        for (failure, expected) in cases {
            assert_eq!(failure.code, expected, "{}", failure.error);
        }
    }
}
