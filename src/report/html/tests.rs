//! The page's unit tests: escaping, links, the growth table, and what the page shows.

use super::super::{Headline, Series};
use super::safe::{org_href, safe_href};
use super::*;
use crate::report::listings::Day;

/// `line` as an organisation page's list reads it, borrowed from gold.
fn borrowed(line: &RepoLine) -> RepoLine<&str> {
    RepoLine {
        org_login: &line.org_login,
        organisation: &line.organisation,
        forge: line.forge,
        name: &line.name,
        full_name: &line.full_name,
        url: &line.url,
        language: line.language.as_deref(),
        licence: line.licence.as_deref(),
        stars: line.stars,
        topics: &line.topics,
        created: line.created,
    }
}

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
    for own in [
        "https://github.com/nhsx",
        "https://github.com/nhsx/a b?q=<x>#\"",
        "https://GitHub.com/nhsx",
        "https://github.com:443/nhsx",
    ] {
        assert_eq!(safe_href(own, &github), Some(own), "{own}");
    }
    for hostile in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/nhsx",
        "http://github.com/nhsx",
        "https://github.com.evil.example/nhsx",
        "https://evil.example/https://github.com/",
        "https://github.com@evil.example/nhsx",
        "https://github.comevil.example/nhsx",
        "https://github.com:8443/nhsx",
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
                org_login: name.into(),
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
                org_login: "gitlab.com/small".into(),
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
        org_shares: Default::default(),
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
            created: Day(18_263), // 2020-01-02
        }],
        repositories_total: 1,
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
    // Only the page's own script element exists, besides the data block.
    assert_eq!(page.matches("<script").count(), 2);
    let data = data(hostile);
    let org = render_org(&OrgPageData {
        data: &data,
        org: &data.orgs[0],
        series: Some(&data.series[0]),
        history: Vec::new(),
        shares: &Default::default(),
        repositories: data.repositories.iter().map(borrowed).collect(),
    });
    assert!(!org.contains(hostile));
    assert!(org.contains("\\u003cscript\\u003e"));
    assert!(
        org.contains("a=1&amp;b=&quot;"),
        "attribute values are escaped"
    );
    assert_eq!(org.matches("<script").count(), 2);
}

/// `n` organisations of a snapshot of 2021-03-04, each with a growth series of `points`
/// days and a history of `snapshots` snapshots, and the 100 most-starred of `repositories`
/// listed, as `read` gives them.
fn data_at_scale(n: usize, points: usize, snapshots: usize, repositories: usize) -> ReportData {
    let mut data = data("nhsx");
    let template = data.orgs[0].clone();
    let repo = data.repositories[0].clone();
    let login = |i| format!("organisation-{i}");
    data.orgs = (0..n)
        .map(|i| OrgLine {
            org_login: login(i),
            organisation: login(i),
            display_name: format!("NHS Foundation Trust Number {i}"),
            url: format!("https://github.com/organisation-{i}"),
            top_language: Some("TypeScript".into()),
            top_license: Some("Open Government Licence v3.0".into()),
            open_repositories: 12_345,
            stars: 123_456,
            forks: 12_345,
            open_issues: 1_234,
            ..template.clone()
        })
        .collect();
    let day = |d: usize| super::super::listings::day(15_000 + d as i32);
    data.series = (0..n)
        .map(|i| Series {
            organisation: login(i),
            forge: Forge::Github,
            points: (0..points).map(|d| (day(d), d as i64 + 1)).collect(),
        })
        .collect();
    data.history = (0..snapshots)
        .flat_map(|s| {
            (0..n).map(move |i| crate::report::history::OrgAtSnapshot {
                date: day(18_000 - 15_000 + s),
                org_login: format!("organisation-{i}"),
                display_name: format!("NHS Foundation Trust Number {i}"),
                open_repositories: 1_000 + s as i64,
                stars: 10_000,
                forks: 1_000,
                open_issues: 100,
            })
        })
        .collect();
    data.repositories = (0..MOST_LISTED)
        .map(|i| RepoLine {
            org_login: login(i % n),
            organisation: format!("NHS Foundation Trust Number {}", i % n),
            name: format!("repository-{i}"),
            full_name: format!("organisation-{}/repository-{i}", i % n),
            url: format!("https://github.com/organisation-{}/repository-{i}", i % n),
            language: Some("TypeScript".into()),
            licence: Some("MIT License".into()),
            topics: "nhs, fhir".into(),
            ..repo.clone()
        })
        .collect();
    data.repositories_total = repositories;
    data
}

/// The index at the wider field's scale (issue 30: at most 1 MB at 2,000 organisations and
/// 100,000 repositories), with a long history and twelve snapshots of trends: Table 1 has a
/// row per organisation, and the rest of the page is the same size however many there are.
#[test]
fn the_index_stays_under_a_megabyte_at_2000_organisations() {
    // Ten years of daily points for each of the ten lines drawn.
    let page = render_latest(&data_at_scale(2_000, 3_650, 12, 100_000));
    let kib = page.len() / 1024;
    eprintln!("index at 2,000 organisations and 100,000 repositories: {kib} KiB");
    assert!(page.len() <= 1_000_000, "{kib} KiB");
    assert_eq!(
        page.matches("<tr><th scope=\"row\"><a href=").count(),
        2_000
    );
    let small = render_latest(&data_at_scale(30, 1_000, 12, 2_000));
    assert!(
        page.len() - small.len() < 2_000 * 400,
        "Table 1 rows grow it, little else"
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
    let table = growth_table(&data, &[("nhsx", &data.series[0].points)]);
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
    // Its one link element fetches nothing: it holds rendering until the footer is parsed.
    assert!(
        !page.contains("<script src")
            && page.matches("<link").count() == 1
            && page.contains("<link rel=\"expect\" href=\"#site-footer\" blocking=\"render\">"),
        "no network resources"
    );
    let rows = page.matches("<tr><th scope=\"row\"><a href=").count();
    assert_eq!(rows, 2);
    assert!(page.find(">nhsx</a>").unwrap() < page.find(">Small</a>").unwrap());
    assert!(page.contains("public GitHub and GitLab repositories of 2 organisations"));
    let mut github_only = data("nhsx");
    github_only.orgs.truncate(1);
    assert!(render_latest(&github_only).contains("public GitHub repositories of 1 organisations"));
}

#[test]
fn the_shared_style_and_script_are_marked_as_of_their_build() {
    let marker = crate::formats::build::build_marker("abc123");
    let (style, script) = (pages_style("abc123"), pages_script("abc123"));
    assert!(style.starts_with(&format!("/* {marker} */\n")));
    assert!(script.starts_with(&format!("/* {marker} */\n")));
    assert!(style.contains(".nhsuk-header") && style.ends_with(CSS));
    assert!(script.ends_with(SCRIPT));
}

#[test]
fn an_organisation_page_shows_its_own_numbers_and_links_home() {
    let mut data = data("nhsx");
    let shares = crate::report::orgs::OrgShares {
        languages: vec![("Python".into(), 2, 2.0 / 3.0)],
        topics: vec![("fhir".into(), 1, 1.0 / 3.0)],
        ..Default::default()
    };
    data.org_shares.insert("nhsx".into(), shares);
    let point = |date: &str, open| crate::report::history::OrgAtSnapshot {
        date: date.into(),
        org_login: "nhsx".into(),
        display_name: "nhsx".into(),
        open_repositories: open,
        stars: 7,
        forks: 8,
        open_issues: 9,
    };
    let history = [point("2021-02-04", 2), point("2021-03-04", 3)];
    let page = render_org(&OrgPageData {
        data: &data,
        org: &data.orgs[0],
        series: Some(&data.series[0]),
        history: history.iter().collect(),
        shares: &data.org_shares["nhsx"],
        repositories: data.repositories.iter().map(borrowed).collect(),
    });
    assert!(page.contains("<h1>nhsx</h1>"));
    assert!(page.contains("<a href=\"../index.html\">All organisations</a>"));
    assert!(page.contains("\"display_name\":\"nhsx\",\"forge\":\"GitHub\",\"organisation\":\"nhsx\",\"start\":\"2021-03-04\",\"steps\":[[0,3]]"));
    assert!(page.contains("<tr><th scope=\"row\">2021-02-04</th><td class=\"num\">2</td>"));
    assert!(page.contains("<span tabindex=\"0\" title=\"Python\">Python</span>"));
    assert!(page.contains("<span tabindex=\"0\" title=\"fhir\">fhir</span>"));
    assert!(page.contains("<a href=\"https://github.com/x/nhsx\">nhsx</a>"));
    assert!(page.contains("All 1 kept repositories"));
    assert!(!page.contains("trends-pending"));
    // It shares the site's one copy of the style and script, and holds none of its own.
    assert!(page.contains("<link rel=\"stylesheet\" href=\"../style.css\">"));
    assert!(page.contains("<script src=\"../script.js\" defer></script>"));
    assert!(!page.contains("<style>") && !page.contains(".nhsuk-header"));
    // A GitLab group's page is in folders of its path, and links home from there.
    let group = render_org(&OrgPageData {
        data: &data,
        org: &data.orgs[1],
        series: None,
        history: Vec::new(),
        shares: &Default::default(),
        repositories: Vec::new(),
    });
    assert!(group.contains("<a href=\"../../index.html\">All organisations</a>"));
    assert!(group.contains("<link rel=\"stylesheet\" href=\"../../style.css\">"));
    assert!(group.contains("<p id=\"trends-pending\">"));
    assert!(group.contains("\"start\":null,\"steps\":[]"));
}
