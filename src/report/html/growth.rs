//! The growth chart: a colour and a dash pattern for each of the ten largest organisations
//! (the trend charts draw them the same way), the legend's buttons, the series the page's
//! script draws (an organisation page carries its own, which the index adds on request),
//! and the chart's text alternative, a table of year ends.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::safe::json_for_script;
use crate::domain::Forge;
use crate::report::orgs::page_path;
use crate::report::{OrgLine, ReportData, Series};

/// Colour-blind-safe colours (after Okabe-Ito and Tol, darkened to 3.8:1 or more on white,
/// WCAG's 3:1 for graphics) for the largest organisations' lines; every other line is grey.
const PALETTE: [&str; 10] = [
    "#0072b2", "#d55e00", "#007a5a", "#b03a8a", "#8c5a00", "#6a3d9a", "#882255", "#117733",
    "#332288", "#666600",
];

/// A dash pattern for each coloured line, so no line is told apart by its colour alone.
const DASHES: [&str; 10] = [
    "",
    "8 4",
    "2 3",
    "8 3 2 3",
    "14 4",
    "4 4",
    "1 3",
    "10 3 2 3 2 3",
    "6 2",
    "16 3 4 3",
];

/// The lines of the other organisations: grey, under the coloured ones.
pub(super) const MUTED: &str = "#768692";

/// One line of the growth chart: an organisation of Table 1, its colour and dash pattern.
pub(super) struct ChartOrg<'a> {
    pub(super) org: &'a OrgLine,
    pub(super) series: Option<&'a Series>,
    pub(super) colour: &'static str,
    /// Its SVG dash pattern, so a line is told apart without its colour.
    pub(super) dash: &'static str,
}

/// The [`COLOURED`] organisations with the most open repositories (Table 1's first rows), each
/// with its series and style.
pub(super) fn largest(data: &ReportData) -> Vec<ChartOrg<'_>> {
    let series: HashMap<&str, &Series> = (data.series.iter())
        .map(|s| (s.organisation.as_str(), s))
        .collect();
    (data.orgs.iter().zip(PALETTE.into_iter().zip(DASHES)))
        .map(|(org, (colour, dash))| ChartOrg {
            org,
            series: series.get(org.organisation.as_str()).copied(),
            colour,
            dash,
        })
        .collect()
}

/// An organisation's button under the growth chart.
pub(super) struct LegendLine<'a> {
    /// The organisation as configured, which keys its line; shown in the button's title.
    pub(super) organisation: &'a str,
    pub(super) display_name: &'a str,
    /// Said after the name for a GitLab group; GitHub is the default.
    pub(super) forge_note: &'static str,
    pub(super) colour: &'static str,
    pub(super) dash: &'static str,
    /// The organisation's page, relative to the index.
    pub(super) page: String,
}

/// The buttons under the growth chart, one per line drawn by default, each with a link to
/// its organisation's page.
pub(super) fn legend<'a>(largest: &[ChartOrg<'a>]) -> Vec<LegendLine<'a>> {
    (largest.iter())
        .map(|line| LegendLine {
            organisation: &line.org.organisation,
            display_name: &line.org.display_name,
            forge_note: forge_note(line.org.forge),
            colour: line.colour,
            dash: line.dash,
            page: page_path(&line.org.org_login),
        })
        .collect()
}

/// Said after an organisation's name for a GitLab group; GitHub is the default.
fn forge_note(forge: Forge) -> &'static str {
    match forge {
        Forge::Github => "",
        Forge::Gitlab => " (GitLab)",
    }
}

/// The growth chart's data for the index's script: the largest organisations' lines.
pub(super) fn series_json(data: &ReportData, largest: &[ChartOrg]) -> String {
    let series = (largest.iter())
        .map(|line| chart_line(line.org, line.series, Some((line.colour, line.dash))))
        .collect();
    json_for_script(&ChartData {
        series,
        snapshot_date: data.snapshot_date.to_string(),
    })
}

/// One organisation's line as the chart's script reads it (`style` `None`: drawn grey), for
/// the index's data and for an organisation page, from which the index adds a line.
pub(super) fn chart_line<'a>(
    org: &'a OrgLine,
    series: Option<&'a Series>,
    style: Option<(&'a str, &'a str)>,
) -> ChartLine<'a> {
    let points = series.map_or(&[][..], |s| &s.points);
    ChartLine {
        colour: style.map(|s| s.0),
        dash: style.map_or("", |s| s.1),
        display_name: &org.display_name,
        forge: org.forge.name(),
        organisation: &org.organisation,
        start: points.first().map(|(day, _)| day.as_str()),
        steps: steps(points),
    }
}

/// Each point as [days since the point before, change in the count since it] (the first:
/// `[0, count]`): a line of ten years of daily points in a tenth of the bytes of dated pairs.
fn steps(points: &[(String, i64)]) -> Vec<[i64; 2]> {
    let day = |d: &str| {
        d.parse::<NaiveDate>()
            .map_or(0, |d| i64::from(d.num_days_from_ce()))
    };
    let mut before: Option<(i64, i64)> = None;
    (points.iter())
        .map(|(date, count)| {
            let today = day(date);
            let (last_day, last_count) = before.unwrap_or((today, 0));
            before = Some((today, *count));
            [today - last_day, count - last_count]
        })
        .collect()
}

/// What [`series_json`] gives the script, written straight from the report's data, fields in
/// name order.
#[derive(serde::Serialize)]
struct ChartData<'a> {
    series: Vec<ChartLine<'a>>,
    snapshot_date: String,
}

/// One organisation's line: from the day `start`, its [`steps`]; the page's script turns
/// them back into `[date, open repositories]` points.
#[derive(serde::Serialize)]
pub(super) struct ChartLine<'a> {
    colour: Option<&'a str>,
    dash: &'a str,
    display_name: &'a str,
    forge: &'a str,
    organisation: &'a str,
    start: Option<&'a str>,
    steps: Vec<[i64; 2]>,
}

/// The growth chart's text alternative: each organisation's open repositories at the end of
/// each year, and at the snapshot date.
pub(super) struct GrowthTable {
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<(String, Vec<i64>)>,
}

/// The end of each year from the first point's to the year before the snapshot, then the
/// snapshot date, with each of `lines` (display name, points) counted on each.
pub(super) fn growth_table(data: &ReportData, lines: &[(&str, &[(String, i64)])]) -> GrowthTable {
    let snapshot = data.snapshot_date.to_string();
    let first_year = (lines.iter())
        .filter_map(|(_, points)| points.first())
        .filter_map(|(date, _)| date.get(..4)?.parse::<i32>().ok())
        .min();
    let snapshot_year = data.snapshot_date.date().format("%Y").to_string();
    let last_year: i32 = snapshot_year.parse().unwrap_or(0) - 1;
    let mut ends: Vec<(String, String)> = (first_year.unwrap_or(last_year + 1)..=last_year)
        .map(|year| (year.to_string(), format!("{year}-12-31")))
        .collect();
    ends.push((snapshot.clone(), snapshot));
    let rows = (lines.iter())
        .map(|(name, points)| {
            let at = |end: &str| {
                let before = points.partition_point(|(date, _)| date.as_str() <= end);
                before.checked_sub(1).map_or(0, |i| points[i].1)
            };
            let counts = ends.iter().map(|(_, end)| at(end)).collect();
            (name.to_string(), counts)
        })
        .collect();
    GrowthTable {
        columns: ends.into_iter().map(|(label, _)| label).collect(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps_are_days_and_counts_since_the_point_before() {
        let points = [
            ("2020-12-30".to_string(), 2),
            ("2021-01-02".to_string(), 5),
            ("2021-01-03".to_string(), 4),
        ];
        assert_eq!(super::steps(&points), [[0, 2], [3, 3], [1, -1]]);
        assert!(super::steps(&[]).is_empty());
    }
}
