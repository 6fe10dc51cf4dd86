//! GitLab's JSON, typed: a project in a group's listing
//! (`GET /groups/:id/projects?include_subgroups=true&visibility=public`) as bronze stores it,
//! the group's record (`GET /groups/:id`), and the licence of `GET /projects/:id?license=true`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::domain::{is_kept_repo, RepoId};
use crate::forge::{ListingItem, RepoRef};

/// A project as transform reads it. Strings borrow from the page where JSON allows.
#[derive(Deserialize)]
pub struct GitlabProject<'a> {
    pub id: u64,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The project's URL slug: GitHub's `name`.
    #[serde(borrow)]
    pub path: Cow<'a, str>,
    /// `group/subgroup/project`: the project's full path.
    #[serde(borrow)]
    pub path_with_namespace: Cow<'a, str>,
    #[serde(borrow)]
    pub web_url: Cow<'a, str>,
    #[serde(borrow)]
    pub namespace: GitlabNamespace<'a>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub last_activity_at: Option<DateTime<Utc>>,
    /// `public`, `internal` or `private`.
    #[serde(borrow)]
    pub visibility: Cow<'a, str>,
    #[serde(default)]
    pub archived: bool,
    /// Present for a fork whose source project the caller can see.
    #[serde(default)]
    pub forked_from_project: Option<IgnoredAny>,
    #[serde(default)]
    pub star_count: u64,
    #[serde(default)]
    pub forks_count: u64,
    /// Absent when the project's issues are turned off.
    #[serde(default)]
    pub open_issues_count: Option<u64>,
    #[serde(default, borrow)]
    pub topics: Option<Vec<Cow<'a, str>>>,
    /// Only in a `GET /projects/:id?license=true` answer; `null` when none was detected.
    #[serde(default, borrow)]
    pub license: Option<GitlabLicense<'a>>,
}

#[derive(Deserialize)]
pub struct GitlabNamespace<'a> {
    #[serde(borrow)]
    pub full_path: Cow<'a, str>,
    #[serde(borrow)]
    pub web_url: Cow<'a, str>,
}

/// Fields of a project that describe the token's holder (its access level): never stored.
pub const HOLDER_FIELDS: [&str; 1] = ["permissions"];

/// The fields of a project that decide what extract keeps and asks, parsed leniently (as
/// GitHub's `RepoFacts`): a malformed field is reported by transform.
#[derive(Deserialize)]
pub struct ProjectFacts {
    pub id: RepoId,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    forked_from_project: Option<IgnoredAny>,
    #[serde(default)]
    pub path_with_namespace: Option<String>,
    /// What could change the project's answers ([`ProjectFacts::listing_facts`]).
    #[serde(default)]
    last_activity_at: Option<serde_json::Value>,
    #[serde(default)]
    default_branch: Option<serde_json::Value>,
    /// The token holder's access, present for a member's token ([`HOLDER_FIELDS`]).
    #[serde(default)]
    permissions: Option<IgnoredAny>,
}

impl ProjectFacts {
    /// Public only when GitLab says so: a project without `visibility` is not kept.
    pub fn is_public(&self) -> bool {
        self.visibility.as_deref() == Some("public")
    }

    /// Counted: public and not a fork ([`is_kept_repo`]).
    pub fn is_kept(&self) -> bool {
        is_kept_repo(
            !self.is_public(),
            self.visibility.as_deref(),
            self.forked_from_project.is_some(),
        )
    }

    pub fn has_holder_fields(&self) -> bool {
        self.permissions.is_some()
    }

    /// What could change its licence or languages: activity (a push, an issue, a merge
    /// request), or a new default branch. GitLab moves `last_activity_at` at most once an
    /// hour, so activity just after an answer was asked may not show: an answer asked the day
    /// the project was last active is not reused ([`crate::forge::RepoRef::changed_at`]).
    pub fn listing_facts(&self) -> Option<String> {
        crate::forge::listing_facts(&[
            ("last_activity_at", self.last_activity_at.as_ref()),
            ("default_branch", self.default_branch.as_ref()),
        ])
    }

    /// What extract decides by: a kept project's licence is always asked (the listing names
    /// none).
    pub fn listing_item(&self) -> ListingItem {
        let kept = match &self.path_with_namespace {
            Some(full_name) if self.is_kept() => Some(RepoRef {
                id: self.id.0,
                full_name: full_name.clone(),
                node_id: None,
                licence_asked: true,
                listing_facts: self.listing_facts(),
                changed_at: crate::forge::time_of(self.last_activity_at.as_ref()),
            }),
            _ => None,
        };
        let flags = (self.is_public(), self.has_holder_fields());
        ListingItem::new(self.id.0, flags, kept)
    }
}

/// What `GET /groups/:id` tells extract: the group's canonical path and its page.
#[derive(Deserialize)]
pub struct GroupMetadata {
    pub full_path: String,
    pub web_url: String,
}

/// GitLab detects licences with licensee, as GitHub does: the same keys and names.
#[derive(Deserialize)]
pub struct GitlabLicense<'a> {
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_in_gitlabs_documented_shape_parses() {
        let json = r#"{
            "id": 4, "name": "Diaspora Client", "path": "diaspora-client",
            "path_with_namespace": "diaspora/diaspora-client",
            "web_url": "https://gitlab.example.com/diaspora/diaspora-client",
            "namespace": {"id": 3, "name": "Diaspora", "path": "diaspora", "kind": "group",
                          "full_path": "diaspora", "web_url": "https://gitlab.example.com/groups/diaspora"},
            "created_at": "2013-09-30T13:46:02.000Z", "last_activity_at": "2013-09-30T13:46:02Z",
            "visibility": "public", "archived": false, "star_count": 3, "forks_count": 0,
            "topics": ["example", "disapora client"],
            "forked_from_project": {"id": 1}
        }"#;
        let project: GitlabProject = serde_json::from_str(json).unwrap();
        assert_eq!(project.path_with_namespace, "diaspora/diaspora-client");
        assert_eq!(project.namespace.full_path, "diaspora");
        assert!(project.forked_from_project.is_some());
        assert_eq!(project.open_issues_count, None, "issues turned off");
        assert!(project.license.is_none());
        assert_eq!(project.created_at.timestamp(), 1_380_548_762);
    }
}
