//! Replays recorded API responses (`DIR/<login>/page-N.json`, optionally `DIR/<login>/org.json`,
//! `DIR/<login>/license/<repo>.json` and `DIR/<login>/languages/<repo>.json`) as the API would
//! serve them. A repository without a recording of a per-repository endpoint is left out of
//! that endpoint's answers.
//!
//! Page N answers the URL whose `page` query parameter is N (the first URL has none), with a
//! `Link: rel="next"` header while page N+1 exists, so extract pages through a recording
//! exactly as through the API. Directory names match logins case-insensitively, like GitHub;
//! a GitLab group's directory is its lake key (`gitlab.com+nhsbsa`), `org.json` its
//! `GET /groups/:id` and `license/<project>.json` its `GET /projects/:id?license=true`.

use std::path::{Path, PathBuf};

use url::Url;

use super::details::{answer, stored_answer};
use super::ExtractError;
use crate::bronze::RepoResponse;
use crate::domain::{OrgLogin, RepoEndpoint};
use crate::forge::RepoRef;

/// One recorded response.
pub struct Recorded {
    pub body: Vec<u8>,
    pub link: Option<String>,
    pub path: PathBuf,
}

pub struct ReplaySource {
    dir: PathBuf,
    max_bytes: u64,
}

impl ReplaySource {
    pub fn new(dir: &Path, max_bytes: u64) -> Result<Self, ExtractError> {
        if !dir.is_dir() {
            return Err(ExtractError::ReplayDir {
                dir: dir.to_path_buf(),
                message: "not a directory".into(),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            max_bytes,
        })
    }

    /// The recorded page that answers `url`.
    pub async fn page(&self, org: &OrgLogin, url: &Url) -> Result<Recorded, ExtractError> {
        let org_dir = self.org_dir(org)?;
        let number = page_number(url);
        let path = org_dir.join(format!("page-{number}.json"));
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        if size > self.max_bytes {
            return Err(ExtractError::TooLarge {
                org: org.clone(),
                url: crate::redact::url(url.as_str()),
                bytes: size,
                limit: self.max_bytes,
            });
        }
        let body = self.read(org, &path).await?;
        let next = org_dir.join(format!("page-{}.json", number + 1));
        let link = next.is_file().then(|| {
            let mut next_url = url.clone();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next_url
                .query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", &(number + 1).to_string());
            format!("<{next_url}>; rel=\"next\"")
        });
        Ok(Recorded { body, link, path })
    }

    /// The recorded `GET /orgs/{org}`, if the recording has one.
    pub async fn org(&self, org: &OrgLogin) -> Result<Option<Recorded>, ExtractError> {
        let path = self.org_dir(org)?.join("org.json");
        if !path.is_file() {
            return Ok(None);
        }
        let body = self.read(org, &path).await?;
        Ok(Some(Recorded {
            body,
            link: None,
            path,
        }))
    }

    /// The recorded answer of `endpoint` for `repo`, if the recording has one.
    pub async fn repo(
        &self,
        org: &OrgLogin,
        endpoint: RepoEndpoint,
        repo: &RepoRef,
        url: &Url,
    ) -> Result<Option<RepoResponse>, ExtractError> {
        let name = repo.full_name.rsplit('/').next().unwrap_or_default();
        let path = self
            .org_dir(org)?
            .join(endpoint.name())
            .join(format!("{name}.json"));
        if name.is_empty() || !path.is_file() {
            return Ok(None);
        }
        let body = self.read(org, &path).await?;
        let body = stored_answer(&body, org, endpoint, url)?;
        Ok(Some(RepoResponse {
            replayed_from: Some(path.display().to_string()),
            body: Some(body),
            ..answer(repo, url)
        }))
    }

    async fn read(&self, org: &OrgLogin, path: &Path) -> Result<Vec<u8>, ExtractError> {
        tokio::fs::read(path)
            .await
            .map_err(|e| ExtractError::Replay {
                org: org.clone(),
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    }

    fn org_dir(&self, org: &OrgLogin) -> Result<PathBuf, ExtractError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| ExtractError::ReplayDir {
            dir: self.dir.clone(),
            message: e.to_string(),
        })?;
        entries
            .filter_map(Result::ok)
            .find(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.eq_ignore_ascii_case(org.as_str()) || name.eq_ignore_ascii_case(&org.key())
            })
            .map(|e| e.path())
            .ok_or_else(|| ExtractError::ReplayMissing {
                org: org.clone(),
                dir: self.dir.clone(),
            })
    }
}

fn page_number(url: &Url) -> u32 {
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}
