//! Domain newtypes shared by every stage: `SnapshotDate`, `Forge`, `OrgLogin`, `RepoId`,
//! `RepoEndpoint`.
//!
//! Each validates in its constructor, so an invalid value cannot exist past parsing.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The day a snapshot describes (`YYYY-MM-DD`, UTC). Never a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnapshotDate(NaiveDate);

/// In JSON a `YYYY-MM-DD` string, as every manifest writes it.
impl schemars::JsonSchema for SnapshotDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SnapshotDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A snapshot's day, YYYY-MM-DD (UTC)."
        })
    }
}

impl SnapshotDate {
    pub fn new(date: NaiveDate) -> Self {
        Self(date)
    }

    /// Today in UTC: the only place the pipeline reads the clock for a date.
    pub fn today_utc() -> Self {
        Self(chrono::Utc::now().date_naive())
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl FromStr for SnapshotDate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // chrono accepts "2021-3-4" for %Y-%m-%d; the lake's partition names must be canonical.
        let is_canonical = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| is_canonical);
        date.map(Self)
            .ok_or_else(|| format!("invalid date {s:?}: expected YYYY-MM-DD"))
    }
}

impl TryFrom<String> for SnapshotDate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SnapshotDate> for String {
    fn from(d: SnapshotDate) -> Self {
        d.to_string()
    }
}

impl fmt::Display for SnapshotDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// Where an organisation publishes: its forge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Forge {
    Github,
    Gitlab,
}

impl Forge {
    pub const ALL: [Forge; 2] = [Self::Github, Self::Gitlab];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
        }
    }

    /// The environment variable its token is read from.
    pub fn token_var(self) -> &'static str {
        match self {
            Self::Github => "GITHUB_TOKEN",
            Self::Gitlab => "GITLAB_TOKEN",
        }
    }

    /// The folder of its listings in bronze: its own word for a repository, plural.
    pub fn listing_folder(self) -> &'static str {
        match self {
            Self::Github => "repos",
            Self::Gitlab => "projects",
        }
    }

    /// As people write it: `GitHub`, `GitLab`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Github => "GitHub",
            Self::Gitlab => "GitLab",
        }
    }
}

impl FromStr for Forge {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            _ => Err(format!(
                "unknown forge {s:?}: expected \"github\" or \"gitlab\""
            )),
        }
    }
}

/// An organisation as written in the configuration: a GitHub login (`NHSDigital`), or a
/// GitLab group as `<host>/<full path>` (`gitlab.com/nhsbsa`), which no GitHub login can
/// spell, so the two never collide.
///
/// Both are case-insensitive: equality and lake keys use [`OrgLogin::key`], the lower-case
/// form (a group's `/` written `+`, a port's `:` written `_`), while display keeps the
/// configured spelling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgLogin(String);

impl OrgLogin {
    /// GitHub's own limit on login length.
    pub const MAX_LEN: usize = 39;

    /// GitLab's limit on a group's full path.
    pub const MAX_GROUP_PATH_LEN: usize = 255;

    /// A GitHub login: letters, digits and single inner hyphens, at most [`Self::MAX_LEN`].
    pub fn github(s: &str) -> Result<Self, String> {
        let valid_chars = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(format!(
                "invalid login {s:?}: must be 1 to {} characters",
                Self::MAX_LEN
            ));
        }
        if !valid_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(format!(
                "invalid login {s:?}: GitHub logins are letters, digits and single inner hyphens"
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// The GitLab group `path` (`nhsbsa`, `some-trust/analytics`) on `host` (`gitlab.com`).
    pub fn gitlab(host: &str, path: &str) -> Result<Self, String> {
        check_host(host)?;
        check_group_path(path)?;
        Ok(Self(format!("{host}/{path}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn forge(&self) -> Forge {
        if self.0.contains('/') {
            Forge::Gitlab
        } else {
            Forge::Github
        }
    }

    /// The case-folded login used for comparisons and lake keys: one path segment.
    pub fn key(&self) -> String {
        self.0
            .to_ascii_lowercase()
            .replace('/', "+")
            .replace(':', "_")
    }

    /// The login a lake key was made from ([`OrgLogin::key`]), in lower case.
    pub fn from_key(key: &str) -> Result<Self, String> {
        match key.split_once('+') {
            Some((host, path)) => Self::gitlab(&host.replace('_', ":"), &path.replace('+', "/")),
            None => key.parse(),
        }
    }
}

/// A GitLab instance's host, with an optional port: `gitlab.com`, `git.example.nhs.uk:8443`,
/// `127.0.0.1:8080`. A dotted name, so that a mistyped GitHub login (`nhs/x`) is not taken
/// for a group on a host called `nhs`.
fn check_host(host: &str) -> Result<(), String> {
    let (name, port) = host.split_once(':').unwrap_or((host, "1"));
    let name_ok = name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !name_ok || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("invalid GitLab host {host:?}"));
    }
    Ok(())
}

/// GitLab's rules for a group's full path: `/`-separated segments of letters, digits, `_`,
/// `-` and `.`, none starting with `-` or `.` or ending in `.`, `.git` or `.atom`.
fn check_group_path(path: &str) -> Result<(), String> {
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && !segment.starts_with(['-', '.'])
            && !segment.ends_with('.')
            && !segment.ends_with(".git")
            && !segment.ends_with(".atom")
    };
    if path.len() > OrgLogin::MAX_GROUP_PATH_LEN || !path.split('/').all(segment_ok) {
        return Err(format!(
            "invalid GitLab group path {path:?}: segments of letters, digits, '_', '-' and '.', separated by '/'"
        ));
    }
    Ok(())
}

impl FromStr for OrgLogin {
    type Err = String;

    /// A GitHub login, or a GitLab group as `<host>/<full path>`. Input with a `/` that is no
    /// group is named with both forms, as its writer may have meant either.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((host, path)) => Self::gitlab(host, path).map_err(|why| {
                format!(
                    "{s:?}: not a GitHub login (letters, digits and single inner hyphens, up to {}) nor a GitLab <host>/<group path> ({why})",
                    Self::MAX_LEN
                )
            }),
            None => Self::github(s),
        }
    }
}

impl TryFrom<String> for OrgLogin {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<OrgLogin> for String {
    fn from(o: OrgLogin) -> Self {
        o.0
    }
}

impl PartialEq for OrgLogin {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for OrgLogin {}

impl fmt::Display for OrgLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a repository may enter the public lake: not `private`, and `visibility` (absent
/// from older responses) `public`. Extract and transform both apply this one rule.
pub fn is_public_repo(private: bool, visibility: Option<&str>) -> bool {
    !private && visibility.is_none_or(|v| v == "public")
}

/// Whether a repository is counted (kept): public, and not a fork; archived ones count.
/// The one Rust form of the rule every gold table applies (in SQL, `int_kept_repos`).
pub fn is_kept_repo(private: bool, visibility: Option<&str>, fork: bool) -> bool {
    is_public_repo(private, visibility) && !fork
}

/// A repository's numeric id on its forge (a GitLab project's id): stable across renames
/// and transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RepoId(pub u64);

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A per-repository endpoint asked after an org's listing: its answers complete or add detail
/// to what the listing says about each kept repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoEndpoint {
    /// Its licence: the file's text on GitHub (for "Other"), the detected licence on GitLab.
    License,
    /// Its languages: bytes of each on GitHub, per cent of each on GitLab.
    Languages,
}

impl RepoEndpoint {
    /// Its name in bronze (a folder) and in request counts; GitHub's URL segment too.
    pub fn name(self) -> &'static str {
        match self {
            Self::License => "license",
            Self::Languages => "languages",
        }
    }
}

#[cfg(test)]
mod tests;
