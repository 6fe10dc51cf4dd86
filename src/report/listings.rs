//! The pages' lists of kept repositories (gold `repositories`): the most-starred for the
//! index, and the rows of any slice of the table.

use std::fmt;

use polars::prelude::*;

use super::forges;
use crate::domain::Forge;

/// One kept repository, as a page's list shows it: its text owned (`String`, the index's
/// few) or borrowed from gold `repositories` (`&str`, an organisation page's every one, so a
/// million rows are drawn without a million copies of each cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLine<S = String> {
    /// Its organisation's login (a GitLab group's `<host>/<path>`).
    pub org_login: S,
    /// Its organisation's display name.
    pub organisation: S,
    pub forge: Forge,
    pub name: S,
    pub full_name: S,
    pub url: S,
    pub language: Option<S>,
    pub licence: Option<S>,
    pub stars: i64,
    /// Its topics, `, `-separated.
    pub topics: S,
    pub created: Day,
}

impl RepoLine<&str> {
    fn to_owned_line(&self) -> RepoLine {
        RepoLine {
            org_login: self.org_login.to_string(),
            organisation: self.organisation.to_string(),
            forge: self.forge,
            name: self.name.to_string(),
            full_name: self.full_name.to_string(),
            url: self.url.to_string(),
            language: self.language.map(str::to_string),
            licence: self.licence.map(str::to_string),
            stars: self.stars,
            topics: self.topics.to_string(),
            created: self.created,
        }
    }
}

/// A day counted from 1970-01-01, shown as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub i32);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = chrono::NaiveDate::default() + chrono::Duration::days(i64::from(self.0));
        // NaiveDate shows itself as `YYYY-MM-DD` (ISO 8601), without parsing a format.
        fmt::Display::fmt(&date, f)
    }
}

/// The columns of a gold `repositories` frame a list shows, each one chunk, read a row at a
/// time without copying its text.
pub struct RepoColumns<'a> {
    org_login: &'a StringChunked,
    display_name: &'a StringChunked,
    forge: Vec<Forge>,
    name: &'a StringChunked,
    full_name: &'a StringChunked,
    html_url: &'a StringChunked,
    language: &'a StringChunked,
    license_name: &'a StringChunked,
    stars: &'a Int64Chunked,
    topics: &'a StringChunked,
    created: &'a Int32Chunked,
}

/// The columns of gold `repositories` a list shows, `created_at` as days since 1970-01-01,
/// each one chunk (a frame [`RepoColumns`] can read).
pub fn list_columns(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = df.select([
        "org_login",
        "display_name",
        "forge",
        "name",
        "full_name",
        "html_url",
        "language",
        "license_name",
        "stars",
        "topics",
    ])?;
    let created = (df.column("created_at")?.cast(&DataType::Date))?.cast(&DataType::Int32)?;
    columns.with_column(created)?;
    columns.rechunk_mut_par();
    Ok(columns)
}

impl<'a> RepoColumns<'a> {
    /// Reads a frame of [`list_columns`].
    pub fn new(df: &'a DataFrame) -> PolarsResult<Self> {
        let text = |name| df.column(name).and_then(|c| c.str());
        Ok(Self {
            org_login: text("org_login")?,
            display_name: text("display_name")?,
            forge: forges(df)?,
            name: text("name")?,
            full_name: text("full_name")?,
            html_url: text("html_url")?,
            language: text("language")?,
            license_name: text("license_name")?,
            stars: df.column("stars")?.i64()?,
            topics: text("topics")?,
            created: df.column("created_at")?.i32()?,
        })
    }

    /// The line of row `i` (a missing text shows empty, a missing count as 0).
    pub fn line(&self, i: usize) -> RepoLine<&'a str> {
        let text = |column: &'a StringChunked| column.get(i).unwrap_or_default();
        RepoLine {
            org_login: text(self.org_login),
            organisation: text(self.display_name),
            forge: self.forge[i],
            name: text(self.name),
            full_name: text(self.full_name),
            url: text(self.html_url),
            language: self.language.get(i),
            licence: self.license_name.get(i),
            stars: self.stars.get(i).unwrap_or_default(),
            topics: text(self.topics),
            created: Day(self.created.get(i).unwrap_or_default()),
        }
    }

    /// Each row's org login, in row order (missing: "", as [`Self::line`] shows it).
    pub fn org_logins(&self) -> impl Iterator<Item = &'a str> {
        self.org_login.iter().map(Option::unwrap_or_default)
    }

    /// Row `i`'s sort keys for a list: its stars (missing: 0) and full name (missing: "").
    pub fn stars_and_full_name(&self, i: usize) -> (i64, &'a str) {
        let stars = self.stars.get(i).unwrap_or_default();
        (stars, self.full_name.get(i).unwrap_or_default())
    }
}

/// The most the index lists: the most-starred, with a link to each one's organisation page,
/// which lists all of that organisation's (and gold `repositories` all of them), so the index
/// stays light however many there are.
pub const MOST_LISTED: usize = 100;

/// The [`MOST_LISTED`] repositories with the most stars (then by full name), most first, and
/// how many there are: only the rows the page lists are read out of the table.
pub fn repositories(df: &DataFrame) -> PolarsResult<(Vec<RepoLine>, usize)> {
    // A missing count sorts as 0 stars, a missing name as "", as they are shown.
    let order = SortMultipleOptions::default()
        .with_order_descending_multi([true, false])
        .with_maintain_order(true);
    let total = df.height();
    let df = df
        .clone()
        .lazy()
        // Only rows with as many stars as the last listed can be listed: a million rows are
        // not sorted to list five thousand.
        .filter(
            col("stars")
                .fill_null(lit(0))
                .gt_eq(lit(least_listed_stars(df)?)),
        )
        .with_columns([
            col("stars").fill_null(lit(0)).alias("_stars"),
            col("full_name").fill_null(lit("")).alias("_full_name"),
        ])
        .sort(["_stars", "_full_name"], order)
        .limit(MOST_LISTED as IdxSize)
        .collect()?;
    Ok((lines(&df)?, total))
}

/// Each row of a gold `repositories` frame as a line of a list, in the frame's order.
pub fn lines(df: &DataFrame) -> PolarsResult<Vec<RepoLine>> {
    let df = list_columns(df)?;
    let columns = RepoColumns::new(&df)?;
    Ok((0..df.height())
        .map(|i| columns.line(i).to_owned_line())
        .collect())
}

/// The stars of the [`MOST_LISTED`]th most-starred repository (a missing count is 0), or 0
/// when there are no more than that.
fn least_listed_stars(df: &DataFrame) -> PolarsResult<i64> {
    let mut stars: Vec<i64> = (df.column("stars")?.i64()?.iter())
        .map(Option::unwrap_or_default)
        .collect();
    if stars.len() <= MOST_LISTED {
        return Ok(0);
    }
    let (_, least, _) = stars.select_nth_unstable_by(MOST_LISTED - 1, |a, b| b.cmp(a));
    Ok(*least)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
pub(super) fn day(days_since_epoch: i32) -> String {
    Day(days_since_epoch).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gold `repositories` with `stars` as given, names `r00000`, `r00001`, ... in row order.
    fn repositories_frame(stars: &[Option<i64>]) -> DataFrame {
        let n = stars.len();
        let names: Vec<String> = (0..n).map(|i| format!("r{i:05}")).collect();
        let text = |v: &str| vec![v.to_string(); n];
        df!(
            "org_login" => text("org"),
            "display_name" => text("Org"),
            "forge" => text("github"),
            "name" => &names,
            "full_name" => names.iter().map(|n| format!("org/{n}")).collect::<Vec<_>>(),
            "html_url" => text("https://github.com/org/r"),
            "language" => text("Rust"),
            "license_name" => text("MIT License"),
            "stars" => stars,
            "topics" => text(""),
            "created_at" => vec![19_000i32; n],
        )
        .unwrap()
        .lazy()
        .with_column(col("created_at").cast(DataType::Date))
        .collect()
        .unwrap()
    }

    #[test]
    fn the_most_starred_are_listed_ties_by_full_name() {
        // Stars fall in tens, so the cut falls inside a run of ties; some counts are missing.
        let stars: Vec<Option<i64>> = (0..MOST_LISTED as i64 + 700)
            .map(|i| (i % 13 != 0).then_some((i * 7919) % 997 / 10))
            .collect();
        let (listed, total) = repositories(&repositories_frame(&stars)).unwrap();
        assert_eq!((listed.len(), total), (MOST_LISTED, stars.len()));
        let mut expected: Vec<(i64, String)> = (stars.iter().enumerate())
            .map(|(i, s)| (s.unwrap_or(0), format!("org/r{i:05}")))
            .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        expected.truncate(MOST_LISTED);
        let got: Vec<(i64, String)> = (listed.into_iter())
            .map(|line| (line.stars, line.full_name))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn no_more_than_the_list_holds_are_all_listed() {
        let (listed, total) = repositories(&repositories_frame(&[Some(1), None, Some(3)])).unwrap();
        let names: Vec<&str> = listed.iter().map(|l| l.full_name.as_str()).collect();
        assert_eq!(
            (names, total),
            (vec!["org/r00002", "org/r00000", "org/r00001"], 3)
        );
    }
}
