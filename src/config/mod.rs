//! Configuration: `pipeline.toml`, the command-line overrides and the environment.
//!
//! This is the only module that reads `pipeline.toml` or environment variables (clap reads
//! the `OHS_*` variables of the flags it defines). Raw serde structs (`deny_unknown_fields`)
//! become a validated [`Config`], then [`Config::resolve`] applies the run's overrides and
//! yields the [`RunSettings`] every stage receives.
//!
//! One job per file: this file holds the public types and [`Config::load`]; `raw.rs` the
//! serde structs of `pipeline.toml` and their defaults; `env.rs` the `OHS_<SECTION>_<KEY>`
//! overrides; `validate.rs` the checks that turn raw TOML into a [`Config`]; `overrides.rs`
//! the run's overrides ([`Config::resolve`]); `shard.rs` `--shard`.

mod env;
mod overrides;
mod raw;
mod shard;
mod validate;

#[cfg(test)]
mod tests;

pub use env::ENV_SECTIONS;
pub use overrides::Overrides;
pub use shard::Shard;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::LakeOptions;
use crate::lease::LeaseTiming;

/// Why the configuration or a flag was rejected. Messages name the file and key, or the flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{flag}: {message}")]
    Flag { flag: &'static str, message: String },
}

impl crate::exit::HasExitCode for ConfigError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        crate::exit::ExitCode::Usage
    }
}

/// One organisation to measure: a GitHub org, or a GitLab group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgConfig {
    /// For a GitLab group `<host>/<full path>`, the host being its instance's.
    pub login: OrgLogin,
    /// Display name on the site ("NHS Digital").
    pub name: String,
    /// For a GitLab group: its path and its own instance, if not `[gitlab] api`.
    pub gitlab: Option<GitlabGroup>,
}

/// A GitLab group as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitlabGroup {
    /// Its full path (`nhsbsa`, `some-trust/analytics`).
    pub path: String,
    /// A self-managed instance's API; `None`: `[gitlab] api`.
    pub api: Option<Url>,
}

/// `[gitlab]`: the default GitLab instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitlabConfig {
    pub api: Url,
}

/// `[github]`: GitHub's API, and the client discipline (paging, concurrency, pacing,
/// retries, waits) every forge's requests share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub api: Url,
    /// GitHub's web origin: GitHub URLs become links only as `https://` URLs there (a GitLab
    /// group's, on its own instance).
    pub web: Url,
    /// Pinned `X-GitHub-Api-Version`, recorded in every GitHub page sidecar.
    pub api_version: String,
    pub per_page: u32,
    /// The product name sent as `User-Agent`, followed by `/<ohs version>`.
    pub user_agent: String,
    /// Organisations fetched at once.
    pub concurrency: usize,
    /// Per request.
    pub timeout_secs: u64,
    /// Pacing: at most this many requests per second.
    pub requests_per_second: u32,
    /// Retries of one request after its first attempt.
    pub max_retries: u32,
    /// The first backoff delay; it doubles (with jitter) on each retry.
    pub retry_initial_delay_ms: u64,
    /// The wait after a secondary rate limit without `retry-after`; doubles each time.
    pub secondary_limit_wait_secs: u64,
    /// A longer wait fails the run at once, saying when to retry.
    pub max_wait_secs: u64,
    /// The total time one request may spend retrying.
    pub retry_deadline_secs: u64,
    /// A larger response (or recorded page) is refused as invalid.
    pub max_response_bytes: u64,
    /// With a token, ask the per-repository answers through the GraphQL API, up to 100
    /// repositories a query (`{api}/graphql`); without one, or when off, REST asks each.
    pub graphql: bool,
}

/// The validated `pipeline.toml`. Its `Debug` redacts the roots (an Azure SAS URL, say).
#[derive(Clone)]
pub struct Config {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, recorded in publish manifests.
    pub sha256: String,
    pub orgs: Vec<OrgConfig>,
    pub github: GithubConfig,
    pub gitlab: GitlabConfig,
    pub extract: ExtractConfig,
    pub lake_root: String,
    /// Object-store options and retries, for the lake and the publish target.
    pub lake_options: LakeOptions,
    /// How long a run's leases last unrenewed, and how long to wait for a held one.
    pub lease: LeaseTiming,
    /// Where publish writes; `None` publishes into the lake itself.
    pub publish_target: Option<String>,
    /// Exact-match language renames (`"Jupyter Notebook" = "Python"`).
    pub languages: BTreeMap<String, String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |root: &str| crate::redact::url(root);
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("orgs", &self.orgs.len())
            .field("github", &self.github)
            .field("extract", &self.extract)
            .field("lake_root", &redacted(&self.lake_root))
            .field("lake_options", &self.lake_options)
            .field("lease", &self.lease)
            .field(
                "publish_target",
                &self.publish_target.as_deref().map(redacted),
            )
            .finish_non_exhaustive()
    }
}

/// An API token (`GITHUB_TOKEN`, `GITLAB_TOKEN`). Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct ApiToken {
    secret: String,
    /// The environment variable it came from, for messages.
    pub env_var: &'static str,
}

impl ApiToken {
    /// The secret itself, for the request's authentication header only.
    pub fn expose(&self) -> &str {
        &self.secret
    }

    /// `env_var`'s value, when set and not blank.
    pub(super) fn from_env(env_var: &'static str) -> Option<Self> {
        let secret = std::env::var(env_var).ok()?.trim().to_string();
        (!secret.is_empty()).then_some(Self { secret, env_var })
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiToken({}: <redacted>)", self.env_var)
    }
}

/// `[extract]`: the per-repository requests made after each org's listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    /// GitHub's `GET /repos/{owner}/{repo}/license` for each kept repository it calls "Other"
    /// (`NOASSERTION`), so transform can identify the licence from its text. (GitLab's
    /// licences are always asked: its listing names none.)
    pub licence_texts: bool,
    /// Each kept repository's languages: bytes per language on GitHub, per cent on GitLab.
    pub languages_by_bytes: bool,
    /// An answer is reused from an earlier snapshot, without a request, while the listing
    /// shows nothing that could change it ([`crate::forge::RepoRef::listing_facts`]) and it
    /// was asked at most this many days before; older ones are asked again.
    pub details_max_age_days: u32,
    /// Ask every answer again, reusing none (`--refresh-details`).
    pub refresh_details: bool,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self {
            licence_texts: true,
            languages_by_bytes: true,
            details_max_age_days: 30,
            refresh_details: false,
        }
    }
}

/// Everything one run needs: the configuration with overrides applied.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// As configured: `config.orgs` is every configured org, whatever `--orgs` says.
    pub config: Config,
    /// The run's orgs: `--orgs` when given, else the configured ones. Extract fetches these;
    /// transform requires them complete and covers every org of the snapshot besides.
    pub orgs: Vec<OrgConfig>,
    pub snapshot_date: SnapshotDate,
    /// Read recorded pages from this directory instead of the API.
    pub offline: Option<PathBuf>,
    /// `GITHUB_TOKEN`.
    pub token: Option<ApiToken>,
    /// `GITLAB_TOKEN`, sent to every configured GitLab instance.
    pub gitlab_token: Option<ApiToken>,
}

impl Config {
    /// Reads and validates `path`, with any `OHS_<SECTION>_<KEY>` overrides from the
    /// environment ([`ENV_SECTIONS`]): file < environment < flags.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_with_env(path, &text, std::env::vars())
    }

    /// Validates the text of a config file; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        Self::parse_with_env(path, text, std::iter::empty())
    }
}

impl RunSettings {
    /// The org as configured in `pipeline.toml`, matched case-insensitively.
    pub fn configured(&self, login: &OrgLogin) -> Option<&OrgConfig> {
        self.config.orgs.iter().find(|o| &o.login == login)
    }

    /// The API a GitLab group is asked at: its own, else `[gitlab] api`; `None` for GitHub.
    pub fn gitlab_api<'a>(&'a self, org: &'a OrgConfig) -> Option<&'a Url> {
        let group = org.gitlab.as_ref()?;
        Some(group.api.as_ref().unwrap_or(&self.config.gitlab.api))
    }

    /// The display name configured for `login`, or the login itself.
    pub fn display_name(&self, login: &OrgLogin) -> String {
        self.configured(login)
            .map_or_else(|| login.to_string(), |o| o.name.clone())
    }
}
