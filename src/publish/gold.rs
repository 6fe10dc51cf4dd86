//! Publish's gold step: each gold table's Delta commit for the snapshots published, then each
//! snapshot's manifest, which lists the build's copies and the tables' current data files.

use std::collections::BTreeMap;

use tracing::info;

use super::{listed, manifest_of, published_checksums, PublishError, RunInfo, Staged};
use crate::delta::{self, CommitNote, PartitionFile};
use crate::formats::to_json_bytes;
use crate::lake::{outputs, Lake};

/// Commits every gold table once for all of `snapshots`. Returns how many tables gained a
/// version.
pub(super) async fn commit(
    target: &Lake,
    snapshots: &[Staged],
    run: &RunInfo,
) -> Result<usize, PublishError> {
    let builds: Vec<_> = snapshots
        .iter()
        .map(|s| (s.build.snapshot_date, s.build.build_id.clone()))
        .collect();
    let note = CommitNote {
        builds: &builds,
        run_id: &run.run_id,
        started_at: run.started_at,
    };
    let mut committed = 0;
    for table in outputs::GOLD_TABLES {
        let files: Vec<PartitionFile> = snapshots
            .iter()
            .flat_map(|s| {
                let bytes = s.gold.iter().filter(|(t, _)| *t == table);
                bytes.map(|(_, bytes)| PartitionFile {
                    date: s.build.snapshot_date,
                    bytes: bytes.clone(),
                })
            })
            .collect();
        if let Some(version) = delta::publish_table(target, table, &files, &note).await? {
            info!(table, version, "gold table committed");
            committed += 1;
        }
    }
    Ok(committed)
}

/// Writes `snapshot`'s manifest unless the one published lists the same objects. Returns
/// whether it was written, and the checksums of everything it lists.
pub(super) async fn write_manifest(
    target: &Lake,
    snapshot: &Staged,
    run: &RunInfo,
) -> Result<(usize, BTreeMap<String, String>), PublishError> {
    let date = snapshot.build.snapshot_date;
    let current: Vec<_> = snapshot
        .gold
        .iter()
        .map(|(table, bytes)| {
            let key = outputs::gold_file(table, date, &crate::formats::sha256_hex(bytes));
            (key, bytes.clone())
        })
        .collect();
    let (objects, current) = (listed(&snapshot.copies), listed(&current));
    let listing: BTreeMap<String, String> = objects
        .iter()
        .chain(&current)
        .map(|o| (o.key.clone(), o.sha256.clone()))
        .collect();
    let key = outputs::snapshot_manifest(date);
    if published_checksums(target, &key).await? == listing {
        return Ok((0, listing));
    }
    let manifest = manifest_of(snapshot, run, objects, current);
    target.put(&key, to_json_bytes(&manifest)).await?;
    Ok((1, listing))
}
