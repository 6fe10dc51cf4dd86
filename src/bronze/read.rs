//! Reading bronze back, each file checked against the checksum that vouches for it: a page
//! against its sidecar, an org's pages against its manifest, a per-repository answers file
//! against the manifest. Extract (to resume and to reuse answers) and transform read bronze
//! only through here.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::{OrgManifest, PageSidecar, RepoResponses, SnapshotMember};
use crate::domain::{OrgLogin, RepoEndpoint, SnapshotDate};
use crate::formats::sha256_hex;
use crate::lake::{self, Lake, LakeError, LakeKey};

/// Why stored bronze could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum BronzeError {
    #[error("{key}: missing, though the org manifest lists it")]
    Missing { key: LakeKey },
    #[error("{key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("{0}")]
    Lake(#[from] LakeError),
}

/// `bytes` at `key` as JSON of `T`.
pub fn parse<T: DeserializeOwned>(key: &LakeKey, bytes: &[u8]) -> Result<T, BronzeError> {
    serde_json::from_slice(bytes).map_err(|e| BronzeError::Corrupt {
        key: key.clone(),
        message: format!("invalid JSON: {e}"),
    })
}

/// The object at `key` as JSON of `T`; `None` when there is none.
async fn read_json<T: DeserializeOwned>(
    lake: &Lake,
    key: &LakeKey,
) -> Result<Option<T>, BronzeError> {
    match lake.get(key).await? {
        Some(bytes) => parse(key, &bytes).map(Some),
        None => Ok(None),
    }
}

/// The org's manifest for `date`: `None` while the org is incomplete.
pub async fn org_manifest(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
) -> Result<Option<OrgManifest>, BronzeError> {
    read_json(lake, &lake::bronze::org_manifest(date, org)).await
}

/// The marker that made `org` a member of the snapshot, if any.
pub async fn member(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
) -> Result<Option<SnapshotMember>, BronzeError> {
    read_json(lake, &lake::bronze::member(date, org)).await
}

/// A sidecar, when it is there and readable (an unreadable one only costs a full request).
pub async fn sidecar(lake: &Lake, key: &LakeKey) -> Result<Option<PageSidecar>, LakeError> {
    let bytes = lake.get(key).await?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Every page of a complete org with its sidecar, in page order, checked against the
/// manifest's checksum over the pages.
pub async fn pages(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    manifest: &OrgManifest,
) -> Result<Vec<(Bytes, PageSidecar)>, BronzeError> {
    let read = checked_pages(lake, date, org, manifest.pages).await?;
    let checksums = read.iter().map(|(_, sidecar)| sidecar.sha256.as_str());
    if super::org_checksum(checksums) != manifest.sha256 {
        return Err(BronzeError::Corrupt {
            key: lake::bronze::org_manifest(date, org),
            message: "pages do not match the manifest's checksum".into(),
        });
    }
    Ok(read)
}

/// Pages 1 to `count` of `org` with their sidecars (read together: [`Lake::get_many`]), each
/// page's bytes checked against its sidecar's SHA-256. Every file is read before any is
/// checked, so an unreadable later file is reported before a missing earlier one.
async fn checked_pages(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    count: u32,
) -> Result<Vec<(Bytes, PageSidecar)>, BronzeError> {
    let keys: Vec<(LakeKey, LakeKey)> = (1..=count)
        .map(|n| {
            let sidecar = lake::bronze::page_sidecar(date, org, n);
            (sidecar, lake::bronze::page(date, org, n))
        })
        .collect();
    let wanted = keys
        .iter()
        .flat_map(|(sidecar, page)| [sidecar.clone(), page.clone()]);
    let mut read = lake.get_many(wanted.collect()).await?.into_iter();
    let mut pages = Vec::with_capacity(keys.len());
    for (sidecar_key, page_key) in keys {
        let (sidecar, body) = (read.next().flatten(), read.next().flatten());
        let sidecar = sidecar.ok_or_else(|| BronzeError::Missing {
            key: sidecar_key.clone(),
        })?;
        let sidecar: PageSidecar = parse(&sidecar_key, &sidecar)?;
        let body = body.ok_or_else(|| BronzeError::Missing {
            key: page_key.clone(),
        })?;
        if sha256_hex(&body) != sidecar.sha256 {
            return Err(BronzeError::Corrupt {
                key: page_key,
                message: "bytes do not match the sidecar's checksum".into(),
            });
        }
        pages.push((body, sidecar));
    }
    Ok(pages)
}

/// The org's stored answers of `endpoint`, if its manifest lists them, checked against the
/// manifest's checksum.
pub async fn repo_responses(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    manifest: &OrgManifest,
    endpoint: RepoEndpoint,
) -> Result<Option<RepoResponses>, BronzeError> {
    let Some(stored) = manifest.repo_responses(endpoint) else {
        return Ok(None);
    };
    let key = lake::bronze::repo_responses(endpoint, date, org);
    let bytes = lake
        .get(&key)
        .await?
        .ok_or_else(|| BronzeError::Missing { key: key.clone() })?;
    if sha256_hex(&bytes) != stored.sha256 {
        return Err(BronzeError::Corrupt {
            key,
            message: "bytes do not match the org manifest's checksum".into(),
        });
    }
    parse(&key, &bytes).map(Some)
}
