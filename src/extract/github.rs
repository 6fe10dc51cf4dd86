//! The GitHub REST client: request headers, the first page URL, `Link` parsing.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, ETAG, LINK};
use url::Url;

use super::{ExtractError, FetchedPage};
use crate::config::{GithubConfig, GithubToken};
use crate::domain::OrgLogin;

/// Talks to `GET /orgs/{org}/repos` and the `Link` URLs it returns.
pub struct GithubClient {
    http: reqwest::Client,
}

impl GithubClient {
    pub fn new(config: &GithubConfig, token: Option<&GithubToken>) -> Result<Self, ExtractError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        let version = HeaderValue::from_str(&config.api_version).map_err(|_| {
            ExtractError::Client(format!("invalid api_version {:?}", config.api_version))
        })?;
        headers.insert("x-github-api-version", version);
        if let Some(token) = token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    ExtractError::Client("GITHUB_TOKEN is not a valid header value".into())
                })?;
            // Keeps the token out of any debug output of the header map.
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .user_agent(format!(
                "{}/{}",
                config.user_agent,
                env!("CARGO_PKG_VERSION")
            ))
            .default_headers(headers)
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()
            .map_err(|e| ExtractError::Client(e.to_string()))?;
        Ok(Self { http })
    }

    /// Fetches one page; any status but 200 fails, naming the org and URL.
    pub async fn fetch(&self, org: &OrgLogin, url: &Url) -> Result<FetchedPage, ExtractError> {
        let http_err = |e: reqwest::Error| ExtractError::Http {
            org: org.clone(),
            url: url.to_string(),
            // reqwest's Display repeats the URL; its source says what went wrong.
            message: std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string()),
        };
        let response = self.http.get(url.clone()).send().await.map_err(http_err)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(ExtractError::Status {
                org: org.clone(),
                url: url.to_string(),
                status,
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, link) = (header(ETAG), header(LINK));
        let body = response.bytes().await.map_err(http_err)?;
        Ok(FetchedPage {
            url: url.to_string(),
            status,
            etag,
            link,
            body,
            replayed_from: None,
        })
    }
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

/// The `rel="next"` target of a `Link` header, exactly as given.
pub fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then_some(target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_follows_github_form() {
        let link = "<https://api.github.com/organizations/123/repos?type=public&per_page=100&page=2>; rel=\"next\", \
                    <https://api.github.com/organizations/123/repos?type=public&per_page=100&page=5>; rel=\"last\"";
        assert_eq!(
            next_link(link),
            Some("https://api.github.com/organizations/123/repos?type=public&per_page=100&page=2")
        );
        let last = "<https://api.github.com/organizations/123/repos?page=4>; rel=\"prev\", \
                    <https://api.github.com/organizations/123/repos?page=1>; rel=\"first\"";
        assert_eq!(next_link(last), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn first_page_url_asks_for_public_repos() {
        let org: OrgLogin = "NHSDigital".parse().unwrap();
        let api = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            first_page_url(&api, &org, 100).as_str(),
            "https://api.github.com/orgs/NHSDigital/repos?type=public&per_page=100"
        );
        let ghe = Url::parse("http://127.0.0.1:8080/api/v3/").unwrap();
        assert_eq!(
            first_page_url(&ghe, &org, 5).as_str(),
            "http://127.0.0.1:8080/api/v3/orgs/NHSDigital/repos?type=public&per_page=5"
        );
    }
}
