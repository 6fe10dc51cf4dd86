//! The newest earlier snapshot's answers, for conditional requests.
//!
//! For each URL an earlier snapshot fetched: its ETag (sent as `If-None-Match`, exactly as
//! received), its `Link` header and the key of its stored bytes, which a 304 reuses. Anything
//! unreadable is skipped: it only costs a full request.

use std::collections::HashMap;

use super::read;
use super::RepoResponse;
use crate::domain::{OrgLogin, RepoEndpoint, SnapshotDate};
use crate::lake::{self, Lake, LakeError, LakeKey};

/// A response stored by an earlier snapshot.
pub struct PreviousResponse {
    pub date: SnapshotDate,
    pub body_key: LakeKey,
    pub etag: Option<String>,
    pub link: Option<String>,
    /// SHA-256 of the stored bytes, as the sidecar records it.
    pub sha256: String,
}

/// Earlier responses of one org, by URL.
pub type PreviousResponses = HashMap<String, PreviousResponse>;

/// An earlier snapshot's answer of a per-repository endpoint.
pub struct PreviousAnswer {
    pub date: SnapshotDate,
    pub response: RepoResponse,
}

/// The bronze snapshots before the current one, newest first.
pub struct PreviousSnapshots {
    dates: Vec<SnapshotDate>,
}

impl PreviousSnapshots {
    pub async fn list(lake: &Lake, current: SnapshotDate) -> Result<Self, LakeError> {
        let mut dates: Vec<SnapshotDate> = super::snapshot_dates(lake)
            .await?
            .into_iter()
            .filter(|d| *d < current)
            .collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Self { dates })
    }

    /// The responses of the newest earlier snapshot in which `org` is complete.
    pub async fn responses(
        &self,
        lake: &Lake,
        org: &OrgLogin,
    ) -> Result<PreviousResponses, LakeError> {
        for &date in &self.dates {
            let Some(manifest) = readable(read::org_manifest(lake, date, org).await)? else {
                continue;
            };
            let mut responses = HashMap::new();
            let (org_body, org_sidecar) = lake::bronze::org_metadata(date, org);
            let mut stored = vec![(org_body, org_sidecar)];
            stored.extend((1..=manifest.pages).map(|n| {
                (
                    lake::bronze::page(date, org, n),
                    lake::bronze::page_sidecar(date, org, n),
                )
            }));
            for (body_key, sidecar_key) in stored {
                let Some(sidecar) = read::sidecar(lake, &sidecar_key).await? else {
                    continue;
                };
                let response = PreviousResponse {
                    date,
                    body_key,
                    etag: sidecar.etag,
                    link: sidecar.link,
                    sha256: sidecar.sha256,
                };
                responses.insert(sidecar.url, response);
            }
            return Ok(responses);
        }
        Ok(HashMap::new())
    }

    /// The answers of `endpoint` for `org` in the newest earlier snapshot that stored them,
    /// by URL.
    pub async fn repo_answers(
        &self,
        lake: &Lake,
        org: &OrgLogin,
        endpoint: RepoEndpoint,
    ) -> Result<HashMap<String, PreviousAnswer>, LakeError> {
        for &date in &self.dates {
            let Some(manifest) = readable(read::org_manifest(lake, date, org).await)? else {
                continue;
            };
            let file = read::repo_responses(lake, date, org, &manifest, endpoint).await;
            let Some(file) = readable(file)? else {
                continue;
            };
            return Ok(file
                .responses
                .into_iter()
                .map(|response| (response.url.clone(), PreviousAnswer { date, response }))
                .collect());
        }
        Ok(HashMap::new())
    }
}

/// What was read, `None` for what is missing or unreadable; a storage error stays one.
fn readable<T>(read: Result<Option<T>, read::BronzeError>) -> Result<Option<T>, LakeError> {
    match read {
        Ok(value) => Ok(value),
        Err(read::BronzeError::Lake(e)) => Err(e),
        Err(read::BronzeError::Missing { .. } | read::BronzeError::Corrupt { .. }) => Ok(None),
    }
}
