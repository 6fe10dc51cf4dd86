//! Why transform failed, and the exit code of each cause.

use polars::prelude::PolarsError;

use crate::bronze;
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::{LakeError, LakeKey};

/// Why transform failed. Messages name the snapshot, lake key or org, page and repo.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("transform: snapshot {date} has no complete bronze for {}", missing_orgs(*date, orgs))]
    Incomplete {
        date: SnapshotDate,
        orgs: Vec<String>,
    },
    #[error("transform: {key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("transform: org {org} page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("transform: {file}: {source}")]
    Model {
        file: &'static str,
        source: PolarsError,
    },
    #[error("transform: {what}: {source}")]
    Polars {
        what: &'static str,
        source: PolarsError,
    },
    #[error("transform: {0}")]
    Lake(#[from] LakeError),
    #[error("transform: {0}")]
    Bronze(#[from] bronze::read::BronzeError),
}

impl crate::exit::HasExitCode for TransformError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Data, Usage};
        match self {
            Self::Lake(e) | Self::Bronze(bronze::read::BronzeError::Lake(e)) => {
                crate::exit::HasExitCode::exit_code(e)
            }
            Self::Incomplete { .. } => Usage,
            Self::Bronze(_) => Data,
            Self::Corrupt { .. }
            | Self::InvalidPage { .. }
            | Self::Model { .. }
            | Self::Polars { .. } => Data,
        }
    }
}

/// `a, b: run ...` naming the orgs and the command that fetches them; past ten, the count.
/// `orgs` are lake keys: each is named as `--orgs` takes it (a group's `<host>/<path>`).
fn missing_orgs(date: SnapshotDate, keys: &[String]) -> String {
    const NAMED: usize = 10;
    let orgs: Vec<String> = keys
        .iter()
        .map(|key| OrgLogin::from_key(key).map_or_else(|_| key.clone(), |org| org.to_string()))
        .collect();
    if orgs.len() <= NAMED {
        return format!(
            "{}: run `ohs extract --snapshot-date {date} --orgs {}` first",
            orgs.join(", "),
            orgs.join(",")
        );
    }
    format!(
        "{} orgs ({}, and {} more): run `ohs extract --snapshot-date {date}` first (complete orgs are kept)",
        orgs.len(),
        orgs[..NAMED].join(", "),
        orgs.len() - NAMED
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_orgs_are_named_as_orgs_takes_them() {
        let date = "2021-03-04".parse().unwrap();
        let keys = ["gitlab.com+nhsbsa+data".to_string(), "nhsx".to_string()];
        assert_eq!(
            missing_orgs(date, &keys),
            "gitlab.com/nhsbsa/data, nhsx: run `ohs extract --snapshot-date 2021-03-04 --orgs gitlab.com/nhsbsa/data,nhsx` first"
        );
    }
}
