//! Holding leases: taking each part's lease (waiting while another run holds it), renewing
//! the held ones in the background, and releasing them at the end, each by writing this
//! run's record.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use super::record::{generation_of, latest};
use super::{Holder, LeaseError, LeaseRecord, LeaseTiming, Part};
use crate::lake::{self, Lake, LakeKey};

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
                            let message = format!("lease {}: {message}; stopping", lease.part);
                            crate::exit::report(crate::exit::ExitCode::Storage, &message);
                            std::process::exit(crate::exit::ExitCode::Storage as i32);
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
        self.release_within(None).await
    }

    /// [`Leases::release`], giving up on what is left after `limit`: after a storage failure
    /// the store may be gone, and a release should not wait out its retries and timeouts.
    pub async fn release_within(&mut self, limit: Option<Duration>) -> usize {
        let held = self.stop_renewing().await;
        let deadline = limit.map(|limit| tokio::time::Instant::now() + limit);
        for (i, lease) in held.iter().enumerate() {
            let record = self.writer.record(&lease.part, true);
            let put = lease
                .lake
                .put(&lease.key, crate::formats::to_json_bytes(&record));
            let released = match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, put).await {
                    Ok(done) => done.map_err(|e| e.to_string()),
                    Err(_) => Err("the store did not answer in time".to_string()),
                },
                None => put.await.map_err(|e| e.to_string()),
            };
            if let Err(why) = released {
                return left_unreleased(&held[i..], &why);
            }
        }
        0
    }

    /// Stops renewing and hands over the held leases; renewal has ended when this returns, so
    /// no renewal lands after a release.
    async fn stop_renewing(&mut self) -> Vec<Held> {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
            let _ = renewer.await;
        }
        self.held
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default()
    }
}

/// Says, in one line, that `left` stay held until they expire, and why; returns how many.
fn left_unreleased(left: &[Held], why: &str) -> usize {
    let Some(expires) = left.iter().map(|h| h.expires).max() else {
        return 0;
    };
    warn!(
        leases = left.len(),
        error = %why,
        "{} lease(s) left unreleased: they expire by themselves by {}",
        left.len(),
        expires.format("%Y-%m-%dT%H:%M:%SZ")
    );
    left.len()
}

impl Drop for Leases {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}
