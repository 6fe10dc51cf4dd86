//! An organisation's page (`templates/org.html`, published as `site/orgs/<slug>.html`): its
//! numbers, its growth drawn here as SVG, its trend across snapshots, its shares, and every
//! one of its kept repositories. It links only within `site/` (to the index, relative to
//! itself), so the same bytes serve the current site and its build's copy.

use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::growth::{chart_line, growth_table, GrowthTable};
use super::safe::{forge_origin, json_for_script, org_href, safe_href};
use super::shares::{ShareChart, BYTES, REPOSITORIES};
use super::trends::value_axis;
use super::Shell;
use crate::report::history::OrgAtSnapshot;
use crate::report::listings::RepoLine;
use crate::report::orgs::{site_root_from_page, OrgShares};
use crate::report::{OrgLine, ReportData, Series};

/// What one organisation's page is drawn from.
pub struct OrgPageData<'a> {
    pub data: &'a ReportData,
    pub org: &'a OrgLine,
    pub series: Option<&'a Series>,
    /// Its rows of the history, in date order.
    pub history: Vec<&'a OrgAtSnapshot>,
    pub shares: &'a OrgShares,
    /// Every kept repository, most stars first.
    pub repositories: Vec<RepoLine<&'a str>>,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    shell: Shell,
    org: &'a OrgLine,
    /// The organisation on its forge, when its URL is safe to link.
    forge_href: Option<&'a str>,
    /// Its line for the index's growth chart, which fetches it from this page.
    line_json: String,
    growth_svg: String,
    growth_table: GrowthTable,
    history: &'a [&'a OrgAtSnapshot],
    languages: ShareChart<'a>,
    language_bytes: Option<ShareChart<'a>>,
    licences: ShareChart<'a>,
    licences_resolved: ShareChart<'a>,
    topics: Option<ShareChart<'a>>,
    repositories: Vec<(&'a RepoLine<&'a str>, Option<&'a str>)>,
}

/// The organisation's page. The same data always gives the same bytes.
pub fn render_org(page: &OrgPageData) -> String {
    let (data, org, shares) = (page.data, page.org, page.shares);
    // Every repository of the page is on its organisation's forge.
    let origin = forge_origin(org.forge, &org.org_login, &data.link_origin);
    let root = site_root_from_page(&org.org_login);
    let points = page.series.map_or(&[][..], |s| &s.points);
    let chart = |id, title, rows, show| ShareChart::new(id, title, rows, show);
    let html = OrgPage {
        shell: Shell::below_root(data, root),
        org,
        forge_href: org_href(org, &data.link_origin),
        line_json: json_for_script(&chart_line(org, page.series, None)),
        growth_svg: growth_svg(points, data.snapshot_date.date()),
        growth_table: growth_table(data, &[(org.display_name.as_str(), points)]),
        history: &page.history,
        languages: chart(
            "languages",
            "Primary languages",
            &shares.languages,
            REPOSITORIES,
        ),
        language_bytes: (!shares.language_bytes.is_empty()).then(|| {
            let title = "Languages by bytes of code";
            chart("language-bytes", title, &shares.language_bytes, BYTES)
        }),
        licences: chart(
            "licences",
            "Licences as the forge reports them",
            &shares.licences,
            REPOSITORIES,
        ),
        licences_resolved: chart(
            "licences-resolved",
            "Licences, \u{201c}Other\u{201d} identified from its text",
            &shares.licences_resolved,
            REPOSITORIES,
        ),
        topics: (!shares.topics.is_empty())
            .then(|| chart("topics", "Topics", &shares.topics, REPOSITORIES)),
        repositories: (page.repositories.iter())
            .map(|repo| (repo, origin.as_ref().and_then(|o| safe_href(repo.url, o))))
            .collect(),
    };
    // Askama writes to a String, and every value shown displays without failing.
    html.render().expect("the organisation page renders")
}

/// The organisation's open repositories over time as SVG elements, 960 by 300 user units: a
/// step line from its first repository's day to the snapshot, with year ticks.
fn growth_svg(points: &[(String, i64)], snapshot: NaiveDate) -> String {
    const W: f64 = 960.0;
    const H: f64 = 300.0;
    let (left, right, top, bottom) = (72.0, 24.0, 16.0, 40.0);
    let day = |d: &str| d.parse::<NaiveDate>().unwrap_or(snapshot);
    let end = snapshot.num_days_from_ce();
    let start = points
        .first()
        .map_or(end - 1, |(d, _)| day(d).num_days_from_ce())
        .min(end - 1);
    let x = |d: i32| left + (W - left - right) * f64::from(d - start) / f64::from(end - start);
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let y = |v: i64| H - bottom - (H - top - bottom) * v as f64 / max as f64;
    let mut svg = String::new();
    value_axis(&mut svg, max, (left, W - right), y);
    // Ticks on the first of January of the years after the first repository's.
    let first_year =
        NaiveDate::from_num_days_from_ce_opt(start).map_or(snapshot.year(), |d| d.year() + 1);
    let years: Vec<i32> = (first_year..=snapshot.year()).collect();
    let every = years.len().div_ceil(10).max(1);
    for year in years
        .iter()
        .filter(|y| ((*y - years[0]) as usize).is_multiple_of(every))
    {
        let at = NaiveDate::from_ymd_opt(*year, 1, 1).map_or(start, |d| d.num_days_from_ce());
        svg.push_str(&format!(
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{year}</text>",
            x(at),
            H - 12.0
        ));
    }
    let mut path = format!("M{:.1},{:.1}", x(start), y(0));
    for (date, count) in points {
        path.push_str(&format!(
            "H{:.1}V{:.1}",
            x(day(date).num_days_from_ce()),
            y(*count)
        ));
    }
    path.push_str(&format!("H{:.1}", x(end)));
    svg.push_str(&format!("<path class=\"step\" d=\"{path}\"></path>"));
    svg
}
