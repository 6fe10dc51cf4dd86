//! Each organisation's own numbers, for its page (`site/orgs/<slug>.html`): its rows of the
//! gold counts tables, and every one of its kept repositories, read a page at a time so a
//! snapshot of a million repositories is never held as a million lines.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;

use super::listings::{self, RepoColumns};
use crate::domain::OrgLogin;

/// (label, count, share) rows of a share chart, largest first.
pub type Shares = Vec<(String, i64, f64)>;

/// An organisation's page name: its login in lower case, a port's `:` written `_`
/// ([`OrgLogin::key`], less its `+` for `/`): `nhsdigital`, and for a GitLab group a path,
/// `gitlab.com/nhsbsa/analytics`, as it reads. No GitHub login has a `.` and every GitLab
/// host does, so no page of a GitHub organisation shares a name with a group's folder.
pub fn slug(org_login: &str) -> String {
    match org_login.parse::<OrgLogin>() {
        Ok(login) => login.key().replace('+', "/"),
        // Gold holds only logins that parsed; anything else still gets a safe file name.
        Err(_) => org_login
            .to_ascii_lowercase()
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '-' | '.' => c,
                _ => '_',
            })
            .collect(),
    }
}

/// The page of the organisation `org_login`, relative to `site/`.
pub fn page_path(org_login: &str) -> String {
    format!("orgs/{}.html", slug(org_login))
}

/// `site/` relative to the page of `org_login`: `../`, and one more for each folder of a
/// GitLab group's slug.
pub fn site_root_from_page(org_login: &str) -> String {
    "../".repeat(1 + slug(org_login).matches('/').count())
}

/// One organisation's share charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgShares {
    pub languages: Shares,
    pub licences: Shares,
    pub licences_resolved: Shares,
    pub language_bytes: Shares,
    pub topics: Shares,
}

/// Each table's rows by scope: `None` for the all-organisations rows (org_login null), else
/// the org_login; each scope's rows of the same label summed, largest first.
pub fn shares_by_scope(
    df: &DataFrame,
    count: &str,
    labels: impl Fn(&DataFrame) -> PolarsResult<Vec<String>>,
) -> PolarsResult<BTreeMap<Option<String>, Shares>> {
    let scopes = super::strings(df, "org_login")?;
    let counts = super::ints(df, count)?;
    let shares: Vec<f64> = (df.column("share")?.f64()?.iter())
        .map(Option::unwrap_or_default)
        .collect();
    let mut summed: BTreeMap<Option<String>, BTreeMap<String, (i64, f64)>> = BTreeMap::new();
    for (i, label) in labels(df)?.into_iter().enumerate() {
        let entry = summed.entry(scopes[i].clone()).or_default();
        let row = entry.entry(label).or_default();
        row.0 += counts[i];
        row.1 += shares[i];
    }
    Ok(summed
        .into_iter()
        .map(|(scope, rows)| {
            let mut rows: Shares = (rows.into_iter())
                .map(|(name, (count, share))| (name, count, share))
                .collect();
            rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (scope, rows)
        })
        .collect())
}

/// Each counts table's share rows by scope (`None`: all organisations), as
/// [`shares_by_scope`] reads them.
pub struct ScopedShares {
    pub languages: BTreeMap<Option<String>, Shares>,
    pub licences: BTreeMap<Option<String>, Shares>,
    pub licences_resolved: BTreeMap<Option<String>, Shares>,
    pub language_bytes: BTreeMap<Option<String>, Shares>,
    pub topics: BTreeMap<Option<String>, Shares>,
}

impl ScopedShares {
    /// The share charts of `scope`, taken out (empty where a table has no rows of it).
    pub fn take(&mut self, scope: &Option<String>) -> OrgShares {
        let take =
            |table: &mut BTreeMap<Option<String>, Shares>| table.remove(scope).unwrap_or_default();
        OrgShares {
            languages: take(&mut self.languages),
            licences: take(&mut self.licences),
            licences_resolved: take(&mut self.licences_resolved),
            language_bytes: take(&mut self.language_bytes),
            topics: take(&mut self.topics),
        }
    }
}

/// The kept repositories of every organisation: gold `repositories`' listed columns, and
/// each organisation's rows in its page's order, most stars first (then by full name). The
/// table is held once; only the order is built for the pages.
pub struct OrgRepositories {
    columns: DataFrame,
    rows: HashMap<String, Vec<usize>>,
}

impl OrgRepositories {
    /// Gold `repositories` in the organisation pages' order.
    pub fn new(df: &DataFrame) -> PolarsResult<Self> {
        let columns = listings::list_columns(df)?;
        let list = RepoColumns::new(&columns)?;
        let mut rows: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, login) in list.org_logins().enumerate() {
            rows.entry(login).or_default().push(i);
        }
        // A stable sort: rows alike in both keys keep the table's order.
        let rows = rows
            .into_par_iter()
            .map(|(login, mut rows)| {
                rows.sort_by_cached_key(|&i| {
                    let (stars, full_name) = list.stars_and_full_name(i);
                    (std::cmp::Reverse(stars), full_name)
                });
                (login.to_string(), rows)
            })
            .collect();
        Ok(Self { columns, rows })
    }

    /// The listed columns, to read the rows of [`OrgRepositories::rows_of`] from.
    pub fn columns(&self) -> PolarsResult<RepoColumns<'_>> {
        RepoColumns::new(&self.columns)
    }

    /// The rows of every kept repository of `org_login`, most stars first.
    pub fn rows_of(&self, org_login: &str) -> &[usize] {
        self.rows.get(org_login).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_and_keep_groups_apart() {
        assert_eq!(slug("NHSDigital"), "nhsdigital");
        assert_eq!(slug("111Online"), "111online");
        assert_eq!(slug("gitlab.com/ohs-sample"), "gitlab.com/ohs-sample");
        assert_eq!(
            slug("gitlab.com/Trust/Analytics"),
            "gitlab.com/trust/analytics"
        );
        assert_eq!(
            slug("git.example.nhs.uk:8443/a"),
            "git.example.nhs.uk_8443/a"
        );
        assert_eq!(page_path("nhsx"), "orgs/nhsx.html");
        assert_eq!(site_root_from_page("nhsx"), "../");
        assert_eq!(
            site_root_from_page("gitlab.com/trust/analytics"),
            "../../../"
        );
        // Not a login: still one safe file name.
        assert_eq!(slug("a b/<c>"), "a_b__c_");
    }

    #[test]
    fn each_organisations_rows_are_most_stars_first_then_by_full_name() {
        let df = df!(
            "org_login" => ["b", "a", "b", "a", "a", "b"],
            "display_name" => ["B", "A", "B", "A", "A", "B"],
            "forge" => ["github"; 6],
            "name" => ["b1", "a1", "b2", "a2", "a3", "b3"],
            "full_name" => [Some("b/z"), Some("a/y"), Some("b/y"), None, Some("a/x"), Some("b/x")],
            "html_url" => ["https://github.com/x"; 6],
            "language" => [Some("Rust"), None, None, None, None, None],
            "license_name" => [None::<&str>; 6],
            "stars" => [Some(1i64), None, Some(5), Some(0), Some(2), Some(1)],
            "topics" => [""; 6],
            "created_at" => [19_000i32; 6],
        )
        .unwrap()
        .lazy()
        .with_column(col("created_at").cast(DataType::Date))
        .collect()
        .unwrap();
        let repositories = OrgRepositories::new(&df).unwrap();
        let columns = repositories.columns().unwrap();
        let names = |login| -> Vec<&str> {
            (repositories.rows_of(login).iter())
                .map(|&i| columns.line(i).name)
                .collect()
        };
        // A missing count sorts as 0 stars and a missing name as "", as they are shown.
        assert_eq!(names("a"), vec!["a3", "a2", "a1"]);
        assert_eq!(names("b"), vec!["b2", "b3", "b1"]);
        assert!(names("c").is_empty());
        assert_eq!(columns.line(0).created.to_string(), "2022-01-08");
    }

    #[test]
    fn shares_are_summed_per_scope_largest_first() {
        let df = df!(
            "org_login" => [None, Some("a"), Some("a"), Some("b"), None],
            "language" => ["Rust", "Rust", "Go", "Go", "Go"],
            "repositories" => [3i64, 2, 1, 1, 2],
            "share" => [0.6, 0.66, 0.33, 1.0, 0.4],
        )
        .unwrap();
        let labels = |df: &DataFrame| -> PolarsResult<Vec<String>> {
            Ok(super::super::strings(df, "language")?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect())
        };
        let scopes = shares_by_scope(&df, "repositories", labels).unwrap();
        assert_eq!(
            scopes[&None],
            vec![("Rust".into(), 3, 0.6), ("Go".into(), 2, 0.4)]
        );
        assert_eq!(
            scopes[&Some("a".into())],
            vec![("Rust".into(), 2, 0.66), ("Go".into(), 1, 0.33)]
        );
        assert_eq!(scopes[&Some("b".into())], vec![("Go".into(), 1, 1.0)]);
    }
}
