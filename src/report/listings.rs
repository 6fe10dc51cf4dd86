//! The pages' lists of kept repositories (gold `repositories`): the most-starred for the
//! index, and the rows of any slice of the table.

use polars::prelude::*;

use super::{forges, ints, strings};
use crate::domain::Forge;

/// One kept repository, as the page's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLine {
    /// Its organisation's login (a GitLab group's `<host>/<path>`).
    pub org_login: String,
    /// Its organisation's display name.
    pub organisation: String,
    pub forge: Forge,
    pub name: String,
    pub full_name: String,
    pub url: String,
    pub language: Option<String>,
    pub licence: Option<String>,
    pub stars: i64,
    /// Its topics, `, `-separated.
    pub topics: String,
    /// The creation day, `YYYY-MM-DD`.
    pub created: String,
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
    let text = |name| strings(df, name);
    let (login, display, name) = (text("org_login")?, text("display_name")?, text("name")?);
    let forge = forges(df)?;
    let (full_name, url) = (text("full_name")?, text("html_url")?);
    let (language, licence) = (text("language")?, text("license_name")?);
    let stars = ints(df, "stars")?;
    let topics = text("topics")?;
    let created = df
        .column("created_at")?
        .cast(&DataType::Date)?
        .cast(&DataType::Int32)?;
    let created = created.i32()?;
    Ok((0..df.height())
        .map(|i| RepoLine {
            org_login: login[i].clone().unwrap_or_default(),
            organisation: display[i].clone().unwrap_or_default(),
            forge: forge[i],
            name: name[i].clone().unwrap_or_default(),
            full_name: full_name[i].clone().unwrap_or_default(),
            url: url[i].clone().unwrap_or_default(),
            language: language[i].clone(),
            licence: licence[i].clone(),
            stars: stars[i],
            topics: topics[i].clone().unwrap_or_default(),
            created: day(created.get(i).unwrap_or_default()),
        })
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
    let date = chrono::NaiveDate::default() + chrono::Duration::days(i64::from(days_since_epoch));
    date.format("%Y-%m-%d").to_string()
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
