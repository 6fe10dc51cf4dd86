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

mod held;
mod record;
#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use self::held::Leases;
pub use self::record::LeaseRecord;
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::{self, LakeError, LakeKey};

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
