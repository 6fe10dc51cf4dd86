//! The bronze contract between extract and transform: the records stored beside raw pages.
//!
//! Extract writes a page's bytes untouched, a [`PageSidecar`] beside it, and once every page
//! and per-repository answer of the org is stored, the org's [`SnapshotMember`] marker and
//! then its [`OrgManifest`]. Transform trusts nothing without those manifests.
//!
//! A snapshot's organisations are its members ([`snapshot_orgs`]): every org ever extracted
//! into it, by any run or shard. No run removes one, so a snapshot only grows, and
//! transform always covers all of them.

pub mod previous;
pub mod read;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::{Forge, OrgLogin, RepoEndpoint, SnapshotDate};
use crate::formats::requests::EndpointRequests;
use crate::lake::{self, Lake, LakeError};

/// What the API said about one response, stored beside it (`page-NNNN.meta.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSidecar {
    /// The URL requested (never holds a token: tokens travel in a header).
    pub url: String,
    /// 200, or 304 when the stored bytes are a copy of an earlier snapshot's.
    pub status: u16,
    pub etag: Option<String>,
    pub link: Option<String>,
    /// The API version the answer follows: GitHub's pinned `X-GitHub-Api-Version`, GitLab's `v4`.
    pub api_version: String,
    pub fetched_at: DateTime<Utc>,
    /// For a 304: the snapshot whose stored response was reused.
    #[serde(default)]
    pub not_modified_from: Option<SnapshotDate>,
    /// Where a replayed page was read from, for offline runs.
    #[serde(default)]
    pub replayed_from: Option<String>,
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Attempts the request took (1 when nothing was retried).
    #[serde(default)]
    pub attempts: u32,
    /// Repositories in the stored page.
    pub repos: usize,
    /// Non-public repositories removed before the page was stored (never named anywhere).
    #[serde(default)]
    pub dropped_non_public: usize,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
}

/// A response's rate-limit headers: GitHub's `x-ratelimit-*`, or GitLab's `ratelimit-*`
/// (its `observed` as `used`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub used: Option<u64>,
    /// UTC epoch seconds at which the window resets.
    pub reset: Option<i64>,
    pub resource: Option<String>,
}

/// Written last for an org: its pages are all stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgManifest {
    /// The login as configured for the run that fetched it.
    pub org: String,
    pub snapshot_date: SnapshotDate,
    /// The login as the forge spells it, when the org's record was asked.
    #[serde(default)]
    pub canonical_login: Option<String>,
    /// `public_repos` from `GET /orgs/{org}`, for the completeness check.
    #[serde(default)]
    pub public_repos: Option<u64>,
    /// A GitLab group's page (`web_url` of `GET /groups/:id`); GitHub's is derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    pub pages: u32,
    /// Repository objects over all pages (before de-duplication).
    pub repos: usize,
    /// Distinct repository ids over all pages.
    #[serde(default)]
    pub unique_repos: usize,
    /// SHA-256 over the pages' own SHA-256s in page order, hex.
    pub sha256: String,
    /// The org's stored licence answers (GitHub's `GET /repos/{owner}/{repo}/license`, a GitLab
    /// project's `GET /projects/:id?license=true`), when fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licences: Option<RepoResponsesFile>,
    /// The org's stored languages answers (`…/languages` on either forge), when fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<RepoResponsesFile>,
    /// The UTC day the forge was asked; `None` for a replayed recording. Later than the
    /// snapshot date when a past snapshot was reconstructed from a later observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_on: Option<NaiveDate>,
    /// Requests the run that completed the org made for it, by endpoint (`orgs`, `repos`,
    /// `license`, `languages`); empty offline.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, EndpointRequests>,
    /// Per-repository endpoints not asked for this org, with why (no token and not enough
    /// of the hour's requests left, say). Transform leaves their columns empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, String>,
}

impl OrgManifest {
    /// The org's stored answers of `endpoint`, when fetched.
    pub fn repo_responses(&self, endpoint: RepoEndpoint) -> Option<&RepoResponsesFile> {
        match endpoint {
            RepoEndpoint::License => self.licences.as_ref(),
            RepoEndpoint::Languages => self.languages.as_ref(),
        }
    }

    /// Records the org's stored answers of `endpoint`.
    pub fn set_repo_responses(&mut self, endpoint: RepoEndpoint, file: RepoResponsesFile) {
        match endpoint {
            RepoEndpoint::License => self.licences = Some(file),
            RepoEndpoint::Languages => self.languages = Some(file),
        }
    }
}

/// Where an org manifest points at one of its [`RepoResponses`] files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoResponsesFile {
    pub responses: usize,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// One org's answers of one [`RepoEndpoint`], a response per repository asked, in
/// repository id order (`bronze/<forge>/{license,languages}/snapshot_date=S/org=O/responses.json`).
///
/// `B` holds each body: owned as extract writes them, or borrowed from the file's bytes as
/// transform reads them ([`StoredJson`]), so that a file's bodies are not copied to be read once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoResponses<B = Box<RawValue>> {
    pub org: String,
    pub snapshot_date: SnapshotDate,
    pub endpoint: RepoEndpoint,
    pub api_version: String,
    pub responses: Vec<RepoResponse<B>>,
}

/// A stored body as its JSON text, however its file was parsed ([`RepoResponses`]' `B`).
pub trait StoredJson {
    fn json(&self) -> &str;
}

impl StoredJson for Box<RawValue> {
    fn json(&self) -> &str {
        self.get()
    }
}

impl StoredJson for &RawValue {
    fn json(&self) -> &str {
        self.get()
    }
}

impl StoredJson for sonic_rs::LazyValue<'_> {
    fn json(&self) -> &str {
        self.as_raw_str()
    }
}

/// One repository's answer: its body as the forge sent it, or the part its forge keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoResponse<B = Box<RawValue>> {
    pub repo_id: u64,
    pub full_name: String,
    pub url: String,
    /// 200; 304 when `body` is a copy of an earlier snapshot's; 404 when there is nothing
    /// (no licence file, or the repository went away after the listing); 403 when the forge
    /// blocks access to the repository; 451 when it blocks it for legal reasons.
    pub status: u16,
    pub etag: Option<String>,
    #[serde(default)]
    pub not_modified_from: Option<SnapshotDate>,
    #[serde(default)]
    pub replayed_from: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    /// What the listing said of the repository when this answer was asked
    /// ([`crate::forge::RepoRef::listing_facts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing_facts: Option<String>,
    /// Read from a batched answer (GitHub's GraphQL API) stored beside the org's pages
    /// (`graphql-NNNN.json`), instead of the endpoint's own request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Not asked: the answer of the snapshot of this date, reused because the listing still
    /// says the same of the repository (no request was made; `attempts` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<SnapshotDate>,
    /// The JSON body; `None` for 403, 404 and 451.
    pub body: Option<B>,
}

/// The marker that makes an org a member of its snapshot
/// (`bronze/<forge>/{repos,projects}/snapshot_date=S/_orgs/<login>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotMember {
    /// The login as given to the run that first extracted it.
    pub org: String,
}

/// A snapshot's organisations and which of them are complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotOrgs {
    /// Every member, by lower-case login.
    pub members: BTreeSet<String>,
    /// The orgs (members or not) whose manifest is stored, by lower-case login.
    pub complete: BTreeSet<String>,
    /// Listing pages stored, over every org: a snapshot's size before it is read.
    pub pages: usize,
}

impl SnapshotOrgs {
    /// Of the members and `required` (lower-case logins), those without a manifest, sorted.
    pub fn incomplete<'a>(
        &'a self,
        required: impl IntoIterator<Item = String> + 'a,
    ) -> Vec<String> {
        let wanted: BTreeSet<String> = self.members.iter().cloned().chain(required).collect();
        wanted
            .into_iter()
            .filter(|org| !self.complete.contains(org))
            .collect()
    }
}

/// The members of snapshot `date` and which orgs are complete, from one listing of its
/// bronze folder. Orgs with a manifest count as members too: lakes written before the
/// markers existed have none.
pub async fn snapshot_orgs(lake: &Lake, date: SnapshotDate) -> Result<SnapshotOrgs, LakeError> {
    let mut orgs = SnapshotOrgs::default();
    for forge in Forge::ALL {
        add_snapshot_orgs(&mut orgs, lake, lake::bronze::snapshot(forge, date)).await?;
    }
    Ok(orgs)
}

/// Every snapshot date with a folder in bronze, under either forge, oldest first.
pub async fn snapshot_dates(lake: &Lake) -> Result<Vec<SnapshotDate>, LakeError> {
    let mut dates = BTreeSet::new();
    for forge in Forge::ALL {
        let root = lake::bronze::listings_root(forge);
        let partitions = lake.partitions(&root, "snapshot_date").await?;
        dates.extend(
            partitions
                .iter()
                .filter_map(|p| p.parse::<SnapshotDate>().ok()),
        );
    }
    Ok(dates.into_iter().collect())
}

/// The org folders started in snapshot `date` (complete or not), by lake key.
pub async fn started_orgs(lake: &Lake, date: SnapshotDate) -> Result<Vec<String>, LakeError> {
    let mut started = Vec::new();
    for forge in Forge::ALL {
        let root = lake::bronze::snapshot(forge, date);
        started.extend(lake.partitions(&root, "org").await?);
    }
    Ok(started)
}

async fn add_snapshot_orgs(
    orgs: &mut SnapshotOrgs,
    lake: &Lake,
    root: lake::LakeKey,
) -> Result<(), LakeError> {
    for key in lake.list(&root).await? {
        let Some(relative) = key.strip_prefix(&root) else {
            continue;
        };
        let parts: Vec<&str> = relative.split('/').collect();
        match parts.as_slice() {
            ["_orgs", file] => {
                if let Some(login) = file.strip_suffix(".json") {
                    orgs.members.insert(login.to_string());
                }
            }
            [dir, "_manifest.json"] => {
                if let Some(login) = dir.strip_prefix("org=") {
                    orgs.complete.insert(login.to_string());
                    orgs.members.insert(login.to_string());
                }
            }
            [_, file] if is_page_file(file) => orgs.pages += 1,
            _ => {}
        }
    }
    Ok(())
}

/// `page-0001.json`, not its sidecar.
fn is_page_file(file: &str) -> bool {
    file.strip_prefix("page-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

/// The logins of `orgs` as lake keys (lower case).
pub fn keys<'a>(orgs: impl IntoIterator<Item = &'a OrgLogin>) -> Vec<String> {
    orgs.into_iter().map(OrgLogin::key).collect()
}

/// The checksum an [`OrgManifest`] records for pages with these checksums.
pub fn org_checksum<'a>(page_checksums: impl IntoIterator<Item = &'a str>) -> String {
    let joined: Vec<&str> = page_checksums.into_iter().collect();
    crate::formats::sha256_hex(joined.join("\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_files_are_told_from_sidecars_and_manifests() {
        assert!(is_page_file("page-0001.json"));
        assert!(is_page_file("page-12345.json"));
        for other in [
            "page-0001.meta.json",
            "_manifest.json",
            "page-.json",
            "page-x.json",
        ] {
            assert!(!is_page_file(other), "{other}");
        }
    }
}
