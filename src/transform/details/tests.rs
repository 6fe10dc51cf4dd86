use super::*;
use crate::bronze::{RepoResponse, RepoResponses};
use crate::domain::OrgLogin;
use crate::forge::ListingOrg;

/// `files` read as transform reads them, with `rename` as the language map.
fn read(
    forge: Forge,
    endpoint: RepoEndpoint,
    files: Vec<RepoResponses>,
    rename: &BTreeMap<String, String>,
) -> Option<Vec<OrgAnswers>> {
    let read = |file| OrgAnswers::read(forge, endpoint, file, rename);
    Some(files.into_iter().map(read).collect())
}

fn answers_file(
    org: &str,
    endpoint: RepoEndpoint,
    bodies: &[(u64, serde_json::Value)],
) -> RepoResponses {
    let responses = bodies
        .iter()
        .map(|(id, body)| RepoResponse {
            repo_id: *id,
            full_name: format!("{org}/r{id}"),
            url: format!("https://api.example/{id}/{}", endpoint.name()),
            status: 200,
            etag: None,
            not_modified_from: None,
            replayed_from: None,
            attempts: 1,
            listing_facts: None,
            reused_from: None,
            batch: None,
            body: Some(serde_json::value::to_raw_value(body).unwrap()),
        })
        .collect();
    RepoResponses {
        org: org.into(),
        snapshot_date: "2021-03-04".parse().unwrap(),
        endpoint,
        api_version: "2022-11-28".into(),
        responses,
    }
}

fn licence_files(texts: &[(u64, &str)]) -> RepoResponses {
    use base64::Engine;
    let bodies: Vec<_> = texts
        .iter()
        .map(|(id, text)| {
            let content = base64::engine::general_purpose::STANDARD.encode(text);
            (
                *id,
                serde_json::json!({"content": content, "encoding": "base64"}),
            )
        })
        .collect();
    answers_file("nhsx", RepoEndpoint::License, &bodies)
}

fn github_repo(id: u64) -> RepoRecord {
    let org = ListingOrg {
        login: "nhsx".parse().unwrap(),
        canonical_login: None,
        web_url: None,
    };
    let page = format!(
        r#"[{{"id": {id}, "name": "r{id}", "full_name": "nhsx/r{id}",
            "html_url": "https://github.com/nhsx/r{id}",
            "owner": {{"login": "nhsx", "html_url": "https://github.com/nhsx"}},
            "fork": false, "private": false, "created_at": "2020-01-02T03:04:05Z",
            "stargazers_count": 0, "forks_count": 0, "open_issues_count": 0}}]"#
    );
    let adapter = Forge::Github.adapter();
    adapter
        .parse_page(&org, page.as_bytes(), &BTreeMap::new())
        .unwrap()
        .remove(0)
}

fn gitlab_project(id: u64) -> RepoRecord {
    let org = ListingOrg {
        login: OrgLogin::gitlab("gitlab.com", "nhsbsa").unwrap(),
        canonical_login: None,
        web_url: None,
    };
    let page = format!(
        r#"[{{"id": {id}, "name": "P", "path": "p{id}", "path_with_namespace": "nhsbsa/p{id}",
            "web_url": "https://gitlab.com/nhsbsa/p{id}",
            "namespace": {{"full_path": "nhsbsa", "web_url": "https://gitlab.com/groups/nhsbsa"}},
            "created_at": "2020-01-02T03:04:05Z", "visibility": "public"}}]"#
    );
    let adapter = Forge::Gitlab.adapter();
    adapter
        .parse_page(&org, page.as_bytes(), &BTreeMap::new())
        .unwrap()
        .remove(0)
}

fn date() -> SnapshotDate {
    "2021-03-04".parse().unwrap()
}

#[test]
fn each_text_is_identified_once_and_known_texts_not_at_all() {
    let mit = include_str!("../../../tests/fixtures/licences/MIT.txt");
    let prose = "Slides and notes of our quarterly review; ask before reusing them.";
    // Repository 4 is not in silver (not public, say): its answer counts for nothing.
    let files = vec![licence_files(&[(1, mit), (2, prose), (3, mit), (4, mit)])];
    let files = read(
        Forge::Github,
        RepoEndpoint::License,
        files,
        &BTreeMap::new(),
    );
    let answers = Answers::from([((Forge::Github, RepoEndpoint::License), files)]);
    // A stored answer for the prose, unlike what identifying it would give: it is used.
    let stored = Detection {
        spdx_id: Some("Stored-1.0".into()),
        confidence: Some(0.95),
    };
    let known = HashMap::from([(crate::formats::sha256_hex(prose.as_bytes()), stored.clone())]);
    let mut repos: Vec<RepoRecord> = [1, 2, 3].map(github_repo).into();
    let mut skipped = BTreeMap::new();
    let details = apply_answers(
        date(),
        answers,
        &mut repos,
        &known,
        &BTreeMap::new(),
        &mut skipped,
    )
    .unwrap();
    let texts = details.licence_texts.identify(date(), &mut repos);
    assert_eq!(
        repos[1].license_detected_spdx_id.as_deref(),
        Some("Stored-1.0")
    );
    assert_eq!(repos[0].license_detected_spdx_id.as_deref(), Some("MIT"));
    assert_eq!(
        repos[0].license_detection_confidence,
        repos[2].license_detection_confidence
    );
    let counts: Vec<(&str, i64)> = texts
        .iter()
        .map(|t| (t.detection.spdx_id.as_deref().unwrap_or(""), t.repositories))
        .collect();
    let mut expected = vec![("MIT", 2), ("Stored-1.0", 1)];
    expected.sort_by_key(|(id, _)| {
        let text = if *id == "MIT" { mit } else { prose };
        crate::formats::sha256_hex(text.as_bytes())
    });
    assert_eq!(counts, expected, "one row per text, sorted by SHA-256");
    assert!(skipped.is_empty());
}

#[test]
fn named_licences_and_shares_complete_a_listing_and_a_missing_endpoint_is_noted() {
    let group = "gitlab.com/nhsbsa";
    let licence_body =
        serde_json::json!({"id": 7, "license": {"key": "gpl-3.0", "name": "GNU GPL v3.0"}});
    let shares = serde_json::json!({"Jupyter Notebook": 60.5, "Shell": 39.5});
    let rename = BTreeMap::from([("Jupyter Notebook".to_string(), "Python".to_string())]);
    let (licence, languages) = (RepoEndpoint::License, RepoEndpoint::Languages);
    let answers = Answers::from([
        ((Forge::Github, languages), None),
        (
            (Forge::Gitlab, licence),
            read(
                Forge::Gitlab,
                licence,
                vec![answers_file(group, licence, &[(7, licence_body)])],
                &rename,
            ),
        ),
        (
            (Forge::Gitlab, languages),
            read(
                Forge::Gitlab,
                languages,
                vec![answers_file(group, languages, &[(7, shares)])],
                &rename,
            ),
        ),
    ]);
    // GitHub's repository 7 is another repository: GitLab's answers never reach it.
    let mut repos = vec![github_repo(7), gitlab_project(7)];
    let mut skipped = BTreeMap::new();
    let known = HashMap::new();
    let details =
        apply_answers(date(), answers, &mut repos, &known, &rename, &mut skipped).unwrap();
    let [github, gitlab] = repos.as_slice() else {
        panic!()
    };
    assert_eq!(
        (github.license_name.as_deref(), github.language.as_deref()),
        (None, None)
    );
    assert_eq!(gitlab.license_spdx_id.as_deref(), Some("GPL-3.0"));
    assert_eq!(gitlab.licence.spdx_current.as_deref(), Some("GPL-3.0-only"));
    assert_eq!(gitlab.language_normalised.as_deref(), Some("Python"));
    let rows: Vec<_> = details
        .languages
        .iter()
        .flatten()
        .map(|l| (l.forge, &*l.language_normalised, l.bytes))
        .collect();
    assert_eq!(
        rows,
        [
            (Forge::Gitlab, "Python", None),
            (Forge::Gitlab, "Shell", None)
        ]
    );
    assert!(skipped["languages"].contains("not collected for every org"));
}

#[test]
fn a_malformed_answer_names_its_file_and_repository() {
    let malformed = answers_file(
        "nhsx",
        RepoEndpoint::Languages,
        &[(1, serde_json::json!({"Python": "many"}))],
    );
    let files = read(
        Forge::Github,
        RepoEndpoint::Languages,
        vec![malformed],
        &BTreeMap::new(),
    );
    let answers = Answers::from([((Forge::Github, RepoEndpoint::Languages), files)]);
    let mut repos = vec![github_repo(1)];
    let err = apply_answers(
        date(),
        answers,
        &mut repos,
        &HashMap::new(),
        &BTreeMap::new(),
        &mut BTreeMap::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("bronze/github/languages/snapshot_date=2021-03-04/org=nhsx"),
        "{err}"
    );
    assert!(
        err.contains("repository nhsx/r1: not an object of language byte counts"),
        "{err}"
    );
}
