//! The page's HTML, from the templates in `src/report/templates/` (askama): the page copy
//! lives there, and this module prepares the values it shows. askama escapes every value
//! it inserts through [`NamedEntities`], and the embedded JSON goes through
//! [`json_for_script`](safe::json_for_script), so a name like `<script>` shows as text.

mod growth;
mod org;
mod safe;
mod shares;
#[cfg(test)]
mod tests;
mod trends;

use askama::Template;

use self::growth::{growth_table, largest, legend, series_json, GrowthTable, LegendLine};
pub use self::org::{render_org, OrgPageData};
use self::safe::repo_href;
pub use self::safe::NamedEntities;
use self::shares::{ShareChart, BYTES, REPOSITORIES};
use self::trends::{trends, TrendChart};
use super::listings::{RepoLine, MOST_LISTED};
use super::orgs::page_path;
use super::{OrgLine, ReportData};
use crate::domain::Forge;
use crate::lake::{outputs, Output};

/// The NHS.UK frontend's subset the page uses (`make nhsuk-css`), then the page's own styles.
const NHSUK_CSS: &str = include_str!("../nhsuk-frontend.css");
const CSS: &str = include_str!("../report.css");
const SCRIPT: &str = include_str!("../report.js");

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

/// The organisation pages' shared stylesheet ([`outputs::PAGES_STYLE`]), marked as of the
/// build like the pages, so publish ships it only with them.
pub fn pages_style(build_id: &str) -> String {
    let marker = super::build_marker(build_id);
    format!("/* {marker} */\n{NHSUK_CSS}{CSS}")
}

/// The organisation pages' shared script ([`outputs::PAGES_SCRIPT`]), marked the same way.
pub fn pages_script(build_id: &str) -> String {
    let marker = super::build_marker(build_id);
    format!("/* {marker} */\n{SCRIPT}")
}

/// What every page shows around its own content (`templates/layout.html`).
struct Shell {
    date: String,
    build_marker: String,
    nhsuk_css: &'static str,
    css: &'static str,
    script: &'static str,
    version: &'static str,
    /// `site/` relative to a page other than the index, which links the index and the
    /// shared style and script there (thousands of pages, one copy of each); the index
    /// holds its own, so it fetches nothing.
    root: Option<String>,
}

impl Shell {
    /// The index's: styles and script inline.
    fn index(data: &ReportData) -> Self {
        Shell {
            date: data.snapshot_date.to_string(),
            build_marker: super::build_marker(&data.build_id),
            nhsuk_css: NHSUK_CSS,
            css: CSS,
            script: SCRIPT,
            version: env!("CARGO_PKG_VERSION"),
            root: None,
        }
    }

    /// A page's `root` folders below `site/` (`../`): linking the index, the style and the
    /// script there.
    fn below_root(data: &ReportData, root: String) -> Self {
        Shell {
            root: Some(root),
            ..Self::index(data)
        }
    }
}

/// What `templates/index.html` shows: the report's data and the values derived for display.
#[derive(Template)]
#[template(path = "index.html")]
struct Page<'a> {
    shell: Shell,
    data: &'a ReportData,
    /// The forges the organisations publish on: "GitHub", "GitLab" or "GitHub and GitLab".
    forges: String,
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

/// A repository of the list, linked when its URL is safe, and its organisation's page.
struct RepoRow<'a> {
    repo: &'a RepoLine,
    href: Option<&'a str>,
    page: String,
}

/// A row of Table 1: the organisation, linked to its page.
struct OrgRow<'a> {
    org: &'a OrgLine,
    page: String,
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
    let largest = largest(data);
    let chart = |id, title, rows, show| ShareChart::new(id, title, rows, show);
    let table = Output::GoldTable("org_latest");
    // Both copies link to the build's own table: the current partition's file is named by
    // its bytes, and this one is never replaced.
    let of_build = outputs::build_copy(data.snapshot_date, &data.build_id, &table);
    let tables_href = match copy {
        PageCopy::Latest => format!("../{of_build}"),
        PageCopy::OfBuild => format!("../../../{of_build}"),
    };
    let lines: Vec<(&str, &[(String, i64)])> = (largest.iter())
        .map(|l| {
            (
                l.org.display_name.as_str(),
                l.series.map_or(&[][..], |s| &s.points),
            )
        })
        .collect();
    let page = Page {
        shell: Shell::index(data),
        data,
        forges: forges(data),
        legend: legend(&largest),
        series_json: series_json(data, &largest),
        table_1: (data.orgs.iter())
            .map(|org| OrgRow {
                org,
                page: page_path(&org.org_login),
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
        growth_table: growth_table(data, &lines),
        trends: trends(data, &largest),
        repositories: (data.repositories.iter())
            .map(|repo| RepoRow {
                repo,
                href: repo_href(repo, &data.link_origin),
                page: page_path(&repo.org_login),
            })
            .collect(),
        repositories_cut: (data.repositories_total > MOST_LISTED)
            .then_some(data.repositories_total),
        tables_href,
    };
    // Askama writes to a String, and every value shown displays without failing.
    page.render().expect("the page renders")
}
