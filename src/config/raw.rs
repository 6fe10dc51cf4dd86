//! The raw serde structs of `pipeline.toml` (`deny_unknown_fields`) and their defaults, before
//! validation turns them into a [`Config`](super::Config).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ExtractConfig;
use crate::lease::LeaseTiming;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) orgs: Vec<RawOrg>,
    #[serde(default)]
    pub(super) github: RawGithub,
    #[serde(default)]
    pub(super) gitlab: RawGitlab,
    #[serde(default)]
    pub(super) extract: ExtractConfig,
    #[serde(default)]
    pub(super) lake: RawLake,
    #[serde(default)]
    pub(super) publish: RawPublish,
    #[serde(default = "default_languages")]
    pub(super) languages: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrg {
    pub(super) login: String,
    pub(super) name: Option<String>,
    /// `github` (the default) or `gitlab`.
    pub(super) forge: Option<String>,
    /// A GitLab group's own instance.
    pub(super) api: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawGitlab {
    pub(super) api: String,
}

impl Default for RawGitlab {
    fn default() -> Self {
        Self {
            api: "https://gitlab.com/api/v4".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawGithub {
    pub(super) api: String,
    pub(super) web: String,
    pub(super) api_version: String,
    pub(super) per_page: u32,
    pub(super) user_agent: String,
    pub(super) concurrency: usize,
    pub(super) timeout_secs: u64,
    pub(super) requests_per_second: u32,
    pub(super) max_retries: u32,
    pub(super) retry_initial_delay_ms: u64,
    pub(super) secondary_limit_wait_secs: u64,
    pub(super) max_wait_secs: u64,
    pub(super) retry_deadline_secs: u64,
    pub(super) max_response_bytes: u64,
    pub(super) graphql: bool,
}

impl Default for RawGithub {
    fn default() -> Self {
        Self {
            api: "https://api.github.com".into(),
            web: "https://github.com".into(),
            api_version: "2022-11-28".into(),
            per_page: 100,
            user_agent: "open-health-stats".into(),
            concurrency: 4,
            timeout_secs: 30,
            requests_per_second: 10,
            max_retries: 5,
            retry_initial_delay_ms: 1000,
            secondary_limit_wait_secs: 60,
            max_wait_secs: 3600,
            retry_deadline_secs: 3600,
            max_response_bytes: 50 * 1024 * 1024,
            graphql: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawLake {
    pub(super) root: String,
    pub(super) options: BTreeMap<String, String>,
    pub(super) max_retries: usize,
    pub(super) retry_timeout_secs: u64,
    pub(super) lease_ttl_secs: u64,
    pub(super) lease_wait_secs: u64,
}

impl Default for RawLake {
    fn default() -> Self {
        let lease = LeaseTiming::default();
        Self {
            root: "lake".into(),
            options: BTreeMap::new(),
            max_retries: 3,
            retry_timeout_secs: 120,
            lease_ttl_secs: lease.ttl.as_secs(),
            lease_wait_secs: lease.wait.as_secs(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawPublish {
    pub(super) target: Option<String>,
}

fn default_languages() -> BTreeMap<String, String> {
    [
        ("Jupyter Notebook", "Python"),
        ("CSS", "HTML"),
        ("SCSS", "HTML"),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_string(), to.to_string()))
    .collect()
}
