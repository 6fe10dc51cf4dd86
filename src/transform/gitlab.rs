//! A GitLab group's bronze → the same [`RepoRecord`]s and `repo_languages` rows as GitHub's,
//! with the same meanings: a project is a fork when `forked_from_project` is present, its
//! last activity stands for GitHub's last push, and open issues are 0 when issues are off.
//!
//! GitLab's listing names no licence and no language: both come from the per-project
//! answers, applied here once they are read. A licence is named by licensee's key, which
//! gives the SPDX id GitHub reports; languages come as percentages, so a project's primary
//! language is its largest share and its `repo_languages` rows carry shares, not bytes.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::normalise::{language_type, licence_facts};
use super::repos::{
    fits_signed_column, identify, parse_item, ListingOrg, RepoRecord, SharedStrings,
};
use super::silver::RepoLanguage;
use crate::bronze::gitlab::{
    primary_language, spdx_id_of_licensee_key, GitlabLicense, GitlabProject,
};
use crate::domain::{Forge, RepoId};

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
        // From the per-project answers, once read ([`apply_answers`]).
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

/// A stored `GET /projects/:id?license=true` answer: the project's licence, or none.
#[derive(Deserialize)]
struct LicenceAnswer<'a> {
    #[serde(borrow)]
    license: Option<GitlabLicense<'a>>,
}

/// A project's licence and language shares, from its answers.
#[derive(Default)]
pub struct ProjectAnswers<'a> {
    pub licence: Option<&'a str>,
    pub languages: Option<&'a str>,
}

/// Sets the licence and primary language of each GitLab record from its project's answers
/// (JSON bodies by project id); `rename` is the exact-match language map.
pub fn apply_answers(
    repos: &mut [RepoRecord],
    answers: &HashMap<u64, ProjectAnswers>,
    rename: &BTreeMap<String, String>,
) -> Result<(), (u64, String)> {
    let mut strings = SharedStrings::default();
    for repo in repos.iter_mut().filter(|r| r.forge == Forge::Gitlab) {
        let Some(answer) = answers.get(&repo.repo_id.0) else {
            continue;
        };
        let id = repo.repo_id.0;
        if let Some(body) = answer.licence {
            let parsed: LicenceAnswer = serde_json::from_str(body)
                .map_err(|e| (id, format!("not a project with its licence: {e}")))?;
            if let Some(licence) = parsed.license {
                let spdx_id = spdx_id_of_licensee_key(&licence.key);
                repo.license_key = Some(strings.get(&licence.key));
                repo.license_name = Some(strings.get(&licence.name));
                repo.license_spdx_id = Some(strings.get(spdx_id));
                repo.licence = licence_facts(true, Some(spdx_id));
            }
        }
        if let Some(body) = answer.languages {
            let shares = language_shares(body).map_err(|message| (id, message))?;
            if let Some(language) = primary_language(&shares) {
                let normalised = rename.get(language).map_or(language, String::as_str);
                repo.language_type = language_type(language);
                repo.language = Some(strings.get(language));
                repo.language_normalised = Some(strings.get(normalised));
            }
        }
    }
    Ok(())
}

/// `{"Java": 81.32, "Shell": 18.68}`: per cent of the project by language.
pub fn language_shares(body: &str) -> Result<BTreeMap<String, f64>, String> {
    let shares: BTreeMap<String, f64> = serde_json::from_str(body)
        .map_err(|e| format!("not an object of language percentages: {e}"))?;
    match shares.iter().find(|(_, p)| !p.is_finite() || **p < 0.0) {
        Some((language, p)) => Err(format!("{language}: {p} is not a percentage")),
        None => Ok(shares),
    }
}

/// Silver `repo_languages` rows of one project: its shares as fractions, bytes unknown.
pub fn language_rows(
    repo_id: i64,
    shares: BTreeMap<String, f64>,
    rename: &BTreeMap<String, String>,
) -> Vec<RepoLanguage> {
    shares
        .into_iter()
        .map(|(language, percent)| RepoLanguage {
            forge: Forge::Gitlab,
            repo_id,
            bytes: None,
            share: Some(percent / 100.0),
            language_normalised: rename.get(&language).unwrap_or(&language).clone(),
            language,
        })
        .collect()
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

    #[test]
    fn answers_give_the_licence_and_the_primary_language() {
        let body = format!(
            "[{}, {}]",
            project(1, "nhsbsa", ""),
            project(2, "nhsbsa", "")
        );
        let mut records = parse_page(&group(), body.as_bytes()).unwrap();
        let answers = HashMap::from([
            (
                1,
                ProjectAnswers {
                    licence: Some(
                        r#"{"id": 1, "license": {"key": "gpl-3.0", "name": "GNU General Public License v3.0"}}"#,
                    ),
                    languages: Some(r#"{"Jupyter Notebook": 60.5, "Shell": 39.5}"#),
                },
            ),
            (
                2,
                ProjectAnswers {
                    licence: Some(r#"{"id": 2, "license": null}"#),
                    languages: Some("{}"),
                },
            ),
        ]);
        let rename = BTreeMap::from([("Jupyter Notebook".to_string(), "Python".to_string())]);
        apply_answers(&mut records, &answers, &rename).unwrap();
        let [licensed, bare] = records.as_slice() else {
            panic!()
        };
        assert_eq!(licensed.license_spdx_id.as_deref(), Some("GPL-3.0"));
        assert_eq!(
            licensed.licence.spdx_current.as_deref(),
            Some("GPL-3.0-only")
        );
        assert_eq!(licensed.language.as_deref(), Some("Jupyter Notebook"));
        assert_eq!(licensed.language_normalised.as_deref(), Some("Python"));
        assert_eq!(
            (bare.license_name.as_deref(), bare.language.as_deref()),
            (None, None)
        );
        let rows = language_rows(1, language_shares(r#"{"Java": 81.32}"#).unwrap(), &rename);
        assert_eq!(rows[0].bytes, None);
        assert!((rows[0].share.unwrap() - 0.8132).abs() < 1e-12);
        assert!(language_shares(r#"{"Java": -1}"#).is_err());
    }
}
