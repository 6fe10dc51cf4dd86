//! Replays recorded API pages (`DIR/<login>/page-N.json`) as the API would serve them.
//!
//! Page N answers the URL whose `page` query parameter is N (the first URL has none), with a
//! `Link: rel="next"` header while page N+1 exists, so extract pages through a recording
//! exactly as through GitHub. Directory names match logins case-insensitively, like GitHub.

use std::path::{Path, PathBuf};

use url::Url;

use super::{ExtractError, FetchedPage};
use crate::domain::OrgLogin;

pub struct ReplaySource {
    dir: PathBuf,
}

impl ReplaySource {
    pub fn new(dir: &Path) -> Result<Self, ExtractError> {
        if !dir.is_dir() {
            return Err(ExtractError::ReplayDir {
                dir: dir.to_path_buf(),
                message: "not a directory".into(),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    pub async fn fetch(&self, org: &OrgLogin, url: &Url) -> Result<FetchedPage, ExtractError> {
        let org_dir = self.org_dir(org)?;
        let number = page_number(url);
        let path = org_dir.join(format!("page-{number}.json"));
        let body = tokio::fs::read(&path)
            .await
            .map_err(|e| ExtractError::Replay {
                org: org.clone(),
                path: path.clone(),
                message: e.to_string(),
            })?;
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
        Ok(FetchedPage {
            url: url.to_string(),
            status: 200,
            etag: None,
            link,
            body: body.into(),
            replayed_from: Some(path.display().to_string()),
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
                e.file_name()
                    .to_string_lossy()
                    .eq_ignore_ascii_case(org.as_str())
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
