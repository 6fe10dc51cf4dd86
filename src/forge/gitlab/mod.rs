//! GitLab (gitlab.com, or a self-managed instance): a group's public projects, subgroups
//! included, from `GET /groups/:id/projects`, and each kept project's licence and languages,
//! which its listing does not name.

mod answers;
pub mod api;
mod records;
pub mod wire;

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use url::Url;

use super::{
    filter_object, Adapter, LanguagesAnswer, LicenceAnswer, ListingItem, ListingOrg, OrgMetadata,
    RepoRecord, RepoRef,
};
use crate::config::{ApiToken, GithubConfig, OrgConfig};
use crate::domain::{OrgLogin, RepoEndpoint};

/// GitLab's [`Adapter`].
pub struct GitLab;

impl Adapter for GitLab {
    fn headers(&self, _: &GithubConfig, token: Option<&ApiToken>) -> Result<HeaderMap, String> {
        api::headers(token)
    }

    /// GitLab reports its limits only beside each answer.
    fn budget_url(&self, _: &Url) -> Option<Url> {
        None
    }

    fn budget(&self, _: &[u8]) -> Result<(Option<u64>, Option<u64>), String> {
        Ok((None, None))
    }

    fn api_version(&self, _: &GithubConfig) -> String {
        api::API_VERSION.to_string()
    }

    fn org_url(&self, api: &Url, org: &OrgConfig) -> Url {
        api::group_url(api, group_path(org))
    }

    fn org_public_fields(&self) -> &'static [&'static str] {
        &api::GROUP_PUBLIC_FIELDS
    }

    /// The group's login is the host people see it at (with its port, if any: the API's
    /// on any usual instance) and its full path.
    fn org_metadata(&self, org: &OrgLogin, body: &[u8]) -> Result<OrgMetadata, String> {
        let group: wire::GroupMetadata = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let host = Url::parse(&group.web_url).ok().and_then(|u| {
            let host = u.host_str()?;
            Some(
                u.port()
                    .map_or(host.to_string(), |port| format!("{host}:{port}")),
            )
        });
        let host =
            host.unwrap_or_else(|| org.as_str().split('/').next().unwrap_or_default().into());
        Ok(OrgMetadata {
            login: format!("{host}/{}", group.full_path),
            public_repos: None,
            web_url: Some(group.web_url),
        })
    }

    fn first_page_url(&self, api: &Url, org: &OrgConfig, per_page: u32) -> Url {
        api::first_page_url(api, group_path(org), per_page)
    }

    fn listing_item(&self, json: &str) -> Result<ListingItem, String> {
        let project: wire::ProjectFacts = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(project.listing_item())
    }

    fn holder_fields(&self) -> &'static [&'static str] {
        &wire::HOLDER_FIELDS
    }

    fn answer_url(&self, api: &Url, repo: &RepoRef, endpoint: RepoEndpoint) -> Option<Url> {
        Some(match endpoint {
            RepoEndpoint::License => api::licence_url(api, repo.id),
            RepoEndpoint::Languages => api::languages_url(api, repo.id),
        })
    }

    /// The licence answer is the whole project: only what names its licence is kept.
    fn stored_answer(&self, endpoint: RepoEndpoint, body: &str) -> Result<Option<String>, String> {
        match endpoint {
            RepoEndpoint::License => filter_object(body, Some(&api::LICENCE_FIELDS), &[])
                .map(Some)
                .map_err(|e| format!("not a project object: {e}")),
            RepoEndpoint::Languages => Ok(None),
        }
    }

    fn answers_complete_listing(&self) -> bool {
        true
    }

    fn hourly_budget_without_token(&self) -> bool {
        false
    }

    fn parse_page(
        &self,
        org: &ListingOrg,
        body: &[u8],
        _: &BTreeMap<String, String>,
    ) -> Result<Vec<RepoRecord>, String> {
        records::parse_page(org, body)
    }

    fn licence_answer<'a>(&self, body: &'a str) -> Result<LicenceAnswer<'a>, String> {
        answers::licence_answer(body)
    }

    fn languages_answer(&self, body: &str) -> Result<LanguagesAnswer, String> {
        answers::languages_answer(body)
    }

    /// A project's owner may be a subgroup: the group names itself.
    fn org_identity(&self, org: &ListingOrg, _: Option<&RepoRecord>) -> (String, String) {
        let spelling = org.forge_spelling();
        let page = org.web_url.clone();
        (
            spelling.to_string(),
            page.unwrap_or_else(|| format!("https://{spelling}")),
        )
    }
}

/// The group's full path, as configured (its login is `<host>/<full path>`).
fn group_path(org: &OrgConfig) -> &str {
    match &org.gitlab {
        Some(group) => &group.path,
        None => org
            .login
            .as_str()
            .split_once('/')
            .map_or("", |(_, path)| path),
    }
}
