//! What `ohs status` says of each gold table: its Delta version and last commit.

use futures::StreamExt;

use super::{io_error, load, DeltaError};
use crate::lake::Lake;

/// A gold table's latest version and what its commit says of itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableStatus {
    pub table: String,
    pub version: u64,
    /// When the last commit was made (UTC, from its `commitInfo`).
    pub committed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub operation: Option<String>,
    /// The snapshots and builds it published (`ohs <version>: snapshot S build B, …`).
    pub published: Option<String>,
}

/// The status of `gold/<table>/`, or `None` when it is not a Delta table yet.
pub async fn table_status(lake: &Lake, table: &str) -> Result<Option<TableStatus>, DeltaError> {
    let Some(delta) = load(lake, table).await? else {
        return Ok(None);
    };
    let version = delta.version().unwrap_or(0);
    let last = delta.history(Some(1)).next().await;
    let info = match last {
        Some(Ok(info)) => Some(info),
        Some(Err(e)) => return Err(io_error(lake, table, &e)),
        None => None,
    };
    Ok(Some(TableStatus {
        table: table.to_string(),
        version,
        committed_at: info
            .as_ref()
            .and_then(|i| i.timestamp)
            .and_then(chrono::DateTime::from_timestamp_millis),
        operation: info.as_ref().and_then(|i| i.operation.clone()),
        published: info.and_then(|i| i.user_metadata),
    }))
}
