//! GitHub's REST API: the headers every request carries, where an org's record and its
//! listing are, the per-repository endpoints, and what of an org's record is stored.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use url::Url;

use crate::config::{ApiToken, GithubConfig};
use crate::domain::OrgLogin;
use crate::forge::secret_header;

/// GitHub's JSON media type, the dated API version of `[github] api_version`, and the token
/// as a bearer token.
pub fn headers(config: &GithubConfig, token: Option<&ApiToken>) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    let version = HeaderValue::from_str(&config.api_version).map_err(|_| {
        format!(
            "github.api_version {:?} is not a valid header value",
            config.api_version
        )
    })?;
    headers.insert("x-github-api-version", version);
    if let Some(token) = token {
        let value = secret_header(token, &format!("Bearer {}", token.expose()))?;
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

/// `{api}/orgs/{login}/repos?type=public&per_page=N`: public repositories only, so a token
/// of an org member never pulls private or internal ones into the public lake.
pub fn first_page_url(api: &Url, org: &OrgLogin, per_page: u32) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["orgs", org.as_str(), "repos"]);
    }
    url.query_pairs_mut()
        .clear()
        .append_pair("type", "public")
        .append_pair("per_page", &per_page.to_string());
    url
}

/// `{api}/repos/{owner}/{repo}/{endpoint}` for a repository's `full_name` ("owner/repo").
pub fn repo_url(api: &Url, full_name: &str, endpoint: &str) -> Option<Url> {
    let (owner, repo) = full_name.split_once('/')?;
    let valid = |part: &str| !part.is_empty() && !part.contains('/');
    if !valid(owner) || !valid(repo) {
        return None;
    }
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["repos", owner, repo, endpoint]);
    }
    url.set_query(None);
    Some(url)
}

/// `{api}/orgs/{login}`: the org's canonical login and its count of public repositories.
pub fn org_url(api: &Url, org: &OrgLogin) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(["orgs", org.as_str()]);
    }
    url.set_query(None);
    url
}

/// The fields of `GET /orgs/{org}` that are stored in `org.json`: the organisation's public
/// profile. Everything else (`billing_email`, `plan`, private repository counts, member
/// settings, which an owner's token shows) is dropped before storing.
pub const ORG_PUBLIC_FIELDS: [&str; 27] = [
    "login",
    "id",
    "node_id",
    "url",
    "repos_url",
    "events_url",
    "hooks_url",
    "issues_url",
    "members_url",
    "public_members_url",
    "avatar_url",
    "description",
    "name",
    "company",
    "blog",
    "location",
    "email",
    "twitter_username",
    "is_verified",
    "has_organization_projects",
    "has_repository_projects",
    "public_repos",
    "public_gists",
    "followers",
    "following",
    "html_url",
    "created_at",
];

/// `{api}/rate_limit`: the budgets left (free: it counts against no limit).
pub fn rate_limit_url(api: &Url) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push("rate_limit");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_under_the_api_base() {
        let org: OrgLogin = "NHSDigital".parse().unwrap();
        let api = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            first_page_url(&api, &org, 100).as_str(),
            "https://api.github.com/orgs/NHSDigital/repos?type=public&per_page=100"
        );
        assert_eq!(
            org_url(&api, &org).as_str(),
            "https://api.github.com/orgs/NHSDigital"
        );
        let ghe = Url::parse("http://127.0.0.1:8080/api/v3/").unwrap();
        assert_eq!(
            first_page_url(&ghe, &org, 5).as_str(),
            "http://127.0.0.1:8080/api/v3/orgs/NHSDigital/repos?type=public&per_page=5"
        );
    }
}
