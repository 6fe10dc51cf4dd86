//! GitHub (github.com, or GitHub Enterprise Server at `[github] api`): an org's public
//! repositories from `GET /orgs/{org}/repos`, each kept one's languages, and the licence file
//! of each GitHub calls "Other".

mod answers;
pub mod api;
mod graphql;
mod licence_file;
mod records;
pub mod wire;

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use url::Url;

use super::{
    Adapter, Batch, BatchOutcome, LanguagesAnswer, LicenceAnswer, ListingItem, ListingOrg,
    OrgMetadata, RepoRecord, RepoRef,
};
use crate::config::{ApiToken, GithubConfig, OrgConfig};
use crate::domain::{OrgLogin, RepoEndpoint};

/// GitHub's [`Adapter`].
pub struct GitHub;

impl Adapter for GitHub {
    fn headers(
        &self,
        config: &GithubConfig,
        token: Option<&ApiToken>,
    ) -> Result<HeaderMap, String> {
        api::headers(config, token)
    }

    fn batch(&self) -> Option<&'static dyn Batch> {
        Some(&GitHubGraphql)
    }

    fn budget_url(&self, api: &Url) -> Option<Url> {
        Some(api::rate_limit_url(api))
    }

    fn budget(&self, body: &[u8]) -> Result<(Option<u64>, Option<u64>), String> {
        let parsed: wire::RateLimitBody =
            serde_json::from_slice(body).map_err(|e| format!("not a rate limit answer: {e}"))?;
        Ok((parsed.resources.core.remaining, parsed.resources.core.limit))
    }

    fn api_version(&self, config: &GithubConfig) -> String {
        config.api_version.clone()
    }

    fn org_url(&self, api: &Url, org: &OrgConfig) -> Url {
        api::org_url(api, &org.login)
    }

    fn org_public_fields(&self) -> &'static [&'static str] {
        &api::ORG_PUBLIC_FIELDS
    }

    fn org_metadata(&self, _org: &OrgLogin, body: &[u8]) -> Result<OrgMetadata, String> {
        let org: wire::GithubOrg = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(OrgMetadata {
            login: org.login,
            public_repos: org.public_repos,
            web_url: None,
        })
    }

    fn first_page_url(&self, api: &Url, org: &OrgConfig, per_page: u32) -> Url {
        api::first_page_url(api, &org.login, per_page)
    }

    fn listing_item(&self, json: &str) -> Result<ListingItem, String> {
        let repo: wire::RepoFacts = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(repo.listing_item())
    }

    fn holder_fields(&self) -> &'static [&'static str] {
        &wire::HOLDER_FIELDS
    }

    fn answer_url(&self, api: &Url, repo: &RepoRef, endpoint: RepoEndpoint) -> Option<Url> {
        api::repo_url(api, &repo.full_name, endpoint.name())
    }

    fn stored_answer(&self, _: RepoEndpoint, _: &str) -> Result<Option<String>, String> {
        Ok(None)
    }

    fn answers_complete_listing(&self) -> bool {
        false
    }

    fn hourly_budget_without_token(&self) -> bool {
        true
    }

    fn parse_page(
        &self,
        org: &ListingOrg,
        body: &[u8],
        rename: &BTreeMap<String, String>,
    ) -> Result<Vec<RepoRecord>, String> {
        records::parse_page(org, body, rename)
    }

    fn licence_answer<'a>(&self, body: &'a str) -> Result<LicenceAnswer<'a>, String> {
        answers::licence_answer(body)
    }

    fn languages_answer(&self, body: &str) -> Result<LanguagesAnswer, String> {
        answers::languages_answer(body)
    }

    /// The owner of its first repository names it; an org without any, its record or the
    /// configuration.
    fn org_identity(&self, org: &ListingOrg, first_repo: Option<&RepoRecord>) -> (String, String) {
        match first_repo {
            Some(r) => (r.owner_login.to_string(), r.owner_html_url.to_string()),
            None => {
                let spelling = org.forge_spelling();
                (
                    spelling.to_string(),
                    format!("https://github.com/{spelling}"),
                )
            }
        }
    }
}

/// GitHub's GraphQL API as the forge's [`Batch`].
pub struct GitHubGraphql;

impl Batch for GitHubGraphql {
    fn url(&self, api: &Url) -> Url {
        graphql::url(api)
    }

    fn max_repos(&self) -> usize {
        graphql::MAX_REPOS
    }

    fn query(&self, repos: &[&RepoRef], endpoints: &[RepoEndpoint]) -> Vec<u8> {
        graphql::query(repos, endpoints)
    }

    fn answers(
        &self,
        body: &[u8],
        repos: &[&RepoRef],
        endpoints: &[RepoEndpoint],
    ) -> Result<BatchOutcome, String> {
        graphql::answers(body, repos, endpoints)
    }
}
