//! Bronze pages → [`RepoRecord`]s: the GitHub repository model and its checks (a GitLab
//! group's pages go through [`super::gitlab`] into the same records).
//!
//! Parsing is lenient about what GitHub adds or leaves out over the years (unknown fields are
//! ignored; `topics`, `visibility`, `license` and `language` may be absent) and strict about
//! what it relies on: a wrong type or a missing required field fails naming org, page and repo.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::normalise::{language_type, licence_facts, LicenceFacts};
use crate::bronze::github::GithubRepo;
use crate::domain::{is_kept_repo, is_public_repo, Forge, OrgLogin, RepoId, SnapshotDate};

/// The org whose bronze listing is being read: its configured login and, when extract asked
/// `GET /orgs/{org}`, its login as GitHub spells it now (it differs after a rename).
#[derive(Debug, Clone)]
pub struct ListingOrg {
    pub login: OrgLogin,
    pub canonical_login: Option<String>,
    /// A GitLab group's page, from `GET /groups/:id`.
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

    /// The login as GitHub spells it, as far as we know.
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
    /// The owner's login as GitHub spells it (`NHSDigital`).
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
    /// GitHub's licence name ("MIT License", "Other"); `None` when there is no licence.
    pub license_name: Option<Arc<str>>,
    /// As GitHub reports it, legacy ids (`GPL-3.0`) included.
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

/// One shared copy of each string that recurs within a page.
#[derive(Default)]
pub struct SharedStrings(HashSet<Arc<str>>);

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

    /// Created after the snapshot's day (UTC): GitHub was asked later than the snapshot
    /// date, and the repository did not exist on it. Gold and the site leave it out.
    pub fn created_after(&self, snapshot: SnapshotDate) -> bool {
        self.created_at.date_naive() > snapshot.date()
    }
}

/// Just enough of a repository (or project) to name it in an error.
#[derive(Deserialize)]
struct RepoIdentity {
    #[serde(alias = "path_with_namespace")]
    full_name: Option<String>,
    id: Option<u64>,
}

/// Parses one bronze page of `org`. `languages` is the exact-match rename map.
///
/// The whole page is read in one pass; only when that fails is it read again repository by
/// repository, to name the one at fault and the path of its bad field.
pub fn parse_page(
    org: &ListingOrg,
    body: &[u8],
    languages: &BTreeMap<String, String>,
) -> Result<Vec<RepoRecord>, String> {
    if org.login.forge() == Forge::Gitlab {
        return super::gitlab::parse_page(org, body);
    }
    let mut strings = SharedStrings::default();
    match serde_json::from_slice::<Vec<GithubRepo>>(body) {
        Ok(page) => page
            .into_iter()
            .enumerate()
            .map(|(index, repo)| {
                let name = format!("#{} ({})", index + 1, repo.full_name);
                to_record(org, repo, languages, &mut strings)
                    .map_err(|message| format!("repo {name}: {message}"))
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

/// One repository (or project) object, or the path of its bad field and what is wrong.
pub fn parse_item<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde_json appends a position inside this one object, which helps nobody.
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        if path == "." {
            message
        } else {
            format!("{path}: {message}")
        }
    })
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

/// Silver stores ids and counts as 64-bit signed integers (Parquet's INT64): a larger value
/// is invalid data, never a number that wraps.
pub fn fits_signed_column(field: &str, value: u64) -> Result<i64, String> {
    i64::try_from(value)
        .map_err(|_| format!("{field}: {value} does not fit a 64-bit signed integer column"))
}

/// "#3 (nhsx/foo)", or "#3 (id 42)", or "#3": the best name an invalid object allows.
pub fn identify(index: usize, json: &str) -> String {
    let position = format!("#{}", index + 1);
    match serde_json::from_str::<RepoIdentity>(json) {
        Ok(RepoIdentity {
            full_name: Some(name),
            ..
        }) => format!("{position} ({name})"),
        Ok(RepoIdentity { id: Some(id), .. }) => format!("{position} (id {id})"),
        _ => position,
    }
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
        assert_eq!(r.topics, [Arc::from("nhs")].into());
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
