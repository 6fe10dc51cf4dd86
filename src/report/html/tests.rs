//! The page's unit tests: escaping, links, the growth table, and what the page shows.

use super::super::{Headline, Series};
use super::safe::safe_href;
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
    data.repositories_total = data.repositories.len();
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
    assert!(render_latest(&github_only).contains("public GitHub repositories of 1 organisations"));
}
