//! A GitLab group's stored listing pages → the same [`RepoRecord`]s as GitHub's, with the
//! same meanings: a project is a fork when `forked_from_project` is present, its last
//! activity stands for GitHub's last push, and open issues are 0 when issues are off. The
//! licence and the language come later, from the per-project answers ([`super::answers`]).

use serde_json::value::RawValue;

use super::wire::GitlabProject;
use crate::domain::{Forge, RepoId};
use crate::forge::{
    fits_signed_column, identify, parse_item, ListingOrg, RepoRecord, SharedStrings,
};
use crate::normalise::licence_facts;

/// Parses one bronze page of a GitLab group.
pub fn parse_page(org: &ListingOrg, body: &[u8]) -> Result<Vec<RepoRecord>, String> {
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of project objects: {e}"))?;
    let mut strings = SharedStrings::default();
    items
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            parse_item::<GitlabProject>(raw.get())
                .and_then(|project| to_record(org, project, &mut strings))
                .map_err(|message| format!("repo {}: {message}", identify(index, raw.get())))
        })
        .collect()
}

/// The host of the group's instance, from its login `<host>/<path>`.
fn host_and_path(org: &ListingOrg) -> (&str, &str) {
    org.login.as_str().split_once('/').unwrap_or_default()
}

fn to_record(
    org: &ListingOrg,
    project: GitlabProject,
    strings: &mut SharedStrings,
) -> Result<RepoRecord, String> {
    let (host, group) = host_and_path(org);
    let namespace = &project.namespace.full_path;
    let in_group = namespace.eq_ignore_ascii_case(group)
        || namespace
            .to_ascii_lowercase()
            .starts_with(&format!("{}/", group.to_ascii_lowercase()));
    if !in_group {
        return Err(format!(
            "namespace.full_path {namespace:?} is not the group whose listing held it, or one of its subgroups"
        ));
    }
    let open_issues = project.open_issues_count.unwrap_or(0);
    for (field, value) in [
        ("id", project.id),
        ("star_count", project.star_count),
        ("forks_count", project.forks_count),
        ("open_issues_count", open_issues),
    ] {
        fits_signed_column(field, value)?;
    }
    let public = project.visibility == "public";
    let mut share = |text: &str| strings.get(text);
    Ok(RepoRecord {
        org_login: share(org.login.as_str()),
        forge: Forge::Gitlab,
        repo_id: RepoId(project.id),
        name: project.path.into(),
        full_name: project.path_with_namespace.into(),
        html_url: project.web_url.into(),
        owner_login: share(&format!("{host}/{namespace}")),
        owner_html_url: share(&project.namespace.web_url),
        is_fork: project.forked_from_project.is_some(),
        is_private: !public,
        is_archived: project.archived,
        visibility: Some(share(&project.visibility)),
        created_at: project.created_at,
        pushed_at: project.last_activity_at,
        // From the per-project answers, once read.
        language: None,
        language_normalised: None,
        language_type: None,
        license_key: None,
        license_name: None,
        license_spdx_id: None,
        licence: licence_facts(false, None),
        license_detected_spdx_id: None,
        license_detection_confidence: None,
        stargazers_count: project.star_count,
        forks_count: project.forks_count,
        open_issues_count: open_issues,
        topics: project
            .topics
            .unwrap_or_default()
            .iter()
            .map(|t| strings.get(t))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrgLogin;

    fn group() -> ListingOrg {
        ListingOrg {
            login: OrgLogin::gitlab("gitlab.com", "nhsbsa").unwrap(),
            canonical_login: None,
            web_url: None,
        }
    }

    fn project(id: u64, namespace: &str, extra: &str) -> String {
        format!(
            r#"{{"id": {id}, "name": "Project {id}", "path": "p{id}",
               "path_with_namespace": "{namespace}/p{id}",
               "web_url": "https://gitlab.com/{namespace}/p{id}",
               "namespace": {{"full_path": "{namespace}", "web_url": "https://gitlab.com/groups/{namespace}"}},
               "created_at": "2020-01-02T03:04:05.123Z", "visibility": "public",
               "star_count": 2, "forks_count": 1{extra}}}"#
        )
    }

    #[test]
    fn projects_become_records_with_githubs_meanings() {
        let body = format!(
            "[{}, {}]",
            project(
                1,
                "nhsbsa",
                r#", "open_issues_count": 4, "topics": ["nhs"], "archived": true"#
            ),
            project(2, "nhsbsa/sub", r#", "forked_from_project": {"id": 9}"#)
        );
        let records = parse_page(&group(), body.as_bytes()).unwrap();
        let [first, fork] = records.as_slice() else {
            panic!()
        };
        assert_eq!((&*first.name, &*first.full_name), ("p1", "nhsbsa/p1"));
        assert_eq!(&*first.owner_login, "gitlab.com/nhsbsa");
        assert!(first.is_archived && !first.is_fork && first.is_kept());
        assert_eq!((first.open_issues_count, fork.open_issues_count), (4, 0));
        assert_eq!(first.created_at.timestamp_millis(), 1_577_934_245_123);
        assert!(fork.is_fork && !fork.is_kept());
        assert_eq!(&*fork.owner_login, "gitlab.com/nhsbsa/sub");
    }

    #[test]
    fn a_project_outside_the_group_or_malformed_is_named() {
        let body = format!("[{}]", project(3, "other", ""));
        let err = parse_page(&group(), body.as_bytes()).unwrap_err();
        assert!(
            err.contains("repo #1 (other/p3): namespace.full_path"),
            "{err}"
        );
        let bad = project(4, "nhsbsa", "").replace(r#""star_count": 2"#, r#""star_count": "2""#);
        let err = parse_page(&group(), format!("[{bad}]").as_bytes()).unwrap_err();
        assert!(err.contains("repo #1 (nhsbsa/p4): star_count"), "{err}");
    }
}
