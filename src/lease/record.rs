//! The lease record: the JSON object each generation of a part's lease is on the store,
//! when it leaves the part free, and reading a part's newest generation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Holder, LeaseError};
use crate::lake::{Lake, LakeKey};

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
    pub(super) fn is_free_for(&self, us: &Holder, now: DateTime<Utc>) -> bool {
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

/// The highest generation of `part`'s lease and its record.
pub(super) async fn latest(
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

pub(super) fn generation_of(key: &LakeKey) -> Option<u64> {
    key.file_name().strip_suffix(".json")?.parse().ok()
}
