//! A GitHub org's stored listing pages → [`RepoRecord`]s.
//!
//! Parsing is lenient about what GitHub adds or leaves out over the years (unknown fields are
//! ignored; `topics`, `visibility`, `license` and `language` may be absent) and strict about
//! what it relies on: a wrong type or a missing required field fails naming page and repo.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::wire::GithubRepo;
use crate::domain::Forge;
use crate::forge::{
    fits_signed_column, identify, parse_item, ListingOrg, RepoRecord, SharedStrings,
};
use crate::normalise::{language_type, licence_facts};

/// Parses one bronze page of `org`. `languages` is the exact-match rename map.
///
/// The whole page is read in one pass, by sonic-rs (SIMD: pages of 6 KB repository objects
/// are mostly fields skipped); only when that fails is it read again by serde_json, repository
/// by repository, to name the one at fault and the path of its bad field. Both read through
/// the same `Deserialize` types, so they accept the same pages.
pub fn parse_page(
    org: &ListingOrg,
    body: &[u8],
    languages: &BTreeMap<String, String>,
) -> Result<Vec<RepoRecord>, String> {
    let mut strings = SharedStrings::default();
    match sonic_rs::from_slice::<Vec<GithubRepo>>(body) {
        Ok(page) => page
            .into_iter()
            .enumerate()
            .map(|(index, repo)| {
                let full_name = repo.full_name.clone();
                to_record(org, repo, languages, &mut strings)
                    .map_err(|message| format!("repo #{} ({full_name}): {message}", index + 1))
            })
            .collect(),
        Err(_) => parse_page_precisely(org, body, languages),
    }
}

/// The slow path of [`parse_page`], for pages with a fault: says which repository and field.
fn parse_page_precisely(
    org: &ListingOrg,
    body: &[u8],
    languages: &BTreeMap<String, String>,
) -> Result<Vec<RepoRecord>, String> {
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of repository objects: {e}"))?;
    let mut strings = SharedStrings::default();
    items
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            parse_item::<GithubRepo>(raw.get())
                .and_then(|repo| to_record(org, repo, languages, &mut strings))
                .map_err(|message| format!("repo {}: {message}", identify(index, raw.get())))
        })
        .collect()
}

fn to_record(
    org: &ListingOrg,
    repo: GithubRepo,
    languages: &BTreeMap<String, String>,
    strings: &mut SharedStrings,
) -> Result<RepoRecord, String> {
    if !org.owns(&repo.owner.login) {
        return Err(format!(
            "owner.login {:?} is not the org whose listing held it",
            repo.owner.login
        ));
    }
    for (field, value) in [
        ("id", repo.id.0),
        ("stargazers_count", repo.stargazers_count),
        ("forks_count", repo.forks_count),
        ("open_issues_count", repo.open_issues_count),
    ] {
        fits_signed_column(field, value)?;
    }
    let language = repo.language.as_deref();
    let language_normalised = language.map(|l| languages.get(l).map_or(l, String::as_str));
    let license = repo.license.as_ref();
    let mut licence = licence_facts(
        license.is_some(),
        license.and_then(|l| l.spdx_id.as_deref()),
    );
    licence.spdx_current = licence.spdx_current.map(|id| strings.get(&id));
    let mut share = |text: Option<&str>| text.map(|t| strings.get(t));
    Ok(RepoRecord {
        org_login: share(Some(org.login.as_str())).unwrap_or_default(),
        forge: Forge::Github,
        repo_id: repo.id,
        name: repo.name.into(),
        full_name: repo.full_name.into(),
        html_url: repo.html_url.into(),
        owner_login: share(Some(&repo.owner.login)).unwrap_or_default(),
        owner_html_url: share(Some(&repo.owner.html_url)).unwrap_or_default(),
        is_fork: repo.fork,
        is_private: repo.private,
        is_archived: repo.archived,
        visibility: share(repo.visibility.as_deref()),
        created_at: repo.created_at,
        pushed_at: repo.pushed_at,
        language: share(language),
        language_normalised: share(language_normalised),
        language_type: language.and_then(language_type),
        license_key: share(license.map(|l| &*l.key)),
        license_name: share(license.map(|l| &*l.name)),
        license_spdx_id: share(license.and_then(|l| l.spdx_id.as_deref())),
        licence,
        license_detected_spdx_id: None,
        license_detection_confidence: None,
        stargazers_count: repo.stargazers_count,
        forks_count: repo.forks_count,
        open_issues_count: repo.open_issues_count,
        topics: repo
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

    fn org() -> ListingOrg {
        ListingOrg {
            login: "nhsx".parse().unwrap(),
            canonical_login: None,
            web_url: None,
        }
    }

    fn repo_json(extra: &str) -> String {
        format!(
            r#"{{"id": 1, "name": "a", "full_name": "nhsx/a", "html_url": "https://github.com/nhsx/a",
               "owner": {{"login": "nhsx", "html_url": "https://github.com/nhsx"}},
               "fork": false, "private": false, "created_at": "2020-01-02T03:04:05Z",
               "stargazers_count": 1, "forks_count": 2, "open_issues_count": 3{extra}}}"#
        )
    }

    fn map() -> BTreeMap<String, String> {
        [("Jupyter Notebook".to_string(), "Python".to_string())].into()
    }

    #[test]
    fn minimal_repo_parses_with_absent_optional_fields() {
        let page = format!("[{}]", repo_json(""));
        let repos = parse_page(&org(), page.as_bytes(), &map()).unwrap();
        assert_eq!(repos.len(), 1);
        let r = &repos[0];
        assert_eq!((r.language.clone(), r.license_name.clone()), (None, None));
        assert!(r.topics.is_empty() && r.is_public());
    }

    #[test]
    fn new_fields_and_unknown_fields_are_accepted() {
        let extra = r#", "topics": ["nhs"], "visibility": "internal", "brand_new_field": {"x": 1},
                       "language": "Jupyter Notebook",
                       "license": {"key": "other", "name": "Other", "spdx_id": "NOASSERTION", "url": null}"#;
        let page = format!("[{}]", repo_json(extra));
        let r = &parse_page(&org(), page.as_bytes(), &map()).unwrap()[0];
        assert_eq!(r.topics, [std::sync::Arc::from("nhs")].into());
        assert!(!r.is_public(), "internal visibility is not public");
        assert_eq!(r.language_normalised.as_deref(), Some("Python"));
        assert_eq!(r.license_spdx_id.as_deref(), Some("NOASSERTION"));
    }

    #[test]
    fn wrong_types_name_the_repo_and_field() {
        let bad = repo_json("").replace("\"2020-01-02T03:04:05Z\"", "\"yesterday\"");
        let page = format!("[{}, {bad}]", repo_json(""));
        let err = parse_page(&org(), page.as_bytes(), &map()).unwrap_err();
        assert!(err.starts_with("repo #2 (nhsx/a): created_at: "), "{err}");
        let no_id = repo_json("").replace("\"id\": 1,", "");
        let err = parse_page(&org(), format!("[{no_id}]").as_bytes(), &map()).unwrap_err();
        assert!(
            err.starts_with("repo #1 (nhsx/a): missing field `id`"),
            "{err}"
        );
        let err = parse_page(&org(), br#"{"message": "Not Found"}"#, &map()).unwrap_err();
        assert!(err.starts_with("not a JSON array"), "{err}");
    }

    #[test]
    fn a_repo_of_another_owner_is_rejected() {
        let other = repo_json("").replace("\"login\": \"nhsx\"", "\"login\": \"nhsuk\"");
        let err = parse_page(&org(), format!("[{other}]").as_bytes(), &map()).unwrap_err();
        assert!(err.contains("owner.login \"nhsuk\""), "{err}");
        let renamed = ListingOrg {
            canonical_login: Some("NHSUK".into()),
            ..org()
        };
        assert!(parse_page(&renamed, format!("[{other}]").as_bytes(), &map()).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_page_parses_or_fails_without_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            count in proptest::prelude::any::<u64>(),
            id in proptest::prelude::any::<u64>(),
        ) {
            let org = ListingOrg { login: "nhsx".parse().unwrap(), canonical_login: None, web_url: None };
            let _ = parse_page(&org, &body, &BTreeMap::new());
            let repo = repo_json("").replace("\"stargazers_count\": 1", &format!("\"stargazers_count\": {count}"));
            let repo = repo.replacen("\"id\": 1,", &format!("\"id\": {id},"), 1);
            let parsed = parse_page(&org, format!("[{repo}]").as_bytes(), &BTreeMap::new());
            let fits = i64::try_from(count).is_ok() && i64::try_from(id).is_ok();
            proptest::prop_assert_eq!(parsed.is_ok(), fits, "{:?}", parsed.err());
        }
    }
}
