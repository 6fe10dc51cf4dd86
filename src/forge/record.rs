//! The common repository record every forge's listing becomes ([`RepoRecord`], a row of
//! silver `repos`), and the org whose listing is read ([`ListingOrg`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polars::prelude::PlHashSet;

use crate::domain::{is_kept_repo, is_public_repo, Forge, OrgLogin, RepoId, SnapshotDate};
use crate::normalise::LicenceFacts;

/// The org whose bronze listing is being read: its configured login and, when extract asked
/// the forge for the org's own record, its login as the forge spells it now (it differs after
/// a rename).
#[derive(Debug, Clone)]
pub struct ListingOrg {
    pub login: OrgLogin,
    pub canonical_login: Option<String>,
    /// The org's page, when its record names one (a GitLab group's `web_url`).
    pub web_url: Option<String>,
}

impl ListingOrg {
    /// Whether a repository owned by `owner` belongs in this org's listing.
    pub fn owns(&self, owner: &str) -> bool {
        owner.eq_ignore_ascii_case(self.login.as_str())
            || self
                .canonical_login
                .as_deref()
                .is_some_and(|c| owner.eq_ignore_ascii_case(c))
    }

    /// The login as the forge spells it, as far as we know.
    pub fn forge_spelling(&self) -> &str {
        self.canonical_login
            .as_deref()
            .unwrap_or(self.login.as_str())
    }
}

/// One repository as it stands in silver.
///
/// A snapshot holds a million of these at scale, so the strings a page repeats (the org and
/// owner, languages, licences, topics) are shared ([`SharedStrings`]) and the others are
/// boxed to their length.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoRecord {
    /// The org whose listing held it, as configured.
    pub org_login: Arc<str>,
    pub forge: Forge,
    pub repo_id: RepoId,
    pub name: Box<str>,
    pub full_name: Box<str>,
    pub html_url: Box<str>,
    /// The owner's login as the forge spells it (`NHSDigital`, `gitlab.com/nhsbsa/sub`).
    pub owner_login: Arc<str>,
    pub owner_html_url: Arc<str>,
    pub is_fork: bool,
    pub is_private: bool,
    pub is_archived: bool,
    /// `public`, `private` or `internal`; absent from older responses.
    pub visibility: Option<Arc<str>>,
    pub created_at: DateTime<Utc>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub language: Option<Arc<str>>,
    /// `language` through the configured exact-match map.
    pub language_normalised: Option<Arc<str>>,
    /// Linguist's type of `language`: programming, markup, data or prose.
    pub language_type: Option<&'static str>,
    pub license_key: Option<Arc<str>>,
    /// The forge's licence name ("MIT License", "Other"); `None` when there is no licence.
    pub license_name: Option<Arc<str>>,
    /// As GitHub reports it, legacy ids (`GPL-3.0`) included (GitLab's key gives the same).
    pub license_spdx_id: Option<Arc<str>>,
    pub licence: LicenceFacts,
    /// For "Other": the licence identified from the file's text, when one was.
    pub license_detected_spdx_id: Option<Arc<str>>,
    /// For "Other": the best match's score, when the file's text was examined.
    pub license_detection_confidence: Option<f64>,
    pub stargazers_count: u64,
    pub forks_count: u64,
    pub open_issues_count: u64,
    pub topics: Box<[Arc<str>]>,
}

/// One shared copy of each string that recurs within a page. Looked up for several fields
/// of every record, so hashed by polars' quick hasher rather than SipHash (which has no
/// attacker to resist here).
#[derive(Default)]
pub struct SharedStrings(PlHashSet<Arc<str>>);

impl SharedStrings {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

impl RepoRecord {
    /// Public as far as both the old `private` flag and the newer `visibility` tell.
    pub fn is_public(&self) -> bool {
        is_public_repo(self.is_private, self.visibility.as_deref())
    }

    /// Counted by gold and the site: public and not a fork ([`is_kept_repo`]).
    pub fn is_kept(&self) -> bool {
        is_kept_repo(self.is_private, self.visibility.as_deref(), self.is_fork)
    }

    /// Created after the snapshot's day (UTC): the forge was asked later than the snapshot
    /// date, and the repository did not exist on it. Gold and the site leave it out.
    pub fn created_after(&self, snapshot: SnapshotDate) -> bool {
        self.created_at.date_naive() > snapshot.date()
    }
}
