//! Writing bronze, in the order that makes an org complete or absent: its old files are
//! cleared, each response goes in with its sidecar, the per-repository answers as one file
//! each, and last the org's membership marker and then its manifest.

use bytes::Bytes;

use super::{OrgManifest, PageSidecar, RepoResponses, RepoResponsesFile, SnapshotMember};
use crate::domain::{OrgLogin, SnapshotDate};
use crate::formats::{sha256_hex, to_json_bytes};
use crate::lake::{self, Lake, LakeError};

/// Removes whatever an earlier, incomplete extraction of `org` left for `date`.
pub async fn clear_org(lake: &Lake, date: SnapshotDate, org: &OrgLogin) -> Result<(), LakeError> {
    lake.delete_prefix(&lake::bronze::org(date, org)).await
}

/// The org's stored record (`GET /orgs/{org}`, a GitLab group's `GET /groups/:id`) and its
/// sidecar.
pub async fn org_metadata(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    body: Bytes,
    sidecar: &PageSidecar,
) -> Result<(), LakeError> {
    put_with_sidecar(lake, &lake::bronze::org_metadata(date, org), body, sidecar).await
}

/// Page `number` of the org's listing and its sidecar.
pub async fn page(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    number: u32,
    body: Bytes,
    sidecar: &PageSidecar,
) -> Result<(), LakeError> {
    let keys = (
        lake::bronze::page(date, org, number),
        lake::bronze::page_sidecar(date, org, number),
    );
    put_with_sidecar(lake, &keys, body, sidecar).await
}

/// Batched answer `number` of the org's per-repository requests and its sidecar; returns the
/// answer's key, which each answer read from it names.
pub async fn batch(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    number: u32,
    body: Bytes,
    sidecar: &PageSidecar,
) -> Result<String, LakeError> {
    let keys = lake::bronze::batch(date, org, number);
    put_with_sidecar(lake, &keys, body, sidecar).await?;
    Ok(keys.0.to_string())
}

/// A response's bytes as received, then the sidecar that vouches for them.
async fn put_with_sidecar(
    lake: &Lake,
    (body_key, sidecar_key): &(lake::LakeKey, lake::LakeKey),
    body: Bytes,
    sidecar: &PageSidecar,
) -> Result<(), LakeError> {
    lake.put(body_key, body).await?;
    lake.put(sidecar_key, to_json_bytes(sidecar)).await
}

/// One org's answers of a per-repository endpoint; returns what its manifest records.
pub async fn repo_responses(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    file: &RepoResponses,
) -> Result<RepoResponsesFile, LakeError> {
    let bytes = to_json_bytes(file);
    let stored = RepoResponsesFile {
        responses: file.responses.len(),
        sha256: sha256_hex(&bytes),
    };
    let key = lake::bronze::repo_responses(file.endpoint, date, org);
    lake.put(&key, bytes).await?;
    Ok(stored)
}

/// Completes the org: its membership marker (kept if an earlier run wrote it, with the
/// spelling that run used), then its manifest.
pub async fn complete_org(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    manifest: &OrgManifest,
) -> Result<(), LakeError> {
    let member = SnapshotMember {
        org: org.to_string(),
    };
    lake.put_if_absent(&lake::bronze::member(date, org), to_json_bytes(&member))
        .await?;
    lake.put(
        &lake::bronze::org_manifest(date, org),
        to_json_bytes(manifest),
    )
    .await
}
