//! Leases: one writer at a time for each part of the lake.
//!
//! Before writing, a run takes a lease on each part it will write: an org's bronze for a
//! snapshot (extract), a snapshot's silver and staging (transform, report, publish), and
//! `site/` of the publish target (publish). A lease is an object created with a conditional
//! create (object_store's `PutMode::Create`), so of two runs that race for it exactly one
//! wins. Each holder renews its leases while it runs and releases them at the end; a lease
//! not renewed by its expiry (a crashed holder) is taken over by the next run, and so is one
//! whose holder ran on this host and is gone (no need to wait out a killed run's lease).
//!
//! A part's leases are numbered objects, `_leases/<part>/<generation>.json`. The holder is
//! the highest generation, unless it has expired or was released. Taking over creates the
//! next number, so two runs taking over the same expired lease cannot both succeed, and the
//! numbers only grow; older ones are deleted once superseded.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::{debug, error, info, warn};

use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::{self, Lake, LakeError, LakeKey};

/// Why a lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("lease {part}: held by run {} on host {} (pid {}) until {}: another ohs run is writing it; run again after that time (or set [lake] lease_wait_secs)", holder.run_id, holder.host, holder.pid, holder.expires.format("%Y-%m-%dT%H:%M:%SZ"))]
    Held {
        part: String,
        holder: Box<LeaseRecord>,
    },
    #[error("lake {root}: the store does not honour conditional creates (PutMode::Create), so runs cannot be kept apart; nothing was written")]
    Unsupported { root: String },
    #[error("lease {part}: {key}: not a lease record: {message}")]
    Corrupt {
        part: String,
        key: LakeKey,
        message: String,
    },
    #[error("{0}")]
    Lake(#[from] LakeError),
}

impl crate::exit::HasExitCode for LeaseError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Busy, Storage};
        match self {
            Self::Held { .. } => Busy,
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Unsupported { .. } | Self::Corrupt { .. } => Storage,
        }
    }
}

/// A part of the lake that one run at a time may write.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// One org's bronze for one snapshot.
    OrgBronze(SnapshotDate, String),
    /// A snapshot's silver and staged outputs.
    Snapshot(SnapshotDate),
    /// The publish target's `site/` (and the gold tables published with it).
    Site,
}

impl Part {
    pub fn org_bronze(date: SnapshotDate, org: &OrgLogin) -> Self {
        Self::OrgBronze(date, org.key())
    }

    fn folder(&self) -> LakeKey {
        match self {
            Self::OrgBronze(date, org) => lake::leases::org_bronze(*date, org),
            Self::Snapshot(date) => lake::leases::snapshot(*date),
            Self::Site => lake::leases::site(),
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OrgBronze(date, org) => write!(f, "bronze of org {org} for {date}"),
            Self::Snapshot(date) => write!(f, "snapshot {date} (silver and staging)"),
            Self::Site => f.write_str("site/"),
        }
    }
}

/// One lease object: who holds the part, and until when. Unknown fields are allowed, so a
/// newer version's record does not stop an older binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub part: String,
    pub run_id: String,
    pub host: String,
    pub pid: u32,
    /// The kernel's boot and the pid namespace of the holder: with the host, they say
    /// whether `pid` can be looked up here (not across containers that share a name).
    #[serde(default)]
    pub boot_id: Option<String>,
    #[serde(default)]
    pub pid_namespace: Option<String>,
    pub started: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// Set when the holder let go: the part is free.
    #[serde(default)]
    pub released: bool,
}

impl LeaseRecord {
    /// Released, expired, or held by a process of this host that is gone (a run killed a
    /// moment ago need not wait out its lease).
    fn is_free_for(&self, us: &Holder, now: DateTime<Utc>) -> bool {
        self.released || self.expires <= now || self.holder_is_gone(us)
    }

    fn holder_is_gone(&self, us: &Holder) -> bool {
        let known = |v: &Option<String>| v.is_some();
        let here = self.host == us.host
            && known(&us.boot_id)
            && self.boot_id == us.boot_id
            && known(&us.pid_namespace)
            && self.pid_namespace == us.pid_namespace
            && self.pid != us.pid;
        here && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

/// How long leases last and how long to wait for a held one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// A lease not renewed for this long is free to take over.
    pub ttl: Duration,
    /// How long to wait for a held lease before failing (0: fail at once).
    pub wait: Duration,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            wait: Duration::ZERO,
        }
    }
}

/// Who is taking leases: the run.
#[derive(Debug, Clone)]
pub struct Holder {
    pub run_id: String,
    pub host: String,
    pub pid: u32,
    pub boot_id: Option<String>,
    pub pid_namespace: Option<String>,
    pub started: DateTime<Utc>,
}

impl Holder {
    pub fn this_process(run_id: &str, started: DateTime<Utc>) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|id| id.trim().to_string());
        let pid_namespace = std::fs::read_link("/proc/self/ns/pid")
            .ok()
            .map(|ns| ns.display().to_string());
        Self {
            run_id: run_id.to_string(),
            host,
            pid: std::process::id(),
            boot_id,
            pid_namespace,
            started,
        }
    }
}

/// A lease this run holds.
#[derive(Debug, Clone)]
struct Held {
    lake: Lake,
    part: Part,
    key: LakeKey,
    generation: u64,
    /// When the record last written for it expires.
    expires: DateTime<Utc>,
}

/// Writes this run's lease records.
#[derive(Debug, Clone)]
struct RecordWriter {
    holder: Holder,
    timing: LeaseTiming,
}

impl RecordWriter {
    fn record(&self, part: &Part, released: bool) -> LeaseRecord {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.timing.ttl).unwrap_or(chrono::Duration::MAX);
        LeaseRecord {
            part: part.to_string(),
            run_id: self.holder.run_id.clone(),
            host: self.holder.host.clone(),
            pid: self.holder.pid,
            boot_id: self.holder.boot_id.clone(),
            pid_namespace: self.holder.pid_namespace.clone(),
            started: self.holder.started,
            expires: if released { now } else { now + ttl },
            released,
        }
    }

    /// Pushes `lease`'s expiry forward, unless it has expired (another run may have taken it
    /// over since) or another run has taken it over; returns the new expiry.
    async fn renew(&self, lease: &Held) -> Result<DateTime<Utc>, String> {
        let lost = || "expired before it could be renewed: another run may be writing".to_string();
        if Utc::now() >= lease.expires {
            return Err(lost());
        }
        let folder = lease.part.folder();
        let taken_over = |newest: Option<(u64, LeaseRecord)>| {
            newest.is_some_and(|(generation, _)| generation > lease.generation)
        };
        let newest = latest(&lease.lake, &lease.part, &folder).await;
        if taken_over(newest.map_err(|e| format!("cannot renew: {e}"))?) {
            return Err("taken over by another run after it expired".into());
        }
        let record = self.record(&lease.part, false);
        lease
            .lake
            .put(&lease.key, crate::formats::to_json_bytes(&record))
            .await
            .map_err(|e| format!("cannot renew: {e}"))?;
        // A slow write may have crossed the old expiry: then look again.
        if Utc::now() >= lease.expires {
            let newest = latest(&lease.lake, &lease.part, &folder).await;
            if taken_over(newest.map_err(|e| format!("cannot renew: {e}"))?) {
                return Err(lost());
            }
        }
        Ok(record.expires)
    }
}

/// The leases one run holds, renewed in the background until released.
pub struct Leases {
    writer: RecordWriter,
    held: Arc<Mutex<Vec<Held>>>,
    /// Stores already checked to honour conditional creates, by root.
    checked: Mutex<BTreeSet<String>>,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl Leases {
    pub fn new(holder: Holder, timing: LeaseTiming) -> Self {
        Self {
            writer: RecordWriter { holder, timing },
            held: Arc::new(Mutex::new(Vec::new())),
            checked: Mutex::new(BTreeSet::new()),
            renewer: None,
        }
    }

    /// Takes the lease on each of `parts` of `lake`, in order; on the first that another
    /// run holds (after waiting up to the configured time), releases what it took and fails.
    pub async fn acquire(&mut self, lake: &Lake, parts: &[Part]) -> Result<(), LeaseError> {
        self.check_conditional_create(lake).await?;
        // Renewing from the first lease on: taking many, or waiting for one, takes time.
        self.start_renewing();
        for part in parts {
            if let Err(e) = self.acquire_one(lake, part).await {
                self.release().await;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn acquire_one(&self, lake: &Lake, part: &Part) -> Result<(), LeaseError> {
        let deadline = tokio::time::Instant::now() + self.writer.timing.wait;
        loop {
            match self.try_acquire(lake, part).await? {
                None => return Ok(()),
                Some(holder) if tokio::time::Instant::now() >= deadline => {
                    return Err(LeaseError::Held {
                        part: part.to_string(),
                        holder: Box::new(holder),
                    })
                }
                Some(holder) => {
                    info!(part = %part, holder = %holder.run_id, "lease held by another run: waiting");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    /// Takes `part` unless a live lease of another run holds it; `Some(holder)` then.
    async fn try_acquire(
        &self,
        lake: &Lake,
        part: &Part,
    ) -> Result<Option<LeaseRecord>, LeaseError> {
        let folder = part.folder();
        loop {
            let current = latest(lake, part, &folder).await?;
            let next = match &current {
                Some((generation, record)) if record.run_id == self.writer.holder.run_id => {
                    // Ours already: a retried create that had in fact succeeded.
                    self.remember(lake, part, &folder, *generation, record.expires);
                    return Ok(None);
                }
                Some((_, record)) if !record.is_free_for(&self.writer.holder, Utc::now()) => {
                    return Ok(Some(record.clone()))
                }
                Some((generation, _)) => generation + 1,
                None => 1,
            };
            let key = lake::leases::generation(&folder, next);
            let record = self.writer.record(part, false);
            if lake
                .put_if_absent(&key, crate::formats::to_json_bytes(&record))
                .await?
            {
                debug!(part = %part, generation = next, "lease taken");
                self.remember(lake, part, &folder, next, record.expires);
                for older in lake.list(&folder).await? {
                    if generation_of(&older).is_some_and(|g| g < next) {
                        lake.delete(&older).await?;
                    }
                }
                return Ok(None);
            }
            // Another run created that generation first: look again.
        }
    }

    fn remember(
        &self,
        lake: &Lake,
        part: &Part,
        folder: &LakeKey,
        generation: u64,
        expires: DateTime<Utc>,
    ) {
        if let Ok(mut held) = self.held.lock() {
            held.push(Held {
                lake: lake.clone(),
                part: part.clone(),
                key: lake::leases::generation(folder, generation),
                generation,
                expires,
            });
        }
    }

    /// Fails if another run holds a live lease on any part under `folder`: transform reads
    /// every org's bronze, which an extract of the same snapshot may be rewriting.
    pub async fn require_none_held_under(
        &self,
        lake: &Lake,
        folder: &LakeKey,
    ) -> Result<(), LeaseError> {
        let mut parts: BTreeSet<String> = BTreeSet::new();
        for key in lake.list(folder).await? {
            if let Some(relative) = key.strip_prefix(folder) {
                if let Some((dir, _)) = relative.rsplit_once('/') {
                    parts.insert(dir.to_string());
                }
            }
        }
        let now = Utc::now();
        for dir in parts {
            let part_folder = lake::leases::under(folder, &dir);
            let Some((_, record)) = latest(lake, &part_folder, &part_folder).await? else {
                continue;
            };
            let ours = record.run_id == self.writer.holder.run_id;
            if !ours && !record.is_free_for(&self.writer.holder, now) {
                return Err(LeaseError::Held {
                    part: record.part.clone(),
                    holder: Box::new(record),
                });
            }
        }
        Ok(())
    }

    /// A store that ignores conditional creates would let two runs hold one lease: refuse
    /// to write to it. Checked once per store with a probe object created twice.
    async fn check_conditional_create(&self, lake: &Lake) -> Result<(), LeaseError> {
        if self.checked.lock().is_ok_and(|c| c.contains(lake.root())) {
            return Ok(());
        }
        let probe = lake::leases::probe(&self.writer.holder.run_id);
        let first = lake.put_if_absent(&probe, Vec::new()).await?;
        let second = lake.put_if_absent(&probe, Vec::new()).await?;
        lake.delete(&probe).await?;
        if !first || second {
            return Err(LeaseError::Unsupported {
                root: lake.root().to_string(),
            });
        }
        if let Ok(mut checked) = self.checked.lock() {
            checked.insert(lake.root().to_string());
        }
        Ok(())
    }

    /// Renews every held lease at a third of its lifetime. A lease found taken over by
    /// another run (this one stalled past its expiry) stops the process at once, as a crash
    /// would: every write of the pipeline is safe to interrupt, and two writers are not.
    fn start_renewing(&mut self) {
        if self.renewer.is_some() {
            return;
        }
        let held = Arc::clone(&self.held);
        let writer = self.writer.clone();
        let every = self.writer.timing.ttl / 3;
        self.renewer = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let leases: Vec<Held> = held.lock().map(|h| h.clone()).unwrap_or_default();
                for lease in leases {
                    match writer.renew(&lease).await {
                        Ok(expires) => {
                            if let Ok(mut held) = held.lock() {
                                let same = held.iter_mut().find(|h| h.key == lease.key);
                                if let Some(h) = same {
                                    h.expires = expires;
                                }
                            }
                        }
                        Err(message) => {
                            error!(part = %lease.part, "{message}");
                            eprintln!("ohs: lease {}: {message}; stopping", lease.part);
                            std::process::exit(5);
                        }
                    }
                }
            }
        }));
    }

    /// Releases every held lease (best effort: an unreleased lease expires by itself). When
    /// the store refuses one, the rest are left too, as each would wait out the same store's
    /// retries, and one line says how many were left and when they expire. Returns that
    /// number.
    pub async fn release(&mut self) -> usize {
        if let Some(renewer) = self.renewer.take() {
            // Wait for it to stop, so no renewal lands after the release.
            renewer.abort();
            let _ = renewer.await;
        }
        let held: Vec<Held> = self
            .held
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default();
        for (i, lease) in held.iter().enumerate() {
            let record = self.writer.record(&lease.part, true);
            let bytes = crate::formats::to_json_bytes(&record);
            if let Err(e) = lease.lake.put(&lease.key, bytes).await {
                let left = &held[i..];
                let expires = left
                    .iter()
                    .map(|h| h.expires)
                    .max()
                    .unwrap_or(lease.expires);
                warn!(
                    leases = left.len(),
                    error = %e,
                    "{} lease(s) left unreleased: they expire by themselves by {}",
                    left.len(),
                    expires.format("%Y-%m-%dT%H:%M:%SZ")
                );
                return left.len();
            }
        }
        0
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}

/// The highest generation of `part`'s lease and its record.
async fn latest(
    lake: &Lake,
    part: &(dyn std::fmt::Display + Sync),
    folder: &LakeKey,
) -> Result<Option<(u64, LeaseRecord)>, LeaseError> {
    loop {
        let newest = lake
            .list(folder)
            .await?
            .into_iter()
            .filter_map(|key| generation_of(&key).map(|g| (g, key)))
            .max_by_key(|(g, _)| *g);
        let Some((generation, key)) = newest else {
            return Ok(None);
        };
        // Gone between the listing and the read: a newer generation superseded it.
        let Some(bytes) = lake.get(&key).await? else {
            continue;
        };
        let record = serde_json::from_slice(&bytes).map_err(|e| LeaseError::Corrupt {
            part: part.to_string(),
            key,
            message: e.to_string(),
        })?;
        return Ok(Some((generation, record)));
    }
}

fn generation_of(key: &LakeKey) -> Option<u64> {
    key.file_name().strip_suffix(".json")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::LakeOptions;

    #[tokio::test]
    async fn a_store_gone_at_release_leaves_the_rest_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lake");
        let lake = Lake::open(root.to_str().unwrap(), &LakeOptions::default()).unwrap();
        let mut leases = Leases::new(
            Holder::this_process("test", Utc::now()),
            LeaseTiming::default(),
        );
        let dates = ["2021-03-04", "2021-03-05", "2021-03-06"];
        let parts: Vec<Part> = dates
            .iter()
            .map(|d| Part::Snapshot(d.parse().unwrap()))
            .collect();
        leases.acquire(&lake, &parts).await.unwrap();
        // The store stops taking writes under _leases/: a file where its folder was.
        std::fs::remove_dir_all(root.join("_leases")).unwrap();
        std::fs::write(root.join("_leases"), b"not a folder").unwrap();
        assert_eq!(
            leases.release().await,
            3,
            "all three left, after one refusal"
        );
        // A store that takes the writes releases everything.
        std::fs::remove_file(root.join("_leases")).unwrap();
        leases.acquire(&lake, &parts).await.unwrap();
        assert_eq!(leases.release().await, 0);
    }
}
