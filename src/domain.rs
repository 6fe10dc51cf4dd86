//! Domain newtypes shared by every stage: `SnapshotDate`, `OrgLogin`, `RepoId`.
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

/// A GitHub organisation login as written in the configuration (`NHSDigital`).
///
/// GitHub logins are case-insensitive: equality and lake keys use [`OrgLogin::key`],
/// the lower-case form, while display keeps the configured spelling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgLogin(String);

impl OrgLogin {
    /// GitHub's own limit on login length.
    pub const MAX_LEN: usize = 39;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded login used for comparisons and lake keys.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl FromStr for OrgLogin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
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

/// GitHub's numeric repository id: stable across renames and transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RepoId(pub u64);

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_rule_is_public_and_not_a_fork() {
        let cases = [
            ((false, None, false), true),
            ((false, Some("public"), false), true),
            ((false, Some("public"), true), false),
            ((true, None, false), false),
            ((false, Some("internal"), false), false),
            ((false, Some("private"), false), false),
        ];
        for ((private, visibility, fork), kept) in cases {
            assert_eq!(
                is_kept_repo(private, visibility, fork),
                kept,
                "{private} {visibility:?} {fork}"
            );
        }
    }

    #[test]
    fn snapshot_date_is_strict_yyyy_mm_dd() {
        assert_eq!(
            "2021-03-04".parse::<SnapshotDate>().unwrap().to_string(),
            "2021-03-04"
        );
        for bad in [
            "2021-3-4",
            "2021-02-30",
            "20210304",
            "2021-03-04T00:00:00Z",
            "",
        ] {
            assert!(
                bad.parse::<SnapshotDate>().is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn org_login_rules_follow_github() {
        for ok in ["nhsx", "111Online", "the-strategy-unit", &"a".repeat(39)] {
            assert!(ok.parse::<OrgLogin>().is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "",
            "-nhs",
            "nhs-",
            "nhs--x",
            "nhs_x",
            "nhs x",
            "nhs/x",
            &"a".repeat(40),
        ] {
            assert!(bad.parse::<OrgLogin>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn org_login_compares_case_insensitively_and_keeps_spelling() {
        let a: OrgLogin = "NHSDigital".parse().unwrap();
        let b: OrgLogin = "nhsdigital".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "nhsdigital");
        assert_eq!(a.to_string(), "NHSDigital");
    }
}
