//! The page's HTML, from the templates in `src/report/templates/` (askama): the page copy
//! lives there, and this module prepares the values it shows. askama escapes every value
//! it inserts through [`NamedEntities`], and the embedded JSON goes through
//! [`json_for_script`], so a name like `<script>` shows as text.

use std::fmt;

use askama::Template;

use super::history::{OrgAtSnapshot, METRICS};
use super::listings::{RepoLine, MOST_LISTED};
use super::{OrgLine, ReportData};
use crate::domain::Forge;
use crate::lake::{outputs, Output};

/// The NHS.UK frontend's subset the page uses (`make nhsuk-css`), then the page's own styles.
const NHSUK_CSS: &str = include_str!("nhsuk-frontend.css");
const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

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
const MUTED: &str = "#768692";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Askama's escaper for the page: the entities [`escape`] writes (askama's own writes
/// numeric ones), so the page reads the same whichever way a value reaches it.
#[derive(Clone, Copy)]
pub struct NamedEntities;

impl askama::filters::Escaper for NamedEntities {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        dest.write_str(&escape(text))
    }
}

/// `url` when it may be a link: `https://` on `origin` (GitHub's web origin), so
/// `javascript:`, `data:` or another site never becomes one.
pub fn safe_href<'a>(url: &'a str, origin: &url::Origin) -> Option<&'a str> {
    let parsed = url::Url::parse(url).ok()?;
    (parsed.scheme() == "https" && parsed.origin() == *origin).then_some(url)
}

/// "GitHub", "GitLab" or "GitHub and GitLab": where the organisations publish.
fn forges(data: &ReportData) -> String {
    let on = |forge| data.orgs.iter().any(|o| o.forge == forge);
    let names: Vec<&str> = Forge::ALL
        .into_iter()
        .filter(|f| on(*f))
        .map(Forge::name)
        .collect();
    match names.as_slice() {
        [] => Forge::Github.name().to_string(),
        names => names.join(" and "),
    }
}

/// A repository's link: on GitHub's web origin, or a GitLab project's on the `https` origin
/// of its group's instance (the host its org_login names).
fn repo_href<'a>(repo: &'a RepoLine, github: &url::Origin) -> Option<&'a str> {
    match repo.forge {
        Forge::Github => safe_href(&repo.url, github),
        Forge::Gitlab => {
            let host = repo.org_login.split('/').next()?;
            let origin = url::Url::parse(&format!("https://{host}")).ok()?.origin();
            safe_href(&repo.url, &origin)
        }
    }
}

/// An organisation's link: on GitHub's web origin, or for a GitLab group on the `https`
/// origin of the host its Organisation names (`gitlab.com/nhsbsa` → `https://gitlab.com`).
fn org_href<'a>(org: &'a OrgLine, github: &url::Origin) -> Option<&'a str> {
    match org.forge {
        Forge::Github => safe_href(&org.url, github),
        Forge::Gitlab => {
            let host = org.organisation.split('/').next()?;
            let origin = url::Url::parse(&format!("https://{host}")).ok()?.origin();
            safe_href(&org.url, &origin)
        }
    }
}

/// JSON that cannot close its `<script>` element or open a comment.
fn json_for_script(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// What `templates/index.html` shows: the report's data and the values derived for display.
#[derive(Template)]
#[template(path = "index.html")]
struct Page<'a> {
    data: &'a ReportData,
    date: String,
    /// The forges the organisations publish on: "GitHub", or "GitHub and GitLab".
    forges: String,
    build_marker: String,
    nhsuk_css: &'static str,
    css: &'static str,
    script: &'static str,
    version: &'static str,
    legend: Vec<LegendLine<'a>>,
    series_json: String,
    table_1: Vec<OrgRow<'a>>,
    languages: ShareChart<'a>,
    language_bytes: Option<ShareChart<'a>>,
    licences: ShareChart<'a>,
    licences_resolved: ShareChart<'a>,
    growth_table: GrowthTable,
    /// `None` with a single snapshot: trends need two.
    trends: Option<Vec<TrendChart>>,
    repositories: Vec<RepoRow<'a>>,
    /// How many kept repositories there are, when the list shows only the most-starred.
    repositories_cut: Option<usize>,
    /// The published Parquet table, relative to `site/index.html`.
    tables_href: String,
}

/// One metric's trend: a chart of each organisation's value at each snapshot, and the same
/// numbers as a table (the last snapshots, when there are many).
struct TrendChart {
    id: &'static str,
    title: &'static str,
    note: &'static str,
    /// The chart's SVG elements, drawn here: no script needed.
    svg: String,
    dates: Vec<String>,
    rows: Vec<(String, Vec<Option<i64>>)>,
}

/// A repository of the list, linked when its URL is safe.
struct RepoRow<'a> {
    repo: &'a RepoLine,
    href: Option<&'a str>,
}

/// The growth chart's text alternative: each organisation's open repositories at the end of
/// each year, and at the snapshot date.
struct GrowthTable {
    columns: Vec<String>,
    rows: Vec<(String, Vec<i64>)>,
}

/// An organisation's button under the growth chart.
struct LegendLine<'a> {
    organisation: &'a str,
    /// Said after the name for a GitLab group; GitHub is the default.
    forge_note: &'static str,
    colour: &'static str,
    /// Its SVG dash pattern, so a line is told apart without its colour.
    dash: &'static str,
}

/// A row of Table 1: the organisation, linked when its URL is safe.
struct OrgRow<'a> {
    org: &'a OrgLine,
    href: Option<&'a str>,
}

/// A share chart: the ten largest shares, the rest summed as "Others".
struct ShareChart<'a> {
    id: &'a str,
    title: &'a str,
    /// What the counts are: "Repositories", "Bytes".
    unit: &'a str,
    bars: Vec<Bar>,
}

struct Bar {
    name: String,
    /// The count as the chart writes it (a number, or bytes as "1.2 MB").
    count: String,
    share: f64,
}

/// Where a copy of the page is published, which decides its relative link to the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCopy {
    /// `site/index.html`: links to its build's copy of the table, `../gold/_builds/…`.
    Latest,
    /// `site/snapshot_date=S/build=B/index.html`: links to its build's own copy of the table,
    /// `../../../gold/_builds/…`, never to a partition a later build may replace.
    OfBuild,
}

/// The whole page, as published at `copy`. The same data always gives the same bytes.
pub fn render(data: &ReportData, copy: PageCopy) -> String {
    let colours = colour_largest(data);
    let chart = |id, title, rows, show| ShareChart::new(id, title, rows, show);
    let table = Output::GoldTable("org_latest");
    // Both copies link to the build's own table: the current partition's file is named by
    // its bytes, and this one is never replaced.
    let of_build = outputs::build_copy(data.snapshot_date, &data.build_id, &table);
    let tables_href = match copy {
        PageCopy::Latest => format!("../{of_build}"),
        PageCopy::OfBuild => format!("../../../{of_build}"),
    };
    let page = Page {
        data,
        date: data.snapshot_date.to_string(),
        forges: forges(data),
        build_marker: super::build_marker(&data.build_id),
        nhsuk_css: NHSUK_CSS,
        css: CSS,
        script: SCRIPT,
        version: env!("CARGO_PKG_VERSION"),
        legend: legend(data, &colours),
        series_json: series_json(data, &colours),
        table_1: data
            .orgs
            .iter()
            .map(|org| OrgRow {
                org,
                href: org_href(org, &data.link_origin),
            })
            .collect(),
        languages: chart(
            "languages",
            "Primary languages",
            &data.languages,
            REPOSITORIES,
        ),
        language_bytes: (!data.language_bytes.is_empty()).then(|| {
            let title = "Languages by bytes of code";
            chart("language-bytes", title, &data.language_bytes, BYTES)
        }),
        licences: chart(
            "licences",
            "Licences as GitHub reports them",
            &data.licences,
            REPOSITORIES,
        ),
        licences_resolved: chart(
            "licences-resolved",
            "Licences, \u{201c}Other\u{201d} identified from its text",
            &data.licences_resolved,
            REPOSITORIES,
        ),
        growth_table: growth_table(data),
        trends: trends(data, &colours),
        repositories: data
            .repositories
            .iter()
            .take(MOST_LISTED)
            .map(|repo| RepoRow {
                repo,
                href: repo_href(repo, &data.link_origin),
            })
            .collect(),
        repositories_cut: (data.repositories.len() > MOST_LISTED)
            .then_some(data.repositories.len()),
        tables_href,
    };
    // Askama writes to a String, and every value shown displays without failing.
    page.render().expect("the page renders")
}

/// The buttons under the growth chart: the ten largest organisations in colour, the rest grey.
fn legend<'a>(
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

/// The trend charts, one per metric, when the history holds two snapshots or more. Lines
/// are keyed by org_login, named and coloured as the organisation is today.
fn trends(
    data: &ReportData,
    colours: &[Option<(&'static str, &'static str)>],
) -> Option<Vec<TrendChart>> {
    let mut dates: Vec<&str> = data.history.iter().map(|h| h.date.as_str()).collect();
    dates.sort_unstable();
    dates.dedup();
    if dates.len() < 2 {
        return None;
    }
    // Today's organisations in Table 1's order, then any that left, by login.
    let mut orgs: Vec<(&str, &str)> = Vec::new();
    let latest = data.history.iter().rev();
    for point in latest {
        if !orgs.iter().any(|(login, _)| *login == point.org_login) {
            orgs.push((&point.org_login, &point.display_name));
        }
    }
    let rank = |name: &str| data.orgs.iter().position(|o| o.display_name == name);
    orgs.sort_by_key(|(login, name)| (rank(name).unwrap_or(usize::MAX), *login));
    let style = |name: &str| {
        rank(name)
            .and_then(|r| {
                data.series
                    .iter()
                    .position(|s| s.organisation == data.orgs[r].organisation)
            })
            .and_then(|i| colours.get(i).copied().flatten())
    };
    let shown: Vec<&str> = dates.iter().rev().take(12).rev().copied().collect();
    let charts = METRICS
        .iter()
        .map(|&(metric, title, note)| {
            let value = |login: &str, date: &str| {
                data.history
                    .iter()
                    .find(|h| h.org_login == login && h.date == date)
                    .map(|h| h.value(metric))
            };
            let rows = orgs
                .iter()
                .map(|(login, name)| {
                    let values = shown.iter().map(|d| value(login, d)).collect();
                    (name.to_string(), values)
                })
                .collect();
            TrendChart {
                id: metric,
                title,
                note,
                svg: trend_svg(&data.history, metric, &dates, &orgs, &style),
                dates: shown.iter().map(|d| d.to_string()).collect(),
                rows,
            }
        })
        .collect();
    Some(charts)
}

/// The SVG elements of one trend chart, 960 by 300 user units (CSS pixels at the page's
/// widest): axes with the first, middle and last snapshot dates, and one line per
/// organisation, coloured and dashed as in the growth chart for the ten largest.
fn trend_svg(
    history: &[OrgAtSnapshot],
    metric: &str,
    dates: &[&str],
    orgs: &[(&str, &str)],
    style: &dyn Fn(&str) -> Option<(&'static str, &'static str)>,
) -> String {
    const W: f64 = 960.0;
    const H: f64 = 300.0;
    let (left, right, top, bottom) = (72.0, 24.0, 16.0, 40.0);
    let day = |d: &str| {
        use chrono::Datelike;
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_or(0, |d| d.num_days_from_ce())
    };
    let (first, last) = (day(dates[0]), day(dates[dates.len() - 1]));
    let x = |d: &str| {
        left + (W - left - right) * f64::from(day(d) - first) / f64::from((last - first).max(1))
    };
    let max = history
        .iter()
        .map(|h| h.value(metric))
        .max()
        .unwrap_or(0)
        .max(1);
    let y = |v: i64| H - bottom - (H - top - bottom) * v as f64 / max as f64;
    let mut svg = String::new();
    for v in [0, max / 2, max] {
        svg.push_str(&format!(
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"></line>\
             <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            W - right,
            left - 8.0,
            y(v) + 5.0,
            y = y(v)
        ));
    }
    let middle = dates[dates.len() / 2];
    let mut labelled = vec![(dates[0], "start"), (dates[dates.len() - 1], "end")];
    if dates.len() > 2 {
        labelled.push((middle, "middle"));
    }
    for (date, anchor) in labelled {
        svg.push_str(&format!(
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{date}</text>",
            x(date),
            H - 12.0
        ));
    }
    // Muted lines first, so the coloured ones are drawn over them.
    let mut ordered: Vec<&(&str, &str)> = orgs.iter().collect();
    ordered.sort_by_key(|(_, name)| style(name).is_some());
    for (login, name) in ordered {
        let points: Vec<String> = history
            .iter()
            .filter(|h| h.org_login == *login)
            .map(|h| format!("{:.1},{:.1}", x(&h.date), y(h.value(metric))))
            .collect();
        if points.is_empty() {
            continue;
        }
        let (colour, dash) = style(name).unwrap_or((MUTED, ""));
        let class = if style(name).is_some() {
            "trend"
        } else {
            "trend muted"
        };
        svg.push_str(&format!(
            "<polyline class=\"{class}\" points=\"{}\" stroke=\"{colour}\" stroke-dasharray=\"{dash}\"><title>{}</title></polyline>",
            points.join(" "),
            escape(name)
        ));
    }
    svg
}

/// The end of each year from the first point's to the year before the snapshot, then the
/// snapshot date, with each organisation's count on each.
fn growth_table(data: &ReportData) -> GrowthTable {
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

/// The growth chart's data for the page's script: each organisation's points and colour.
fn series_json(data: &ReportData, colours: &[Option<(&str, &str)>]) -> String {
    let series: Vec<serde_json::Value> = data
        .series
        .iter()
        .zip(colours)
        .map(|(s, colour)| {
            serde_json::json!({
                "organisation": s.organisation,
                "forge": s.forge.name(),
                "colour": colour.map(|c| c.0),
                "dash": colour.map_or("", |c| c.1),
                "points": s.points.iter().map(|(d, v)| serde_json::json!([d, v])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let json =
        serde_json::json!({"snapshot_date": data.snapshot_date.to_string(), "series": series});
    json_for_script(&json)
}

/// A colour and a dash pattern for each of the ten organisations with the most open
/// repositories.
fn colour_largest(data: &ReportData) -> Vec<Option<(&'static str, &'static str)>> {
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

impl<'a> ShareChart<'a> {
    /// The ten largest of `rows` (name, count, share), the rest summed as "Others"; `show`
    /// writes a count.
    fn new(
        id: &'a str,
        title: &'a str,
        rows: &[(String, i64, f64)],
        (unit, show): (&'a str, fn(i64) -> String),
    ) -> Self {
        let mut shown: Vec<(String, i64, f64)> = rows.iter().take(10).cloned().collect();
        if rows.len() > 10 {
            let rest = &rows[10..];
            shown.push((
                "Others".to_string(),
                rest.iter().map(|r| r.1).sum(),
                rest.iter().map(|r| r.2).sum(),
            ));
        }
        let bars = shown
            .into_iter()
            .map(|(name, count, share)| Bar {
                name,
                count: show(count),
                share,
            })
            .collect();
        ShareChart {
            id,
            title,
            unit,
            bars,
        }
    }
}

const REPOSITORIES: (&str, fn(i64) -> String) = ("Repositories", |count| count.to_string());
const BYTES: (&str, fn(i64) -> String) = ("Bytes", human_bytes);

/// 1,234,567 bytes as "1.2 MB" (decimal units, as GitHub shows sizes).
fn human_bytes(count: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Headline, Series};
    use super::*;

    fn render_latest(data: &ReportData) -> String {
        render(data, PageCopy::Latest)
    }

    #[test]
    fn each_copy_of_the_page_links_to_the_tables_from_where_it_is() {
        let data = data("nhsx");
        let latest = render(&data, PageCopy::Latest);
        let copy = render(&data, PageCopy::OfBuild);
        let table = format!(
            "gold/_builds/snapshot_date=2021-03-04/build={}/org_latest.parquet\"",
            data.build_id
        );
        assert!(latest.contains(&format!("href=\"../{table}")), "{table}");
        assert!(
            copy.contains(&format!("href=\"../../../{table}")),
            "{table}"
        );
    }

    #[test]
    fn only_https_urls_on_githubs_web_origin_become_links() {
        let github = url::Url::parse("https://github.com").unwrap().origin();
        assert_eq!(
            safe_href("https://github.com/nhsx", &github),
            Some("https://github.com/nhsx")
        );
        for hostile in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "//evil.example/nhsx",
            "http://github.com/nhsx",
            "https://github.com.evil.example/nhsx",
            "https://evil.example/https://github.com/",
            "",
        ] {
            assert_eq!(safe_href(hostile, &github), None, "{hostile}");
        }
    }

    #[test]
    fn a_groups_link_stays_on_its_own_instance() {
        let github = url::Url::parse("https://github.com").unwrap().origin();
        let group = |url: &str| OrgLine {
            organisation: "git.example.nhs.uk:8443/trust/data".into(),
            forge: Forge::Gitlab,
            url: url.into(),
            ..data("x").orgs[1].clone()
        };
        let own = "https://git.example.nhs.uk:8443/groups/trust/data";
        assert_eq!(org_href(&group(own), &github), Some(own));
        for elsewhere in [
            "https://github.com/trust",
            "https://git.example.nhs.uk/groups/trust/data",
            "http://git.example.nhs.uk:8443/groups/trust/data",
        ] {
            assert_eq!(org_href(&group(elsewhere), &github), None, "{elsewhere}");
        }
    }

    fn data(name: &str) -> ReportData {
        ReportData {
            build_id: "0123456789abcdef".into(),
            link_origin: url::Url::parse("https://github.com").unwrap().origin(),
            snapshot_date: "2021-03-04".parse().unwrap(),
            headline: Headline {
                organisations: 2,
                open_repositories: 5,
                first_repo: Some((name.into(), "first".into(), 2014)),
                top_languages: vec!["Python".into()],
            },
            orgs: vec![
                OrgLine {
                    organisation: name.into(),
                    forge: Forge::Github,
                    display_name: name.into(),
                    url: format!("https://github.com/x?a=1&b=\"{name}\""),
                    open_repositories: 3,
                    top_language: Some(name.into()),
                    top_license: None,
                    stars: 1,
                    forks: 2,
                    open_issues: 3,
                    pct_licensed: Some(50.0),
                },
                OrgLine {
                    organisation: "gitlab.com/small".into(),
                    forge: Forge::Gitlab,
                    display_name: "Small".into(),
                    url: "https://gitlab.com/groups/small".into(),
                    open_repositories: 2,
                    top_language: None,
                    top_license: None,
                    stars: 0,
                    forks: 0,
                    open_issues: 0,
                    pct_licensed: None,
                },
            ],
            series: vec![Series {
                organisation: name.into(),
                forge: Forge::Github,
                points: vec![("2021-03-04".into(), 3)],
            }],
            languages: vec![(name.into(), 3, 0.6)],
            licences: vec![("No licence".into(), 5, 1.0)],
            licences_resolved: vec![("No licence".into(), 5, 1.0)],
            language_bytes: vec![(name.into(), 1_234_567, 1.0)],
            topics: vec![(name.into(), 2, 0.4)],
            org_topics: vec![(name.into(), vec![(name.into(), 2)])],
            repositories: vec![super::super::listings::RepoLine {
                org_login: name.into(),
                organisation: name.into(),
                forge: Forge::Github,
                name: name.into(),
                full_name: format!("{name}/{name}"),
                url: format!("https://github.com/x/{name}"),
                language: Some(name.into()),
                licence: None,
                stars: 1,
                topics: name.into(),
                created: "2020-01-02".into(),
            }],
            history: Vec::new(),
        }
    }

    #[test]
    fn data_values_are_escaped_everywhere() {
        let hostile = "<script>alert('x')</script>";
        let page = render_latest(&data(hostile));
        assert!(
            !page.contains(hostile),
            "a data value reached the page unescaped"
        );
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(
            page.contains("\\u003cscript\\u003e"),
            "JSON in the page cannot close its script"
        );
        assert!(
            page.contains("a=1&amp;b=&quot;"),
            "attribute values are escaped"
        );
        // Only the page's own script element exists, besides the data block.
        assert_eq!(page.matches("<script").count(), 2);
    }

    /// The page's weight at the size the site is meant for: 30 organisations, 2,000
    /// repositories with a language, a licence and two topics each (docs/operating.md, "Report", states it).
    #[test]
    fn the_page_stays_light_at_2000_repositories_and_30_organisations() {
        let mut data = data("nhsx");
        let template = data.orgs[0].clone();
        let repo = data.repositories[0].clone();
        data.orgs = (0..30)
            .map(|i| OrgLine {
                organisation: format!("organisation-{i}"),
                display_name: format!("NHS Organisation {i}"),
                url: format!("https://github.com/organisation-{i}"),
                ..template.clone()
            })
            .collect();
        data.repositories = (0..2000)
            .map(|i| RepoLine {
                organisation: format!("NHS Organisation {}", i % 30),
                name: format!("repository-{i}"),
                full_name: format!("organisation-{}/repository-{i}", i % 30),
                url: format!("https://github.com/organisation-{}/repository-{i}", i % 30),
                language: Some("TypeScript".into()),
                licence: Some("MIT License".into()),
                topics: "nhs, fhir".into(),
                ..repo.clone()
            })
            .collect();
        let page = render_latest(&data);
        let kib = page.len() / 1024;
        eprintln!("page at 2,000 repositories and 30 organisations: {kib} KiB");
        assert!(
            (350..=600).contains(&kib),
            "{kib} KiB: update the figure in docs/operating.md"
        );
    }

    #[test]
    fn the_growth_tables_columns_are_year_ends_then_the_snapshot() {
        let mut data = data("nhsx");
        data.series[0].points = vec![
            ("2019-05-01".into(), 1),
            ("2020-12-31".into(), 3),
            ("2021-01-02".into(), 4),
        ];
        let table = growth_table(&data);
        assert_eq!(table.columns, ["2019", "2020", "2021-03-04"]);
        assert_eq!(table.rows[0], ("nhsx".to_string(), vec![1, 3, 4]));
    }

    #[test]
    fn empty_sections_say_why() {
        let mut empty = data("nhsx");
        empty.language_bytes.clear();
        empty.topics.clear();
        let page = render_latest(&empty);
        assert!(page.contains(
            "<h2 id=\"language-bytes-heading\">Languages by bytes of code</h2>\n\
             <p>Not collected for this snapshot (see the run manifest).</p>\n</figure>\n"
        ));
        assert!(page.contains(
            "<h2 id=\"topics-heading\">Topics</h2>\n\
             <p>No kept repository has topics in this snapshot.</p>\n<h2 id=\"repositories-heading\">"
        ));
        assert!(page.contains(
            "<p id=\"trends-pending\">Trends appear from the second snapshot: this lake holds one so far.</p>"
        ));
        assert!(page.ends_with("</html>\n"));
    }

    #[test]
    fn the_page_shows_the_data_date_and_loads_nothing() {
        let page = render_latest(&data("nhsx"));
        assert!(page.contains(
            "Data as of <time datetime=\"2021-03-04\" id=\"snapshot-date\">2021-03-04</time>"
        ));
        assert!(
            !page.contains("<script src") && !page.contains("<link"),
            "no network resources"
        );
        let rows = page
            .matches("<th scope=\"row\" class=\"nhsuk-table__header\" data-sort=")
            .count();
        assert_eq!(rows, 2);
        assert!(page.find(">nhsx</a>").unwrap() < page.find(">Small</a>").unwrap());
        assert!(page.contains("public GitHub and GitLab repositories of 2 organisations"));
        let mut github_only = data("nhsx");
        github_only.orgs.truncate(1);
        assert!(
            render_latest(&github_only).contains("public GitHub repositories of 1 organisations")
        );
    }
}
