//! The responses of the most recent earlier snapshot, for conditional requests.
//!
//! For each URL the earlier snapshot fetched, its ETag (sent as `If-None-Match`, exactly as
//! received), its `Link` header and the key of its stored bytes, which a 304 reuses.

use std::collections::HashMap;

use crate::bronze::{OrgManifest, PageSidecar, RepoEndpoint, RepoResponses};
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::{self, Lake, LakeKey};

use super::details::PreviousAnswer;
use super::ExtractError;

/// A response stored by an earlier snapshot.
pub struct PreviousResponse {
    pub date: SnapshotDate,
    pub body_key: LakeKey,
    pub etag: Option<String>,
    pub link: Option<String>,
}

/// Earlier responses of one org, by URL.
pub type PreviousResponses = HashMap<String, PreviousResponse>;

/// The bronze snapshots before the current one, newest first.
pub struct PreviousSnapshots {
    dates: Vec<SnapshotDate>,
}

impl PreviousSnapshots {
    pub async fn list(lake: &Lake, current: SnapshotDate) -> Result<Self, ExtractError> {
        let partitions = lake
            .partitions(&lake::bronze::repos_root(), "snapshot_date")
            .await?;
        let mut dates: Vec<SnapshotDate> = partitions
            .iter()
            .filter_map(|p| p.parse().ok())
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
    ) -> Result<PreviousResponses, ExtractError> {
        for &date in &self.dates {
            let Some(bytes) = lake.get(&lake::bronze::org_manifest(date, org)).await? else {
                continue;
            };
            let Ok(manifest) = serde_json::from_slice::<OrgManifest>(&bytes) else {
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
                // A missing or unreadable sidecar only costs a full request.
                let Some(bytes) = lake.get(&sidecar_key).await? else {
                    continue;
                };
                let Ok(sidecar) = serde_json::from_slice::<PageSidecar>(&bytes) else {
                    continue;
                };
                let response = PreviousResponse {
                    date,
                    body_key,
                    etag: sidecar.etag,
                    link: sidecar.link,
                };
                responses.insert(sidecar.url, response);
            }
            return Ok(responses);
        }
        Ok(HashMap::new())
    }

    /// The answers of `endpoint` for `org` in the newest earlier snapshot that stored them,
    /// by URL. An unreadable file only costs full requests.
    pub async fn repo_answers(
        &self,
        lake: &Lake,
        org: &OrgLogin,
        endpoint: RepoEndpoint,
    ) -> Result<HashMap<String, PreviousAnswer>, ExtractError> {
        for &date in &self.dates {
            let Some(bytes) = lake.get(&lake::bronze::org_manifest(date, org)).await? else {
                continue;
            };
            let Ok(manifest) = serde_json::from_slice::<OrgManifest>(&bytes) else {
                continue;
            };
            if manifest.repo_responses(endpoint).is_none() {
                continue;
            }
            let key = lake::bronze::repo_responses(endpoint, date, org);
            let Some(bytes) = lake.get(&key).await? else {
                continue;
            };
            let Ok(file) = serde_json::from_slice::<RepoResponses>(&bytes) else {
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
