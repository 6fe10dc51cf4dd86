//! Configuration: `pipeline.toml`, the command-line overrides and the environment.
//!
//! This is the only module that reads `pipeline.toml` or environment variables (clap reads
//! the `OHS_*` variables of the flags it defines). Raw serde structs (`deny_unknown_fields`)
//! become a validated [`Config`], then [`Config::resolve`] applies the run's overrides and
//! yields the [`RunSettings`] every stage receives.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::domain::{Forge, OrgLogin, SnapshotDate};
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

/// How extract talks to the GitHub REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub api: Url,
    /// GitHub's web origin: the page links only to `https://` URLs there.
    pub web: Url,
    /// Pinned `X-GitHub-Api-Version`, recorded in every page sidecar.
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
    fn from_env(env_var: &'static str) -> Option<Self> {
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
    /// `GET /repos/{owner}/{repo}/license` for each public repository GitHub calls "Other"
    /// (`NOASSERTION`), so transform can identify the licence from its text.
    pub licence_texts: bool,
    /// `GET /repos/{owner}/{repo}/languages` for each public repository: bytes per language.
    pub languages_by_bytes: bool,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self {
            licence_texts: true,
            languages_by_bytes: true,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    orgs: Vec<RawOrg>,
    #[serde(default)]
    github: RawGithub,
    #[serde(default)]
    gitlab: RawGitlab,
    #[serde(default)]
    extract: ExtractConfig,
    #[serde(default)]
    lake: RawLake,
    #[serde(default)]
    publish: RawPublish,
    #[serde(default = "default_languages")]
    languages: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    login: String,
    name: Option<String>,
    /// `github` (the default) or `gitlab`.
    forge: Option<String>,
    /// A GitLab group's own instance.
    api: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawGitlab {
    api: String,
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
struct RawGithub {
    api: String,
    web: String,
    api_version: String,
    per_page: u32,
    user_agent: String,
    concurrency: usize,
    timeout_secs: u64,
    requests_per_second: u32,
    max_retries: u32,
    retry_initial_delay_ms: u64,
    secondary_limit_wait_secs: u64,
    max_wait_secs: u64,
    retry_deadline_secs: u64,
    max_response_bytes: u64,
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
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLake {
    root: String,
    options: BTreeMap<String, String>,
    max_retries: usize,
    retry_timeout_secs: u64,
    lease_ttl_secs: u64,
    lease_wait_secs: u64,
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
struct RawPublish {
    target: Option<String>,
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

/// The sections whose keys the environment can set, by one rule: `OHS_<SECTION>_<KEY>` (upper
/// case) sets `[section] key`, and `OHS_LAKE_OPTIONS_<NAME>` sets `[lake.options] name`. Other
/// `OHS_` variables (`OHS_LAKE`, `OHS_ORGS`, …) are the flags' own.
pub const ENV_SECTIONS: [&str; 5] = ["lake", "publish", "extract", "github", "gitlab"];

/// The `pipeline.toml` overrides among `vars`: (variable, section path, key, value), sorted.
fn env_overrides(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, Vec<&'static str>, String, String)> {
    let mut found = Vec::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("OHS_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        if let Some(option) = lower.strip_prefix("lake_options_") {
            found.push((
                name.clone(),
                vec!["lake", "options"],
                option.to_string(),
                value,
            ));
            continue;
        }
        let section = ENV_SECTIONS
            .iter()
            .find_map(|s| Some((*s, lower.strip_prefix(s)?.strip_prefix('_')?)));
        if let Some((section, key)) = section.filter(|(_, key)| !key.is_empty()) {
            found.push((name.clone(), vec![section], key.to_string(), value));
        }
    }
    found.sort();
    found
}

/// A variable's value as TOML reads it (`3`, `true`, `"x"`), else as a string.
fn env_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
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

    /// Validates the text of a config file with the overrides among `vars` applied. The
    /// recorded SHA-256 covers the overrides too: the same file and variables, the same hash.
    pub fn parse_with_env(
        path: &Path,
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let parse_error = |message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let overrides = env_overrides(vars);
        let raw: RawConfig = if overrides.is_empty() {
            toml::from_str(text).map_err(|e| parse_error(one_line_toml_error(text, &e)))?
        } else {
            let mut table: toml::Table =
                toml::from_str(text).map_err(|e| parse_error(one_line_toml_error(text, &e)))?;
            for (_, sections, key, value) in &overrides {
                let mut at = &mut table;
                for section in sections {
                    let entry = at
                        .entry(section.to_string())
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    let toml::Value::Table(inner) = entry else {
                        return Err(parse_error(format!("{section} is not a table")));
                    };
                    at = inner;
                }
                // Store options are strings, whatever they look like.
                let value = match sections.as_slice() {
                    ["lake", "options"] => toml::Value::String(value.clone()),
                    _ => env_value(value),
                };
                at.insert(key.clone(), value);
            }
            let names: Vec<&str> = overrides.iter().map(|o| o.0.as_str()).collect();
            RawConfig::deserialize(toml::Value::Table(table)).map_err(|e| {
                let message = e.message().trim().replace('\n', " ");
                parse_error(format!(
                    "{message} (with {} from the environment)",
                    names.join(", ")
                ))
            })?
        };
        let mut hashed = text.to_string();
        for (name, _, _, value) in &overrides {
            hashed.push_str(&format!("\n# {name}={value}"));
        }
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        if raw.orgs.is_empty() {
            return Err(invalid("orgs", "no organisations configured".into()));
        }
        let gitlab = GitlabConfig {
            api: parse_api_url(&raw.gitlab.api).map_err(|m| invalid("gitlab.api", m))?,
        };
        let mut orgs = Vec::with_capacity(raw.orgs.len());
        for (i, org) in raw.orgs.into_iter().enumerate() {
            orgs.push(org_config(i, org, &gitlab).map_err(|(key, m)| invalid(&key, m))?);
        }
        check_unique(&orgs).map_err(|m| invalid("orgs", m))?;
        if !(3..=86_400).contains(&raw.lake.lease_ttl_secs) {
            let m = format!(
                "{} is out of range: 3 to 86400 seconds",
                raw.lake.lease_ttl_secs
            );
            return Err(invalid("lake.lease_ttl_secs", m));
        }
        if raw.lake.lease_wait_secs > 86_400 {
            let m = format!(
                "{} is out of range: 0 to 86400 seconds",
                raw.lake.lease_wait_secs
            );
            return Err(invalid("lake.lease_wait_secs", m));
        }
        Ok(Self {
            path: path.to_path_buf(),
            sha256: crate::formats::sha256_hex(hashed.as_bytes()),
            orgs,
            github: validate_github(raw.github, &invalid)?,
            gitlab,
            extract: raw.extract,
            lake_root: non_empty(raw.lake.root, "lake.root", &invalid)?,
            lake_options: LakeOptions {
                options: raw.lake.options,
                max_retries: raw.lake.max_retries,
                retry_timeout: Duration::from_secs(raw.lake.retry_timeout_secs),
            },
            lease: LeaseTiming {
                ttl: Duration::from_secs(raw.lake.lease_ttl_secs),
                wait: Duration::from_secs(raw.lake.lease_wait_secs),
            },
            publish_target: match raw.publish.target {
                Some(target) => Some(non_empty(target, "publish.target", &invalid)?),
                None => None,
            },
            languages: raw.languages,
        })
    }

    /// Applies a run's overrides: flags win over `pipeline.toml`.
    pub fn resolve(mut self, o: Overrides) -> Result<RunSettings, ConfigError> {
        let flag = |flag, message| ConfigError::Flag { flag, message };
        if let Some(lake) = o.lake {
            self.lake_root = lake;
        }
        if let Some(target) = o.publish_target {
            self.publish_target = Some(target);
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

/// `--shard I/N`: the I-th of N stable shares of the run's orgs (1-based). An org's shard
/// depends only on its login, so N parallel tasks extract disjoint sets whatever the order
/// of the list, and together every org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether `login` falls in this shard: SHA-256 of the lower-case login, its first
    /// eight bytes as a big-endian number, modulo N.
    pub fn selects(&self, login: &OrgLogin) -> bool {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(login.key().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid shard {s:?}: expected I/N with 1 <= I <= N, e.g. 2/3");
        let (index, count) = s.split_once('/').ok_or_else(invalid)?;
        let index: u32 = index.trim().parse().map_err(|_| invalid())?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || count == 0 || index > count {
            return Err(invalid());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Config {
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

/// `[[orgs]]` entry `index`: a GitHub login, or (`forge = "gitlab"`) a group path on its
/// instance, `<host>/<path>`. The error names the entry's key.
fn org_config(
    index: usize,
    org: RawOrg,
    gitlab: &GitlabConfig,
) -> Result<OrgConfig, (String, String)> {
    let at = |field: &str| format!("orgs[{index}].{field}");
    let forge = match org.forge.as_deref() {
        None => Forge::Github,
        Some(forge) => forge.parse().map_err(|m| (at("forge"), m))?,
    };
    let (login, group) = match forge {
        Forge::Github => {
            if org.api.is_some() {
                let m = "only a GitLab group (forge = \"gitlab\") sets its own api".to_string();
                return Err((at("api"), m));
            }
            let login = OrgLogin::github(&org.login).map_err(|m| (at("login"), m))?;
            (login, None)
        }
        Forge::Gitlab => {
            let api = match &org.api {
                Some(api) => Some(parse_api_url(api).map_err(|m| (at("api"), m))?),
                None => None,
            };
            let host = api_host(api.as_ref().unwrap_or(&gitlab.api));
            let login = OrgLogin::gitlab(&host, &org.login).map_err(|m| (at("login"), m))?;
            let path = org.login;
            (login, Some(GitlabGroup { path, api }))
        }
    };
    Ok(OrgConfig {
        name: org.name.unwrap_or_else(|| login.to_string()),
        login,
        gitlab: group,
    })
}

/// `gitlab.com`, or `host:port` when the API URL names a port.
fn api_host(api: &Url) -> String {
    let host = api.host_str().unwrap_or_default();
    match api.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn check_unique(orgs: &[OrgConfig]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for org in orgs {
        if !seen.insert(org.login.key()) {
            return Err(format!(
                "duplicate login {:?} (logins are case-insensitive)",
                org.login.as_str()
            ));
        }
    }
    Ok(())
}

fn validate_github(
    raw: RawGithub,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<GithubConfig, ConfigError> {
    let ranges: [(&str, u64, std::ops::RangeInclusive<u64>); 10] = [
        ("github.per_page", u64::from(raw.per_page), 1..=100),
        ("github.concurrency", raw.concurrency as u64, 1..=64),
        ("github.timeout_secs", raw.timeout_secs, 1..=3_600),
        (
            "github.requests_per_second",
            u64::from(raw.requests_per_second),
            1..=10_000,
        ),
        ("github.max_retries", u64::from(raw.max_retries), 0..=100),
        (
            "github.retry_initial_delay_ms",
            raw.retry_initial_delay_ms,
            0..=600_000,
        ),
        (
            "github.secondary_limit_wait_secs",
            raw.secondary_limit_wait_secs,
            1..=3_600,
        ),
        ("github.max_wait_secs", raw.max_wait_secs, 0..=86_400),
        (
            "github.retry_deadline_secs",
            raw.retry_deadline_secs,
            1..=86_400,
        ),
        (
            "github.max_response_bytes",
            raw.max_response_bytes,
            1..=1 << 30,
        ),
    ];
    for (key, value, range) in ranges {
        check_range(key, value, range, invalid)?;
    }
    Ok(GithubConfig {
        api: parse_api_url(&raw.api).map_err(|m| invalid("github.api", m))?,
        web: parse_api_url(&raw.web).map_err(|m| invalid("github.web", m))?,
        api_version: non_empty(raw.api_version, "github.api_version", invalid)?,
        per_page: raw.per_page,
        user_agent: non_empty(raw.user_agent, "github.user_agent", invalid)?,
        concurrency: raw.concurrency,
        timeout_secs: raw.timeout_secs,
        requests_per_second: raw.requests_per_second,
        max_retries: raw.max_retries,
        retry_initial_delay_ms: raw.retry_initial_delay_ms,
        secondary_limit_wait_secs: raw.secondary_limit_wait_secs,
        max_wait_secs: raw.max_wait_secs,
        retry_deadline_secs: raw.retry_deadline_secs,
        max_response_bytes: raw.max_response_bytes,
    })
}

/// A number outside its documented range is a configuration error naming the range.
fn check_range(
    key: &str,
    value: u64,
    range: std::ops::RangeInclusive<u64>,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        return Ok(());
    }
    let m = format!(
        "{value} is out of range: {} to {}",
        range.start(),
        range.end()
    );
    Err(invalid(key, m))
}

fn non_empty(
    value: String,
    key: &str,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<String, ConfigError> {
    if value.trim().is_empty() {
        return Err(invalid(key, "must not be empty".into()));
    }
    Ok(value)
}

fn parse_api_url(s: &str) -> Result<Url, String> {
    let shown = crate::redact::url(s);
    let url = Url::parse(s).map_err(|e| format!("invalid URL {shown:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("invalid URL {shown:?}: expected http(s)://host"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(format!(
            "invalid URL {shown:?}: no credentials or query in the URL (the token comes from the environment)"
        ));
    }
    Ok(url)
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

/// toml's own messages span several lines with a source excerpt; we want one.
fn one_line_toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[[orgs]]\nlogin = \"nhsx\"\nname = \"NHSX\"\n";

    fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::parse_with_env(Path::new("p.toml"), text, vars).map_err(|e| e.to_string())
    }

    #[test]
    fn every_key_can_come_from_the_environment_by_one_rule() {
        let text = format!("[github]\nmax_retries = 5\n{MINIMAL}");
        let config = with_env(
            &text,
            &[
                ("OHS_GITHUB_MAX_RETRIES", "0"),
                ("OHS_EXTRACT_LANGUAGES_BY_BYTES", "false"),
                ("OHS_LAKE_ROOT", "s3://bucket/ohs"),
                ("OHS_LAKE_OPTIONS_AWS_REGION", "eu-west-2"),
                ("OHS_LAKE_OPTIONS_AWS_PORT", "9000"),
                ("OHS_GITHUB_USER_AGENT", "nhs-stats"),
                // The flags' own variables and other programs' are not keys.
                ("OHS_LOG_FORMAT", "json"),
                ("OHS_TEST_PYTHON", "/usr/bin/python3"),
                ("GITHUB_MAX_RETRIES", "9"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.github.max_retries, 0,
            "the environment beats the file"
        );
        assert!(!config.extract.languages_by_bytes);
        assert_eq!(config.lake_root, "s3://bucket/ohs");
        assert_eq!(config.github.user_agent, "nhs-stats");
        let options = format!("{:?}", config.lake_options);
        assert!(
            options.contains("aws_region") && options.contains("aws_port"),
            "{options}"
        );
        assert_ne!(
            config.sha256,
            parse(&text).unwrap().sha256,
            "the hash covers the overrides"
        );
        let err = with_env(MINIMAL, &[("OHS_GITHUB_MAX_RETRYS", "3")]).unwrap_err();
        assert!(
            err.contains("max_retrys") && err.contains("OHS_GITHUB_MAX_RETRYS"),
            "{err}"
        );
        let err = with_env(MINIMAL, &[("OHS_GITHUB_MAX_RETRIES", "many")]).unwrap_err();
        assert!(err.contains("OHS_GITHUB_MAX_RETRIES"), "{err}");
    }

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("p.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.github.per_page, 100);
        assert_eq!(c.github.api.as_str(), "https://api.github.com/");
        assert_eq!(c.lake_root, "lake");
        assert_eq!(c.languages["Jupyter Notebook"], "Python");
        assert_eq!(c.languages["SCSS"], "HTML");
    }

    #[test]
    fn bad_configs_name_file_and_key() {
        let cases = [
            ("", "config p.toml: orgs: no organisations configured"),
            (
                "[[orgs]]\nlogin = \"a\"\n[[orgs]]\nlogin = \"A\"\n",
                "config p.toml: orgs: duplicate login \"A\"",
            ),
            (
                "[[orgs]]\nlogin = \"nhs_x\"\n",
                "config p.toml: orgs[0].login: invalid login \"nhs_x\"",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[github]\napi = \"ftp://x\"\n",
                "config p.toml: github.api: invalid URL \"ftp://x\"",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[github]\nper_page = 101\n",
                "config p.toml: github.per_page: 101 is out of range",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\ncolour = 1\n",
                "config p.toml: line 3, column 1: unknown field `colour`",
            ),
            ("[[orgs]\n", "config p.toml: line 1, column"),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[github]\nsecondary_limit_wait_secs = 0\n",
                "config p.toml: github.secondary_limit_wait_secs: 0 is out of range: 1 to 3600",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[github]\nmax_wait_secs = 100000\n",
                "config p.toml: github.max_wait_secs: 100000 is out of range: 0 to 86400",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[lake]\nlease_ttl_secs = 1\n",
                "config p.toml: lake.lease_ttl_secs: 1 is out of range: 3 to 86400",
            ),
            (
                "[[orgs]]\nlogin = \"nhsx\"\n[github]\napi = \"https://u:p@ghe.example/api\"\n",
                "config p.toml: github.api: invalid URL \"https://***:***@ghe.example/api\": no credentials",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
            assert!(!err.contains('\n'), "{err:?} should be one line");
        }
    }

    #[test]
    fn overrides_replace_orgs_and_keep_display_names() {
        let c = parse(MINIMAL).unwrap();
        let o = Overrides {
            orgs: Some("NHSX, nhsuk".into()),
            snapshot_date: Some("2021-03-04".into()),
            ..Overrides::default()
        };
        let s = c.resolve(o).unwrap();
        let names: Vec<_> = s.orgs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["NHSX", "nhsuk"]);
        assert_eq!(
            s.config.orgs.len(),
            1,
            "the configuration itself is unchanged"
        );
        let nhsx: OrgLogin = "nhsX".parse().unwrap();
        assert_eq!(s.configured(&nhsx).unwrap().login.as_str(), "nhsx");
        assert!(s.configured(&"nhsuk".parse().unwrap()).is_none());
        assert_eq!(s.snapshot_date.to_string(), "2021-03-04");
    }

    const GITLAB: &str = r#"
[[orgs]]
login = "NHSDigital"

[[orgs]]
login = "nhsbsa"
forge = "gitlab"
name = "NHS Business Services Authority"

[[orgs]]
login = "nhsbsa"

[[orgs]]
login = "some-trust/analytics"
forge = "gitlab"
api = "https://git.example.nhs.uk/api/v4"
"#;

    #[test]
    fn gitlab_groups_are_logged_in_as_host_and_path() {
        let c = parse(GITLAB).unwrap();
        let logins: Vec<&str> = c.orgs.iter().map(|o| o.login.as_str()).collect();
        assert_eq!(
            logins,
            [
                "NHSDigital",
                "gitlab.com/nhsbsa",
                "nhsbsa",
                "git.example.nhs.uk/some-trust/analytics"
            ]
        );
        assert_eq!(c.orgs[1].name, "NHS Business Services Authority");
        assert_eq!(c.orgs[3].name, "git.example.nhs.uk/some-trust/analytics");
        let group = c.orgs[3].gitlab.as_ref().unwrap();
        assert_eq!(group.path, "some-trust/analytics");
        assert_eq!(c.gitlab.api.as_str(), "https://gitlab.com/api/v4");

        // --gitlab-api moves the groups of the default instance, not a self-managed one's.
        let o = Overrides {
            gitlab_api: Some("http://127.0.0.1:8080/api/v4".into()),
            ..Overrides::default()
        };
        let s = c.resolve(o).unwrap();
        assert_eq!(s.orgs[1].login.as_str(), "127.0.0.1:8080/nhsbsa");
        assert_eq!(
            s.orgs[3].login.as_str(),
            "git.example.nhs.uk/some-trust/analytics"
        );
    }

    #[test]
    fn bad_gitlab_entries_name_their_key() {
        let entry = |fields: &str| parse(&format!("[[orgs]]\n{fields}\n")).unwrap_err();
        let err = entry("login = \"nhsbsa\"\nforge = \"bitbucket\"");
        assert!(
            err.contains("orgs[0].forge: unknown forge \"bitbucket\""),
            "{err}"
        );
        let err = entry("login = \"a//b\"\nforge = \"gitlab\"");
        assert!(
            err.contains("orgs[0].login: invalid GitLab group path"),
            "{err}"
        );
        let err = entry("login = \"nhsx\"\napi = \"https://git.example.nhs.uk/api/v4\"");
        assert!(err.contains("orgs[0].api: only a GitLab group"), "{err}");
        let err = entry("login = \"a\"\nforge = \"gitlab\"\napi = \"not a url\"");
        assert!(err.contains("orgs[0].api: "), "{err}");
        let twice = "[[orgs]]\nlogin = \"NHSBSA\"\nforge = \"gitlab\"\n[[orgs]]\nlogin = \"nhsbsa\"\nforge = \"gitlab\"\n";
        let err = parse(twice).unwrap_err();
        assert!(err.contains("orgs: duplicate login"), "{err}");
    }

    #[test]
    fn bad_flags_are_named() {
        let cases = [
            (
                Overrides {
                    snapshot_date: Some("2021-13-01".into()),
                    ..Overrides::default()
                },
                "--snapshot-date: invalid date",
            ),
            (
                Overrides {
                    snapshot_date: Some("2999-01-01".into()),
                    ..Overrides::default()
                },
                "--snapshot-date: 2999-01-01 is in the future",
            ),
            (
                Overrides {
                    orgs: Some("a,A".into()),
                    ..Overrides::default()
                },
                "--orgs: duplicate login",
            ),
            (
                Overrides {
                    github_api: Some("not a url".into()),
                    ..Overrides::default()
                },
                "--github-api: invalid URL",
            ),
        ];
        for (o, expected) in cases {
            let err = parse(MINIMAL).unwrap().resolve(o).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn shards_split_orgs_by_login_alone() {
        let logins: Vec<OrgLogin> = (0..200)
            .map(|i| format!("org-{i}").parse().unwrap())
            .collect();
        let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for login in &logins {
            let owners = shards.iter().filter(|s| s.selects(login)).count();
            assert_eq!(owners, 1, "{login:?} belongs to exactly one shard");
            let upper: OrgLogin = login.as_str().to_uppercase().parse().unwrap();
            assert_eq!(
                shards.iter().position(|s| s.selects(login)),
                shards.iter().position(|s| s.selects(&upper)),
                "the shard ignores case"
            );
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| logins.iter().filter(|l| s.selects(l)).count())
            .collect();
        assert!(sizes.iter().all(|&n| n > 40), "roughly even: {sizes:?}");
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_never_shows_in_debug() {
        let t = ApiToken {
            secret: "ghp_secret".into(),
            env_var: "GITHUB_TOKEN",
        };
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn secrets_never_show_in_the_configs_debug() {
        let text = "[lake]\nroot = \"az://c/p?sv=1&sig=SASSIGNATURE\"\n[lake.options]\n\
                    aws_secret_access_key = \"KEYKEYKEYKEY\"\n[[orgs]]\nlogin = \"nhsx\"\n";
        let shown = format!("{:?}", parse(text).unwrap());
        assert!(
            !shown.contains("SASSIGNATURE") && !shown.contains("KEYKEYKEYKEY"),
            "{shown}"
        );
        assert!(shown.contains("aws_secret_access_key"), "{shown}");
    }
}
