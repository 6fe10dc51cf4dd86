//! A run's overrides from the command line (and the flags' own `OHS_*` variables):
//! [`Config::resolve`] applies them and yields the [`RunSettings`].

use std::path::PathBuf;

use url::Url;

use super::validate::{api_host, check_unique, parse_api_url};
use super::{ApiToken, Config, ConfigError, GitlabGroup, OrgConfig, RunSettings};
use crate::domain::{OrgLogin, SnapshotDate};

/// What a run varies from the command line or `OHS_*` variables. No `Debug`: a root may
/// carry a secret (an Azure SAS signature, say).
#[derive(Clone, Default)]
pub struct Overrides {
    pub lake: Option<String>,
    pub snapshot_date: Option<String>,
    pub orgs: Option<String>,
    pub github_api: Option<String>,
    pub gitlab_api: Option<String>,
    pub offline: Option<PathBuf>,
    pub publish_target: Option<String>,
    /// `--refresh-details`: sets `[extract] refresh_details`.
    pub refresh_details: bool,
}

impl Config {
    /// Applies a run's overrides: flags win over `pipeline.toml`.
    pub fn resolve(mut self, o: Overrides) -> Result<RunSettings, ConfigError> {
        let flag = |flag, message| ConfigError::Flag { flag, message };
        let root = |name, value: String| match value.trim() {
            "" => Err(flag(
                name,
                "empty: expected a path or an object-store URL".into(),
            )),
            _ => Ok(value),
        };
        if let Some(lake) = o.lake {
            self.lake_root = root("--lake", lake)?;
        }
        self.extract.refresh_details |= o.refresh_details;
        if let Some(target) = o.publish_target {
            self.publish_target = Some(root("--publish-target", target)?);
        }
        if let Some(api) = o.github_api {
            self.github.api = parse_api_url(&api).map_err(|m| flag("--github-api", m))?;
        }
        if let Some(api) = o.gitlab_api {
            self.gitlab.api = parse_api_url(&api).map_err(|m| flag("--gitlab-api", m))?;
            // A group on the default instance is keyed by that instance's host.
            for org in &mut self.orgs {
                if let Some(group) = org.gitlab.as_ref().filter(|g| g.api.is_none()) {
                    org.login = OrgLogin::gitlab(&api_host(&self.gitlab.api), &group.path)
                        .map_err(|m| flag("--gitlab-api", m))?;
                }
            }
            check_unique(&self.orgs).map_err(|m| flag("--gitlab-api", m))?;
        }
        let orgs = match o.orgs {
            Some(list) => self.orgs_from_list(&list).map_err(|m| flag("--orgs", m))?,
            None => self.orgs.clone(),
        };
        let today = SnapshotDate::today_utc();
        let snapshot_date = match o.snapshot_date {
            None => today,
            Some(s) => {
                let date: SnapshotDate = s.parse().map_err(|m| flag("--snapshot-date", m))?;
                if date > today {
                    let m = format!("{date} is in the future (today is {today} UTC)");
                    return Err(flag("--snapshot-date", m));
                }
                date
            }
        };
        let token = ApiToken::from_env("GITHUB_TOKEN");
        let gitlab_token = ApiToken::from_env("GITLAB_TOKEN");
        self.check_token_transport(token.as_ref(), "github.api", &self.github.api)?;
        for (key, api) in self.gitlab_apis(&orgs) {
            self.check_token_transport(gitlab_token.as_ref(), &key, api)?;
        }
        Ok(RunSettings {
            config: self,
            orgs,
            snapshot_date,
            offline: o.offline,
            token,
            gitlab_token,
        })
    }

    /// The GitLab APIs the run's groups are asked at, each with the key that set it.
    fn gitlab_apis<'a>(&'a self, orgs: &'a [OrgConfig]) -> Vec<(String, &'a Url)> {
        let groups = orgs.iter().filter_map(|o| o.gitlab.as_ref());
        groups
            .map(|g| match &g.api {
                Some(api) => (format!("orgs api of {}", g.path), api),
                None => ("gitlab.api".to_string(), &self.gitlab.api),
            })
            .collect()
    }

    /// A token goes only over https, or to a loopback address (tests).
    fn check_token_transport(
        &self,
        token: Option<&ApiToken>,
        key: &str,
        api: &Url,
    ) -> Result<(), ConfigError> {
        match token {
            Some(token) if api.scheme() == "http" && !is_loopback(api) => {
                Err(ConfigError::Invalid {
                    path: self.path.clone(),
                    key: key.into(),
                    message: format!(
                        "{api} is plain http: {} is only sent over https (or to a loopback address, for tests)",
                        token.env_var
                    ),
                })
            }
            _ => Ok(()),
        }
    }

    /// `--orgs a,b,c`: keeps the display name of an org that is also configured.
    fn orgs_from_list(&self, list: &str) -> Result<Vec<OrgConfig>, String> {
        let mut orgs = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let login: OrgLogin = item.parse()?;
            let configured = self.orgs.iter().find(|o| o.login == login);
            orgs.push(match configured {
                Some(org) => org.clone(),
                None => OrgConfig {
                    name: login.to_string(),
                    gitlab: self.unconfigured_group(&login),
                    login,
                },
            });
        }
        if orgs.is_empty() {
            return Err("no organisations given".into());
        }
        check_unique(&orgs)?;
        Ok(orgs)
    }

    /// A group given by `--orgs` as `<host>/<path>` only: on `[gitlab] api` when that is its
    /// host, else at `https://<host>/api/v4`, where GitLab serves its API.
    fn unconfigured_group(&self, login: &OrgLogin) -> Option<GitlabGroup> {
        let (host, path) = login.as_str().split_once('/')?;
        let api = if host.eq_ignore_ascii_case(&api_host(&self.gitlab.api)) {
            None
        } else {
            Url::parse(&format!("https://{host}/api/v4")).ok()
        };
        Some(GitlabGroup {
            path: path.to_string(),
            api,
        })
    }
}

/// Whether `url`'s host is a loopback address (127.0.0.0/8, ::1 or localhost).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
