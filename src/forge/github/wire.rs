//! GitHub's JSON, typed: a repository in an org's listing (`GET /orgs/{org}/repos`) as
//! bronze stores it, the org's record (`GET /orgs/{org}`) and the rate-limit answer.
//!
//! Two views of a repository: [`GithubRepo`], every field transform builds records from,
//! parsed strictly when transform reads a page; and [`RepoFacts`], the few fields extract
//! needs to decide what is public, kept and asked, parsed leniently so that a malformed
//! field is reported by transform (naming org, page, repository and field) rather than
//! keeping a page out of bronze.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::domain::{is_kept_repo, is_public_repo, RepoId};
use crate::forge::{ListingItem, RepoRef};

/// Fields of a repository object that GitHub adds for an authenticated caller and that
/// describe the token's holder (its rights on the repository, an admin's security settings,
/// a clone token), not the public repository: never stored.
pub const HOLDER_FIELDS: [&str; 4] = [
    "permissions",
    "role_name",
    "security_and_analysis",
    "temp_clone_token",
];

/// A repository as transform reads it. Strings borrow from the page where JSON allows (no
/// escapes), so a page is parsed without an allocation per field.
#[derive(Deserialize)]
pub struct GithubRepo<'a> {
    pub id: RepoId,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub full_name: Cow<'a, str>,
    #[serde(borrow)]
    pub html_url: Cow<'a, str>,
    #[serde(borrow)]
    pub owner: GithubOwner<'a>,
    pub fork: bool,
    pub private: bool,
    #[serde(default, borrow)]
    pub visibility: Option<Cow<'a, str>>,
    #[serde(default)]
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub pushed_at: Option<DateTime<Utc>>,
    #[serde(default, borrow)]
    pub language: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub license: Option<GithubLicense<'a>>,
    pub stargazers_count: u64,
    pub forks_count: u64,
    pub open_issues_count: u64,
    #[serde(default, borrow)]
    pub topics: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
pub struct GithubOwner<'a> {
    #[serde(borrow)]
    pub login: Cow<'a, str>,
    #[serde(borrow)]
    pub html_url: Cow<'a, str>,
}

#[derive(Deserialize)]
pub struct GithubLicense<'a> {
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub spdx_id: Option<Cow<'a, str>>,
}

/// The fields of a repository object that decide what extract keeps and asks.
#[derive(Deserialize)]
pub struct RepoFacts {
    pub id: RepoId,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    node_id: Option<String>,
    #[serde(default)]
    license: Option<LicenceSummary>,
    // What could change the per-repository answers ([`RepoFacts::listing_facts`]), read as
    // any JSON so that a malformed value is transform's to report.
    #[serde(default)]
    pushed_at: Option<serde_json::Value>,
    #[serde(default)]
    default_branch: Option<serde_json::Value>,
    #[serde(default)]
    size: Option<serde_json::Value>,
    // Present only for an authenticated caller ([`HOLDER_FIELDS`]).
    #[serde(default)]
    permissions: Option<IgnoredAny>,
    #[serde(default)]
    role_name: Option<IgnoredAny>,
    #[serde(default)]
    security_and_analysis: Option<IgnoredAny>,
    #[serde(default)]
    temp_clone_token: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct LicenceSummary {
    #[serde(default)]
    spdx_id: Option<String>,
    #[serde(default)]
    key: Option<serde_json::Value>,
}

impl RepoFacts {
    /// Public as far as both the old `private` flag and the newer `visibility` tell.
    pub fn is_public(&self) -> bool {
        is_public_repo(self.private, self.visibility.as_deref())
    }

    /// Counted: public and not a fork ([`is_kept_repo`]).
    pub fn is_kept(&self) -> bool {
        is_kept_repo(self.private, self.visibility.as_deref(), self.fork)
    }

    /// Whether the object holds [`HOLDER_FIELDS`], which are removed before storing.
    pub fn has_holder_fields(&self) -> bool {
        self.permissions.is_some()
            || self.role_name.is_some()
            || self.security_and_analysis.is_some()
            || self.temp_clone_token.is_some()
    }

    /// What could change its languages or its licence file: a push (`pushed_at`, `size`), a
    /// new default branch, or another licence. GitHub re-running its language detection
    /// without a push is not seen: `[extract] details_max_age_days` bounds how long that
    /// stays.
    pub fn listing_facts(&self) -> Option<String> {
        let licence_key = self.license.as_ref().and_then(|l| l.key.as_ref());
        crate::forge::listing_facts(&[
            ("pushed_at", self.pushed_at.as_ref()),
            ("default_branch", self.default_branch.as_ref()),
            ("size", self.size.as_ref()),
            ("license", licence_key),
        ])
    }

    /// GitHub found a licence file but could not name it (`spdx_id` "NOASSERTION").
    pub fn licence_unnamed(&self) -> bool {
        let spdx_id = self.license.as_ref().and_then(|l| l.spdx_id.as_deref());
        spdx_id == Some("NOASSERTION")
    }
}

impl RepoFacts {
    /// What extract decides by.
    pub fn listing_item(&self) -> ListingItem {
        let kept = match &self.full_name {
            Some(full_name) if self.is_kept() => Some(RepoRef {
                id: self.id.0,
                full_name: full_name.clone(),
                node_id: self.node_id.clone(),
                licence_asked: self.licence_unnamed(),
                listing_facts: self.listing_facts(),
                changed_at: crate::forge::time_of(self.pushed_at.as_ref()),
            }),
            _ => None,
        };
        let flags = (self.is_public(), self.has_holder_fields());
        ListingItem::new(self.id.0, flags, kept)
    }
}

/// What `GET /orgs/{org}` tells extract.
#[derive(Deserialize)]
pub struct GithubOrg {
    pub login: String,
    pub public_repos: Option<u64>,
}

/// `GET /rate_limit`: the core budget.
#[derive(Deserialize)]
pub struct RateLimitBody {
    pub resources: RateLimitResources,
}

#[derive(Deserialize)]
pub struct RateLimitResources {
    pub core: CoreBudget,
}

#[derive(Deserialize)]
pub struct CoreBudget {
    pub remaining: Option<u64>,
    pub limit: Option<u64>,
}
