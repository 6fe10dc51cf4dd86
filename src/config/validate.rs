//! From the text of `pipeline.toml` (with the environment's overrides) to a validated
//! [`Config`]: parse errors on one line, range checks, URL parsing and the `[[orgs]]` entries.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::env::{env_overrides, env_value};
use super::raw::{RawConfig, RawGithub, RawOrg};
use super::{Config, ConfigError, GithubConfig, GitlabConfig, GitlabGroup, OrgConfig};
use crate::domain::{Forge, OrgLogin};
use crate::lake::LakeOptions;
use crate::lease::LeaseTiming;

impl Config {
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
        let max_age = u64::from(raw.extract.details_max_age_days);
        check_range("extract.details_max_age_days", max_age, 0..=3_650, &invalid)?;
        check_range(
            "lake.max_retries",
            raw.lake.max_retries as u64,
            0..=100,
            &invalid,
        )?;
        check_range(
            "lake.retry_timeout_secs",
            raw.lake.retry_timeout_secs,
            1..=86_400,
            &invalid,
        )?;
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
pub(super) fn api_host(api: &Url) -> String {
    let host = api.host_str().unwrap_or_default();
    match api.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

pub(super) fn check_unique(orgs: &[OrgConfig]) -> Result<(), String> {
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
        graphql: raw.graphql,
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

pub(super) fn parse_api_url(s: &str) -> Result<Url, String> {
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
