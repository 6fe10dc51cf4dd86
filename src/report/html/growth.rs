//! The growth chart: a colour and a dash pattern for each of the ten largest organisations
//! (the trend charts draw them the same way), the legend's buttons, the series the page's
//! script draws, and the chart's text alternative, a table of year ends.

use super::safe::json_for_script;
use crate::domain::Forge;
use crate::report::ReportData;

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

/// A colour and a dash pattern for each of the ten organisations with the most open
/// repositories.
pub(super) fn colour_largest(data: &ReportData) -> Vec<Option<(&'static str, &'static str)>> {
    data.series
        .iter()
        .map(|s| {
            let rank = data
                .orgs
                .iter()
                .position(|o| o.organisation == s.organisation);
            rank.and_then(|r| Some((*PALETTE.get(r)?, *DASHES.get(r)?)))
        })
        .collect()
}

/// An organisation's button under the growth chart.
pub(super) struct LegendLine<'a> {
    pub(super) organisation: &'a str,
    /// Said after the name for a GitLab group; GitHub is the default.
    pub(super) forge_note: &'static str,
    pub(super) colour: &'static str,
    /// Its SVG dash pattern, so a line is told apart without its colour.
    pub(super) dash: &'static str,
}

/// The buttons under the growth chart: the ten largest organisations in colour, the rest grey.
pub(super) fn legend<'a>(
    data: &'a ReportData,
    colours: &[Option<(&'static str, &'static str)>],
) -> Vec<LegendLine<'a>> {
    data.series
        .iter()
        .zip(colours)
        .map(|(s, colour)| LegendLine {
            organisation: &s.organisation,
            forge_note: match s.forge {
                Forge::Github => "",
                Forge::Gitlab => " (GitLab)",
            },
            colour: colour.map_or(MUTED, |c| c.0),
            dash: colour.map_or("", |c| c.1),
        })
        .collect()
}

/// The growth chart's data for the page's script: each organisation's points and colour.
pub(super) fn series_json(data: &ReportData, colours: &[Option<(&str, &str)>]) -> String {
    let series = (data.series.iter().zip(colours))
        .map(|(s, colour)| ChartLine {
            colour: colour.map(|c| c.0),
            dash: colour.map_or("", |c| c.1),
            forge: s.forge.name(),
            organisation: &s.organisation,
            points: &s.points,
        })
        .collect();
    json_for_script(&ChartData {
        series,
        snapshot_date: data.snapshot_date.to_string(),
    })
}

/// What [`series_json`] gives the script, written straight from the report's data. Fields
/// are in name order, as the page has always had them.
#[derive(serde::Serialize)]
struct ChartData<'a> {
    series: Vec<ChartLine<'a>>,
    snapshot_date: String,
}

/// One organisation's line: its points are `[date, open repositories]` pairs.
#[derive(serde::Serialize)]
struct ChartLine<'a> {
    colour: Option<&'a str>,
    dash: &'a str,
    forge: &'a str,
    organisation: &'a str,
    points: &'a [(String, i64)],
}

/// The growth chart's text alternative: each organisation's open repositories at the end of
/// each year, and at the snapshot date.
pub(super) struct GrowthTable {
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<(String, Vec<i64>)>,
}

/// The end of each year from the first point's to the year before the snapshot, then the
/// snapshot date, with each organisation's count on each.
pub(super) fn growth_table(data: &ReportData) -> GrowthTable {
    let snapshot = data.snapshot_date.to_string();
    let first_year = data
        .series
        .iter()
        .filter_map(|s| s.points.first())
        .filter_map(|(date, _)| date.get(..4)?.parse::<i32>().ok())
        .min();
    let snapshot_year = data.snapshot_date.date().format("%Y").to_string();
    let last_year: i32 = snapshot_year.parse().unwrap_or(0) - 1;
    let mut ends: Vec<(String, String)> = (first_year.unwrap_or(last_year + 1)..=last_year)
        .map(|year| (year.to_string(), format!("{year}-12-31")))
        .collect();
    ends.push((snapshot.clone(), snapshot));
    let rows = data
        .series
        .iter()
        .map(|s| {
            let at = |end: &str| {
                let before = s.points.partition_point(|(date, _)| date.as_str() <= end);
                before.checked_sub(1).map_or(0, |i| s.points[i].1)
            };
            (
                s.organisation.clone(),
                ends.iter().map(|(_, end)| at(end)).collect(),
            )
        })
        .collect();
    GrowthTable {
        columns: ends.into_iter().map(|(label, _)| label).collect(),
        rows,
    }
}
