//! Reading bronze back, each file checked against the checksum that vouches for it: a page
//! against its sidecar, an org's pages against its manifest, a per-repository answers file
//! against the manifest. Extract (to resume and to reuse answers) and transform read bronze
//! only through here. Transform takes files [`Unchecked`], to check each on the core that
//! parses it.

use bytes::Bytes;
use serde::de::{Deserialize, DeserializeOwned};

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

/// `bytes` at `key` as JSON of `T` (which may borrow from them).
pub fn parse<'a, T: Deserialize<'a>>(key: &LakeKey, bytes: &'a [u8]) -> Result<T, BronzeError> {
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

/// Every page sidecar of a complete org, in page order, checked against the manifest's
/// checksum over them. Each page's bytes are then checked against its sidecar when read
/// ([`unchecked_pages`], [`Unchecked::check`]).
pub async fn page_sidecars(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    manifest: &OrgManifest,
) -> Result<Vec<PageSidecar>, BronzeError> {
    let keys: Vec<LakeKey> = (1..=manifest.pages)
        .map(|n| lake::bronze::page_sidecar(date, org, n))
        .collect();
    let read = lake.get_many(keys.clone()).await?;
    let sidecars = keys
        .into_iter()
        .zip(read)
        .map(|(key, bytes)| match bytes {
            Some(bytes) => parse::<PageSidecar>(&key, &bytes),
            None => Err(BronzeError::Missing { key }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let checksums = sidecars.iter().map(|sidecar| sidecar.sha256.as_str());
    if super::org_checksum(checksums) != manifest.sha256 {
        return Err(BronzeError::Corrupt {
            key: lake::bronze::org_manifest(date, org),
            message: "pages do not match the manifest's checksum".into(),
        });
    }
    Ok(sidecars)
}

/// A file read from bronze whose bytes are not yet checked against the checksum that vouches
/// for them. Reading is I/O and checking is CPU work: transform reads on the async runtime and
/// checks on the thread that parses, so checking runs on every core.
pub struct Unchecked {
    pub key: LakeKey,
    bytes: Bytes,
    sha256: String,
    /// What vouches for the bytes, named in the error.
    vouched_by: &'static str,
}

impl Unchecked {
    /// The bytes, once they match their checksum.
    pub fn check(self) -> Result<Bytes, BronzeError> {
        if sha256_hex(&self.bytes) != self.sha256 {
            return Err(BronzeError::Corrupt {
                key: self.key,
                message: format!("bytes do not match the {}'s checksum", self.vouched_by),
            });
        }
        Ok(self.bytes)
    }

    /// The bytes as JSON of `T`, once they match their checksum.
    pub fn check_and_parse<T: DeserializeOwned>(self) -> Result<T, BronzeError> {
        let key = self.key.clone();
        parse(&key, &self.check()?)
    }
}

/// Pages `numbers` of `org` (1-based), each with the checksum its sidecar (`sidecars`, from
/// [`page_sidecars`]) vouches for, read together ([`Lake::get_many`]) and not yet checked.
pub async fn unchecked_pages(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    sidecars: &[PageSidecar],
    numbers: std::ops::RangeInclusive<u32>,
) -> Result<Vec<Unchecked>, BronzeError> {
    let keys: Vec<LakeKey> = numbers
        .clone()
        .map(|n| lake::bronze::page(date, org, n))
        .collect();
    let read = lake.get_many(keys.clone()).await?;
    keys.into_iter()
        .zip(read)
        .zip(numbers)
        .map(|((key, bytes), number)| {
            let bytes = bytes.ok_or_else(|| BronzeError::Missing { key: key.clone() })?;
            let sidecar = &sidecars[number as usize - 1];
            Ok(Unchecked {
                key,
                bytes,
                sha256: sidecar.sha256.clone(),
                vouched_by: "sidecar",
            })
        })
        .collect()
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
    let file = unchecked_repo_responses(lake, date, org, manifest, endpoint).await?;
    file.map(Unchecked::check_and_parse).transpose()
}

/// The org's stored answers of `endpoint`, if its manifest lists them, read but not yet
/// checked ([`Unchecked::check_and_parse`] gives the [`RepoResponses`]).
pub async fn unchecked_repo_responses(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    manifest: &OrgManifest,
    endpoint: RepoEndpoint,
) -> Result<Option<Unchecked>, BronzeError> {
    let Some(stored) = manifest.repo_responses(endpoint) else {
        return Ok(None);
    };
    let key = lake::bronze::repo_responses(endpoint, date, org);
    let bytes = lake
        .get(&key)
        .await?
        .ok_or_else(|| BronzeError::Missing { key: key.clone() })?;
    Ok(Some(Unchecked {
        key,
        bytes,
        sha256: stored.sha256.clone(),
        vouched_by: "org manifest",
    }))
}
