//! One org's extract: its record and listing into bronze, then its per-repository answers
//! and its manifest, which completes it.

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use tracing::{info, info_span, warn, Instrument};
use tracing_indicatif::span_ext::IndicatifSpanExt;
use url::Url;

use super::batch;
use super::details::{self, DetailsPlan};
use super::listing;
use super::source::{Fetched, Source};
use super::ExtractError;
use crate::bronze::previous::{self, PreviousSnapshots};
use crate::bronze::{self, OrgManifest, PageSidecar, RepoResponses, RepoResponsesFile};
use crate::config::{OrgConfig, RunSettings};
use crate::domain::{Forge, OrgLogin, RepoEndpoint, SnapshotDate};
use crate::forge::{filter_object, OrgMetadata, RepoRef};
use crate::lake::Lake;

/// One run's work on its orgs: what every org's listing and answers are fetched with.
pub(super) struct OrgJob<'a> {
    pub(super) settings: &'a RunSettings,
    pub(super) lake: &'a Lake,
    pub(super) source: &'a Source,
    pub(super) date: SnapshotDate,
    pub(super) refetch: bool,
    pub(super) previous: PreviousSnapshots,
    /// When an earlier answer stands in for asking again.
    pub(super) reuse: details::Reuse,
    /// The UTC day the forges are asked; `None` offline.
    pub(super) observed_on: Option<chrono::NaiveDate>,
}

/// One org after its listing: complete already (`reused`), or listed by this run and still
/// without its manifest.
pub(super) struct OrgListing<'a> {
    pub(super) org: &'a OrgConfig,
    pub(super) manifest: OrgManifest,
    pub(super) reused: bool,
    /// Kept repositories by id: what the per-repository endpoints ask about.
    pub(super) kept: BTreeMap<u64, RepoRef>,
}

impl<'a> OrgJob<'a> {
    /// Lists the org's repositories into bronze, or keeps its complete listing.
    pub(super) async fn list_org(
        &self,
        org: &'a OrgConfig,
    ) -> Result<OrgListing<'a>, ExtractError> {
        let span = info_span!("org", org = %org.login);
        async {
            let login = &org.login;
            if !self.refetch {
                if let Some(manifest) = self.complete_manifest(login).await? {
                    info!(
                        pages = manifest.pages,
                        repos = manifest.unique_repos,
                        "already complete, kept"
                    );
                    return Ok(OrgListing {
                        org,
                        manifest,
                        reused: true,
                        kept: BTreeMap::new(),
                    });
                }
            }
            bronze::write::clear_org(self.lake, self.date, login).await?;
            let previous = self.previous.responses(self.lake, login).await?;
            let api = self.source.api(self.settings, org);
            let metadata = self.fetch_metadata(org, api, &previous).await?;
            let first_page = login
                .forge()
                .adapter()
                .first_page_url(api, org, self.per_page());
            let (mut manifest, kept) = self.fetch_pages(login, first_page, &previous).await?;
            if let Some(metadata) = metadata {
                check_completeness(&manifest, &metadata);
                manifest.canonical_login = Some(metadata.login);
                manifest.public_repos = metadata.public_repos;
                manifest.web_url = metadata.web_url;
            }
            Ok(OrgListing {
                org,
                manifest,
                reused: false,
                kept,
            })
        }
        .instrument(span)
        .await
    }

    fn per_page(&self) -> u32 {
        self.settings.config.github.per_page
    }

    /// Which per-repository endpoints to ask of each forge, given every org's listing.
    pub(super) fn plan_details(&self, listings: &[OrgListing]) -> BTreeMap<Forge, DetailsPlan> {
        let forges: std::collections::BTreeSet<Forge> =
            listings.iter().map(|l| l.org.login.forge()).collect();
        let plan = |forge: Forge| {
            let unauthenticated_remaining = self
                .source
                .clients()
                .filter(|_| forge.adapter().hourly_budget_without_token())
                .and_then(|clients| clients.unauthenticated_remaining(forge));
            let needed = |endpoint| {
                listings
                    .iter()
                    .filter(|l| l.org.login.forge() == forge)
                    .map(|l| details::asked(endpoint, l.kept.values()).count() as u64)
                    .sum()
            };
            details::plan(
                &self.settings.config.extract,
                forge,
                unauthenticated_remaining,
                self.settings.config.github.concurrency as u64,
                needed,
            )
        };
        forges
            .into_iter()
            .map(|forge| (forge, plan(forge)))
            .collect()
    }

    /// Asks the planned per-repository endpoints and writes the org's manifest, completing it.
    pub(super) async fn finish_org(
        &self,
        listing: OrgListing<'a>,
        plans: &BTreeMap<Forge, DetailsPlan>,
    ) -> Result<(OrgManifest, bool), ExtractError> {
        let OrgListing {
            org,
            mut manifest,
            reused,
            kept,
        } = listing;
        if reused {
            return Ok((manifest, true));
        }
        let span = info_span!("org", org = %org.login);
        let plan = &plans[&org.login.forge()];
        async {
            let batching = self.source.clients().and_then(|c| c.batching(&org.login));
            match batching {
                Some(batching) if !plan.endpoints.is_empty() => {
                    let stored = self
                        .fetch_details_batched(&batching, org, &plan.endpoints, &kept)
                        .await?;
                    for (endpoint, file) in stored {
                        manifest.set_repo_responses(endpoint, file);
                    }
                }
                _ => {
                    for &endpoint in &plan.endpoints {
                        let stored = self.fetch_details(org, endpoint, &kept).await?;
                        manifest.set_repo_responses(endpoint, stored);
                    }
                }
            }
            manifest.skipped = plan.skipped.clone();
            manifest.observed_on = self.observed_on;
            if let Some(clients) = self.source.clients() {
                manifest.requests = clients.requests_for(&org.login);
            }
            bronze::write::complete_org(self.lake, self.date, &org.login, &manifest).await?;
            info!(
                pages = manifest.pages,
                repos = manifest.unique_repos,
                "org complete"
            );
            Ok((manifest, false))
        }
        .instrument(span)
        .await
    }

    /// Asks `endpoints` about the org's kept repositories in batches and stores the answers,
    /// one file per endpoint as REST's are.
    async fn fetch_details_batched(
        &self,
        batching: &batch::Batching<'_>,
        org_config: &OrgConfig,
        endpoints: &[RepoEndpoint],
        kept: &BTreeMap<u64, RepoRef>,
    ) -> Result<Vec<(RepoEndpoint, RepoResponsesFile)>, ExtractError> {
        let org = &org_config.login;
        let at = batch::OrgContext {
            lake: self.lake,
            date: self.date,
            org,
            api: self.source.api(self.settings, org_config),
            api_version: self.api_version(org),
        };
        let earlier = (&self.previous, &self.reuse);
        let answers = batch::answers(batching, &at, earlier, endpoints, kept).await?;
        let mut stored = Vec::new();
        for (endpoint, responses) in answers {
            let written = self.store_answers(org, endpoint, responses).await?;
            stored.push((endpoint, written));
        }
        Ok(stored)
    }

    /// The org's answers of `endpoint` as one bronze file; what its manifest records.
    async fn store_answers(
        &self,
        org: &OrgLogin,
        endpoint: RepoEndpoint,
        responses: Vec<crate::bronze::RepoResponse>,
    ) -> Result<RepoResponsesFile, ExtractError> {
        let file = RepoResponses {
            org: org.to_string(),
            snapshot_date: self.date,
            endpoint,
            api_version: self.api_version(org),
            responses,
        };
        Ok(bronze::write::repo_responses(self.lake, self.date, org, &file).await?)
    }

    /// Asks `endpoint` about the org's kept repositories and stores the answers.
    async fn fetch_details(
        &self,
        org_config: &OrgConfig,
        endpoint: RepoEndpoint,
        kept: &BTreeMap<u64, RepoRef>,
    ) -> Result<RepoResponsesFile, ExtractError> {
        let org = &org_config.login;
        let api = self.source.api(self.settings, org_config);
        let asked = details::asked(endpoint, kept.values());
        let responses = self
            .source
            .repo_answers(
                self.lake,
                (&self.previous, &self.reuse),
                (api, org),
                endpoint,
                asked,
            )
            .await?;
        self.store_answers(org, endpoint, responses).await
    }

    async fn complete_manifest(&self, org: &OrgLogin) -> Result<Option<OrgManifest>, ExtractError> {
        match bronze::read::org_manifest(self.lake, self.date, org).await {
            Ok(manifest) => Ok(manifest),
            Err(bronze::read::BronzeError::Lake(e)) => Err(e.into()),
            // An unreadable manifest means the org must be fetched again, not a failed run.
            Err(_) => Ok(None),
        }
    }

    /// The org's own record (`GET /orgs/{org}`, a GitLab group's `GET /groups/:id`), its
    /// public profile stored as `org.json`; offline only when the recording has one.
    async fn fetch_metadata(
        &self,
        org_config: &OrgConfig,
        api: &Url,
        previous: &previous::PreviousResponses,
    ) -> Result<Option<OrgMetadata>, ExtractError> {
        let org = &org_config.login;
        let adapter = org.forge().adapter();
        let url = adapter.org_url(api, org_config);
        let fetched = self.source.org(self.lake, org, &url, previous).await?;
        let Some(fetched) = fetched else {
            return Ok(None);
        };
        let unexpected = |e: String| ExtractError::Unexpected {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
            message: format!("not an organisation object: {e}"),
        };
        let metadata = adapter
            .org_metadata(org, &fetched.body)
            .map_err(unexpected)?;
        // Only the org's public profile is stored: an owner's token shows billing and plan.
        let text = std::str::from_utf8(&fetched.body).unwrap_or_default();
        let public = filter_object(text, Some(adapter.org_public_fields()), &[])
            .map_err(|e| unexpected(e.to_string()))?;
        let sidecar = self.sidecar(org, &fetched, public.as_bytes(), 0, 0);
        bronze::write::org_metadata(self.lake, self.date, org, public.into(), &sidecar).await?;
        Ok(Some(metadata))
    }

    /// The org's listing, page by page into bronze; its manifest (still without the
    /// per-repository answers) and its kept repositories.
    async fn fetch_pages(
        &self,
        org: &OrgLogin,
        mut url: Url,
        previous: &previous::PreviousResponses,
    ) -> Result<(OrgManifest, BTreeMap<u64, RepoRef>), ExtractError> {
        let mut seen_urls = HashSet::new();
        let mut ids = HashSet::new();
        let mut kept = BTreeMap::new();
        let mut checksums = Vec::new();
        let mut repos = 0;
        let mut number = 0;
        loop {
            number += 1;
            seen_urls.insert(url.clone());
            let fetched = self.source.page(self.lake, org, &url, previous).await?;
            let invalid = |message: String| ExtractError::InvalidPage {
                org: org.clone(),
                page: number,
                message,
            };
            let public = listing::keep_public(&fetched.body, org.forge()).map_err(invalid)?;
            ids.extend(public.ids.iter().copied());
            kept.extend(public.kept.into_iter().map(|r| (r.id, r)));
            let sidecar = self.sidecar(
                org,
                &fetched,
                &public.body,
                public.ids.len(),
                public.dropped,
            );
            tracing::debug!(
                page = number,
                repos = sidecar.repos,
                status = sidecar.status,
                "page stored"
            );
            let progress = format!("page {number}, {} repos", repos + sidecar.repos);
            tracing::Span::current().pb_set_message(&progress);
            bronze::write::page(self.lake, self.date, org, number, public.body, &sidecar).await?;
            repos += sidecar.repos;
            checksums.push(sidecar.sha256);
            let Some(next) = fetched.link.as_deref().and_then(listing::next_link) else {
                let manifest = OrgManifest {
                    org: org.to_string(),
                    snapshot_date: self.date,
                    canonical_login: None,
                    public_repos: None,
                    web_url: None,
                    pages: number,
                    repos,
                    unique_repos: ids.len(),
                    sha256: bronze::org_checksum(checksums.iter().map(String::as_str)),
                    licences: None,
                    languages: None,
                    observed_on: None,
                    requests: BTreeMap::new(),
                    skipped: BTreeMap::new(),
                };
                return Ok((manifest, kept));
            };
            url = Url::parse(next).map_err(|e| {
                let next = crate::redact::url(next);
                invalid(format!("Link rel=\"next\" {next:?} is not a URL: {e}"))
            })?;
            if seen_urls.contains(&url) {
                let url = crate::redact::url(url.as_str());
                return Err(invalid(format!("Link rel=\"next\" loops back to {url}")));
            }
        }
    }

    /// The API version `org`'s answers follow: GitHub's dated version, or GitLab's `v4`.
    fn api_version(&self, org: &OrgLogin) -> String {
        org.forge()
            .adapter()
            .api_version(&self.settings.config.github)
    }

    /// The sidecar of `fetched`, stored as `stored` (its public repositories only).
    fn sidecar(
        &self,
        org: &OrgLogin,
        fetched: &Fetched,
        stored: &[u8],
        repos: usize,
        dropped_non_public: usize,
    ) -> PageSidecar {
        PageSidecar {
            url: crate::redact::url(fetched.url.as_str()),
            status: fetched.status,
            etag: fetched.etag.clone(),
            link: fetched.link.clone(),
            api_version: self.api_version(org),
            fetched_at: Utc::now(),
            not_modified_from: fetched.not_modified_from,
            replayed_from: fetched.replayed_from.clone(),
            rate_limit: fetched.rate_limit.clone(),
            attempts: fetched.attempts,
            repos,
            dropped_non_public,
            sha256: crate::formats::sha256_hex(stored),
        }
    }
}

/// Warns when the listing and `public_repos` disagree: a repository created or deleted
/// during paging, or a listing the forge cut short.
fn check_completeness(manifest: &OrgManifest, metadata: &OrgMetadata) {
    if let Some(expected) = metadata.public_repos {
        if expected != manifest.unique_repos as u64 {
            warn!(
                listed = manifest.unique_repos,
                public_repos = expected,
                "the listing and the org's public_repos differ"
            );
        }
    }
}
