//! Reading what transform staged for publish and report: each object must be there.

use bytes::Bytes;

use super::build::BuildRecord;
use crate::domain::SnapshotDate;
use crate::lake::{outputs, Lake, LakeError, LakeKey};

/// Why a staged object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StagedError {
    #[error(
        "snapshot {date} has no staged {key}: run `ohs transform --snapshot-date {date}` first"
    )]
    NotStaged { date: SnapshotDate, key: LakeKey },
    #[error("{key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("{0}")]
    Lake(#[from] LakeError),
}

impl crate::exit::HasExitCode for StagedError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Data, Usage};
        match self {
            Self::NotStaged { .. } => Usage,
            Self::Corrupt { .. } => Data,
            Self::Lake(e) => e.exit_code(),
        }
    }
}

/// The staged object at `key` of snapshot `date`.
pub async fn get(lake: &Lake, date: SnapshotDate, key: &LakeKey) -> Result<Bytes, StagedError> {
    lake.get(key).await?.ok_or_else(|| StagedError::NotStaged {
        date,
        key: key.clone(),
    })
}

/// The staged build record of `date`: which build the staged outputs belong to.
pub async fn build_record(lake: &Lake, date: SnapshotDate) -> Result<BuildRecord, StagedError> {
    let key = outputs::build_record(date);
    let bytes = get(lake, date, &key).await?;
    serde_json::from_slice(&bytes).map_err(|e| StagedError::Corrupt {
        key,
        message: e.to_string(),
    })
}

/// Every snapshot with a build record in staging, oldest first.
pub async fn snapshot_dates(lake: &Lake) -> Result<Vec<SnapshotDate>, LakeError> {
    let mut dates = Vec::new();
    for partition in lake
        .partitions(&outputs::staging_root(), "snapshot_date")
        .await?
    {
        if let Ok(date) = partition.parse::<SnapshotDate>() {
            if lake.exists(&outputs::build_record(date)).await? {
                dates.push(date);
            }
        }
    }
    Ok(dates)
}
