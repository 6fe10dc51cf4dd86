//! Writing a gold table's log: version 0 (protocol 1/2, the schema partitioned by
//! `snapshot_date`, the first files), each later commit (Removes and Adds, the schema grown
//! by nullable columns when the files add some), and what `commitInfo` says of the run.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TransactionError};
use deltalake::kernel::{Action, Add, MetadataExt, Remove, StructType};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::{DeltaTable, DeltaTableError};
use serde_json::{json, Value};

use super::{io_error, log_store, schema_error, CommitNote, DeltaError, PARTITION_COLUMN};
use crate::domain::SnapshotDate;
use crate::lake::Lake;

fn partition_values(date: SnapshotDate) -> HashMap<String, Option<String>> {
    HashMap::from([(PARTITION_COLUMN.to_string(), Some(date.to_string()))])
}

pub(super) fn add(
    date: SnapshotDate,
    size: usize,
    path: String,
    stats: String,
    at: DateTime<Utc>,
) -> Add {
    Add {
        path,
        size: size as i64,
        partition_values: partition_values(date),
        modification_time: at.timestamp_millis(),
        data_change: true,
        stats: Some(stats),
        ..Default::default()
    }
}

pub(super) fn remove(path: &str, date: SnapshotDate, note: &CommitNote<'_>) -> Remove {
    Remove {
        path: path.to_string(),
        data_change: true,
        deletion_timestamp: Some(note.started_at.timestamp_millis()),
        extended_file_metadata: Some(true),
        partition_values: Some(partition_values(date)),
        ..Default::default()
    }
}

/// `commitInfo`'s own keys: what was published, by which run and ohs, readable in
/// `DESCRIBE HISTORY` (userMetadata) and in full in the log.
fn app_metadata(note: &CommitNote<'_>) -> HashMap<String, Value> {
    let version = env!("CARGO_PKG_VERSION");
    let builds: Vec<String> = note
        .builds
        .iter()
        .map(|(date, build)| format!("snapshot {date} build {build}"))
        .collect();
    let snapshots: Vec<Value> = note
        .builds
        .iter()
        .map(|(date, build)| json!({"snapshotDate": date.to_string(), "buildId": build}))
        .collect();
    HashMap::from([
        (
            "userMetadata".to_string(),
            json!(format!("ohs {version}: {}", builds.join(", "))),
        ),
        (
            "ohs".to_string(),
            json!({"version": version, "runId": note.run_id, "snapshots": snapshots}),
        ),
    ])
}

/// Version 0: protocol 1/2, the schema with `snapshot_date` as partition, the first files.
pub(super) async fn create(
    lake: &Lake,
    table: &str,
    schema: StructType,
    actions: Vec<Action>,
    note: &CommitNote<'_>,
) -> Result<u64, DeltaError> {
    let properties = CommitProperties::default().with_metadata(app_metadata(note));
    let created = CreateBuilder::new()
        .with_log_store(log_store(lake, table))
        .with_table_name(table)
        .with_columns(schema.fields().cloned())
        .with_partition_columns([PARTITION_COLUMN])
        .with_actions(actions)
        .with_commit_properties(properties)
        .await
        .map_err(|e| commit_error(lake, table, e))?;
    Ok(created.version().unwrap_or(0))
}

/// The next version: the schema grown if the files add columns, then Removes and Adds.
pub(super) async fn commit(
    lake: &Lake,
    table: &str,
    delta: &DeltaTable,
    schema: StructType,
    mut actions: Vec<Action>,
    dates: &[SnapshotDate],
    note: &CommitNote<'_>,
) -> Result<u64, DeltaError> {
    let snapshot = delta.snapshot().map_err(|e| io_error(lake, table, &e))?;
    if let Some(grown) = grown_schema(table, &snapshot.schema(), &schema)? {
        let metadata = snapshot.metadata().clone().with_schema(&grown);
        let metadata = metadata.map_err(|e| schema_error(table, &e))?;
        actions.insert(0, Action::Metadata(metadata));
    }
    let dates: Vec<String> = dates.iter().map(|date| format!("'{date}'")).collect();
    let operation = DeltaOperation::Write {
        mode: SaveMode::Overwrite,
        partition_by: Some(vec![PARTITION_COLUMN.to_string()]),
        predicate: Some(format!("{PARTITION_COLUMN} IN ({})", dates.join(", "))),
    };
    let committed = CommitBuilder::default()
        .with_actions(actions)
        .with_app_metadata(app_metadata(note))
        .build(Some(snapshot), delta.log_store(), operation)
        .await
        .map_err(|e| commit_error(lake, table, e))?;
    Ok(committed.version())
}

/// `new` is `old` with nullable columns added (returned), or `old` itself (`None`); any
/// other change is an error naming the column.
pub(super) fn grown_schema(
    table: &str,
    old: &StructType,
    new: &StructType,
) -> Result<Option<StructType>, DeltaError> {
    for field in old.fields() {
        let matches = new
            .field(field.name())
            .is_some_and(|f| f.data_type() == field.data_type());
        if !matches {
            return Err(DeltaError::Schema {
                table: table.to_string(),
                message: format!(
                    "column {} ({}) is missing or of another type in the new file: a gold table's columns may only be added",
                    field.name(),
                    field.data_type()
                ),
            });
        }
    }
    let added: Vec<_> = new
        .fields()
        .filter(|f| old.field(f.name()).is_none())
        .cloned()
        .collect();
    if added.is_empty() {
        return Ok(None);
    }
    let grown = StructType::try_new(old.fields().cloned().chain(added));
    grown.map(Some).map_err(|e| schema_error(table, &e))
}

fn commit_error(lake: &Lake, table: &str, error: DeltaTableError) -> DeltaError {
    let conflict = matches!(
        &error,
        DeltaTableError::Transaction {
            source: TransactionError::CommitConflict(_)
                | TransactionError::VersionAlreadyExists(_)
                | TransactionError::MaxCommitAttempts(_)
        }
    ) || matches!(&error, DeltaTableError::VersionAlreadyExists(_));
    if conflict {
        return DeltaError::Conflict {
            table: table.to_string(),
            message: lake.redact(&error.to_string()),
        };
    }
    io_error(lake, table, &error)
}
