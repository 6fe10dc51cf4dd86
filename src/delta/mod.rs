//! Gold as Delta Lake tables, which Databricks, Fabric, Synapse and Snowflake attach as they
//! are. Each `gold/<table>/` holds one Parquet file per snapshot, Hive-partitioned
//! (`snapshot_date=S/part-<sha256>.parquet`, named by its bytes), and a `_delta_log/`
//! committed with delta-rs through the lake's own object store: every version is a
//! conditional create, so of two writers of one version exactly one wins and the other gets
//! an error naming the table, never a lost version.
//!
//! A publish commits once per table: Remove of the files a snapshot's partition held, Add of
//! its new file with per-file statistics, `commitInfo` naming the snapshots, builds, run and
//! ohs version. Bytes already current add no version. The files a commit supersedes are
//! then deleted, so Hive readers (`snapshot_date=*/*.parquet`) count current rows only, and
//! a rerun after a crash deletes what the crash left. Protocol 1/2: no deletion vectors,
//! column mapping or `timestamp_ntz`; the schema only grows, by nullable columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use deltalake::kernel::{Action, StructType};
use deltalake::logstore::{default_logstore, LogStoreRef, StorageConfig};
use deltalake::{DeltaTable, DeltaTableError};
use futures::TryStreamExt;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;

use crate::domain::SnapshotDate;
use crate::formats::parquet::from_parquet_bytes;
use crate::lake::{outputs, Lake, LakeError, LakeKey};

mod commit;
mod stats;
mod status;
mod store;

pub use status::{table_status, TableStatus};

/// The column every gold table is partitioned by.
pub const PARTITION_COLUMN: &str = "snapshot_date";

/// Why a gold table could not be committed or read. Messages name the table.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    #[error("gold table {table}: {message}")]
    Io { table: String, message: String },
    /// Another writer committed first in a way this commit cannot be placed after.
    #[error("gold table {table}: commit conflict: {message}; nothing of this commit was kept: publish again")]
    Conflict { table: String, message: String },
    #[error("gold table {table}: {message}")]
    Schema { table: String, message: String },
    #[error(transparent)]
    Lake(#[from] LakeError),
}

impl crate::exit::HasExitCode for DeltaError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Busy, Data, Storage};
        match self {
            Self::Io { .. } => Storage,
            Self::Conflict { .. } => Busy,
            Self::Schema { .. } => Data,
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
        }
    }
}

/// One snapshot's new contents of a table.
pub struct PartitionFile {
    pub date: SnapshotDate,
    pub bytes: Bytes,
}

/// What a commit says about itself in `commitInfo`.
pub struct CommitNote<'a> {
    /// The snapshots published and each one's build id.
    pub builds: &'a [(SnapshotDate, String)],
    pub run_id: &'a str,
    /// When the run started: the data files' modification time.
    pub started_at: DateTime<Utc>,
}

/// A table's data file for one snapshot: its key, and its path relative to the table (as
/// the log writes it).
fn data_file(table: &str, date: SnapshotDate, bytes: &[u8]) -> (LakeKey, String) {
    let key = outputs::gold_file(table, date, &crate::formats::sha256_hex(bytes));
    let path = key
        .strip_prefix(&outputs::gold_table(table))
        .unwrap_or_default();
    (key, path)
}

/// The log store of `gold/<table>/` over the lake's store.
fn log_store(lake: &Lake, table: &str) -> LogStoreRef {
    let root: Arc<dyn ObjectStore> = Arc::new(store::DeltaStore(lake.object_store()));
    let folder = outputs::gold_table(table);
    let prefixed = Arc::new(PrefixStore::new(Arc::clone(&root), folder.0.clone()));
    // The URL only places the table inside `root` (its path is the key of the table's
    // folder); no store is opened from it. The scheme says it is relative to the lake.
    let url = url::Url::parse(&format!("ohs-lake:///{folder}/")).expect("a valid URL");
    default_logstore(prefixed, root, &url, &StorageConfig::default())
}

/// The table at its latest version, or `None` when it has no log yet.
async fn load(lake: &Lake, table: &str) -> Result<Option<DeltaTable>, DeltaError> {
    if lake.list(&outputs::delta_log(table)).await?.is_empty() {
        return Ok(None);
    }
    let mut delta = DeltaTable::new(log_store(lake, table));
    match delta.load().await {
        Ok(()) => Ok(Some(delta)),
        Err(DeltaTableError::NotATable(_)) => Ok(None),
        Err(e) => Err(io_error(lake, table, &e)),
    }
}

fn io_error(lake: &Lake, table: &str, error: &dyn std::fmt::Display) -> DeltaError {
    DeltaError::Io {
        table: table.to_string(),
        message: lake.redact(&error.to_string()),
    }
}

/// The current data files of each snapshot, as the table's latest version lists them.
async fn current_files(
    lake: &Lake,
    table: &str,
    delta: &DeltaTable,
) -> Result<BTreeMap<SnapshotDate, Vec<String>>, DeltaError> {
    let files: Vec<_> = delta
        .get_active_add_actions_by_partitions(&[])
        .try_collect()
        .await
        .map_err(|e| io_error(lake, table, &e))?;
    let mut by_date: BTreeMap<SnapshotDate, Vec<String>> = BTreeMap::new();
    for file in files {
        let path = file.path().to_string();
        let date = path
            .strip_prefix(&format!("{PARTITION_COLUMN}="))
            .and_then(|rest| rest.split('/').next())
            .and_then(|d| d.parse().ok());
        let Some(date) = date else {
            return Err(DeltaError::Schema {
                table: table.to_string(),
                message: format!("data file {path} is not under a {PARTITION_COLUMN}= folder"),
            });
        };
        by_date.entry(date).or_default().push(path);
    }
    Ok(by_date)
}

/// Makes each of `files` its snapshot's only data file in `gold/<table>/`, in one commit,
/// then deletes what that leaves unreferenced in those partitions. Returns the new version,
/// or `None` when every file was already current.
pub async fn publish_table(
    lake: &Lake,
    table: &str,
    files: &[PartitionFile],
    note: &CommitNote<'_>,
) -> Result<Option<u64>, DeltaError> {
    let delta = load(lake, table).await?;
    let current = match &delta {
        Some(delta) => current_files(lake, table, delta).await?,
        None => BTreeMap::new(),
    };
    let mut changes = Changes::default();
    let mut new_files = Vec::new();
    for file in files {
        let (key, path) = data_file(table, file.date, &file.bytes);
        let held = current.get(&file.date).map(Vec::as_slice).unwrap_or(&[]);
        if held == [path.clone()] {
            continue;
        }
        changes.add(table, file.date, path, &file.bytes, note)?;
        let removes = held.iter().map(|p| commit::remove(p, file.date, note));
        changes.actions.extend(removes.map(Action::Remove));
        new_files.push((key, file.bytes.clone()));
    }
    if delta.is_none() {
        adopt_earlier_files(lake, table, files, &mut changes, note).await?;
    }
    // A file the table cannot take is refused before anything is written.
    if let (Some(schema), Some(delta)) = (&changes.schema, &delta) {
        let snapshot = delta.snapshot().map_err(|e| io_error(lake, table, &e))?;
        commit::grown_schema(table, &snapshot.schema(), schema)?;
    }
    for (key, bytes) in new_files {
        if !lake.exists(&key).await? {
            lake.put(&key, bytes).await?;
        }
    }
    let version = match (changes.schema, delta) {
        (None, _) => None,
        (Some(schema), None) => {
            Some(commit::create(lake, table, schema, changes.actions, note).await?)
        }
        (Some(schema), Some(delta)) => {
            let dates = &changes.dates;
            Some(commit::commit(lake, table, &delta, schema, changes.actions, dates, note).await?)
        }
    };
    delete_superseded(lake, table, files).await?;
    Ok(version)
}

/// What one commit does: its actions, the schema of the files it adds (one for all), and
/// the snapshots whose partitions it writes.
#[derive(Default)]
struct Changes {
    actions: Vec<Action>,
    schema: Option<StructType>,
    dates: Vec<SnapshotDate>,
}

impl Changes {
    /// An Add of the file at `path` (relative to the table) holding `bytes`.
    fn add(
        &mut self,
        table: &str,
        date: SnapshotDate,
        path: String,
        bytes: &[u8],
        note: &CommitNote<'_>,
    ) -> Result<(), DeltaError> {
        let df = from_parquet_bytes(bytes).map_err(|e| schema_error(table, &e))?;
        let schema = stats::schema(&df).map_err(|e| schema_error(table, &e))?;
        if self.schema.as_ref().is_some_and(|s| *s != schema) {
            let message = format!("the file of {path} has other columns than the rest");
            return Err(schema_error(table, &message));
        }
        self.schema = Some(schema);
        let stats = stats::file_stats(&df).map_err(|e| schema_error(table, &e))?;
        let add = commit::add(date, bytes.len(), path, stats, note.started_at);
        self.actions.push(Action::Add(add));
        self.dates.push(date);
        Ok(())
    }
}

/// A table's first commit also takes the snapshots an earlier ohs published before gold was
/// Delta (`snapshot_date=S/part-0.parquet`), so a Delta reader sees all the history a Hive
/// reader does.
async fn adopt_earlier_files(
    lake: &Lake,
    table: &str,
    files: &[PartitionFile],
    changes: &mut Changes,
    note: &CommitNote<'_>,
) -> Result<(), DeltaError> {
    let root = outputs::gold_table(table);
    for partition in lake.partitions(&root, PARTITION_COLUMN).await? {
        let Ok(date) = partition.parse::<SnapshotDate>() else {
            continue;
        };
        if files.iter().any(|f| f.date == date) {
            continue;
        }
        let keys = lake.list(&outputs::gold_partition(table, date)).await?;
        for key in keys
            .into_iter()
            .filter(|k| k.as_str().ends_with(".parquet"))
        {
            let Some(bytes) = lake.get(&key).await? else {
                continue;
            };
            let path = key.strip_prefix(&root).unwrap_or_default();
            changes.add(table, date, path, &bytes, note)?;
        }
    }
    Ok(())
}

fn schema_error(table: &str, error: &dyn std::fmt::Display) -> DeltaError {
    DeltaError::Schema {
        table: table.to_string(),
        message: error.to_string(),
    }
}

/// Deletes every other Parquet file of each of `files`' partitions: once the table's latest
/// version holds each file as its snapshot's only one (already, or by the commit just made),
/// the others are files a commit superseded, or that a crash left before its commit.
async fn delete_superseded(
    lake: &Lake,
    table: &str,
    files: &[PartitionFile],
) -> Result<(), DeltaError> {
    for file in files {
        let (current, _) = data_file(table, file.date, &file.bytes);
        for key in lake
            .list(&outputs::gold_partition(table, file.date))
            .await?
        {
            if key.as_str().ends_with(".parquet") && key != current {
                lake.delete(&key).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
