//! The site CSV, hand-computed: each rule of the series and each bug of the previous
//! pipeline (duplicate rows, cross-org fill, random order) pinned by a case.

use crate::common::{assert_success, RepoJson as R, Workdir};

/// Runs the pipeline offline over `orgs` (login, pages) and returns the published CSV.
fn site_csv(orgs: &[(&str, Vec<Vec<R>>)], date: &str) -> String {
    let work = Workdir::new();
    for (login, pages) in orgs {
        work.record_pages(login, pages);
    }
    let logins: Vec<&str> = orgs.iter().map(|(l, _)| *l).collect();
    work.config(&logins);
    assert_success(&work.run_offline(date));
    work.read("lake/site/org_repos_agg.csv")
}

const HEADER: &str = "Organisation,Date,Open Repositories,Top Language,Top License,URL\n";

#[test]
fn ties_go_to_the_greatest_name_whichever_comes_first() {
    let forwards = vec![vec![
        R::new(1, "acme", "2020-01-01T10:00:00Z")
            .language("HTML")
            .license("MIT License"),
        R::new(2, "acme", "2020-01-02T10:00:00Z")
            .language("JavaScript")
            .license("Apache License 2.0"),
        R::new(3, "acme", "2020-01-03T10:00:00Z").language("HTML"),
    ]];
    let backwards = vec![vec![
        R::new(4, "zeta", "2020-01-01T10:00:00Z")
            .language("JavaScript")
            .license("Apache License 2.0"),
        R::new(5, "zeta", "2020-01-02T10:00:00Z")
            .language("HTML")
            .license("MIT License"),
    ]];
    let csv = site_csv(&[("acme", forwards), ("zeta", backwards)], "2020-02-01");
    let expected = [
        "acme,2020-01-01,1,HTML,MIT License,https://github.com/acme",
        "acme,2020-01-02,2,JavaScript,MIT License,https://github.com/acme",
        "acme,2020-01-03,3,HTML,MIT License,https://github.com/acme",
        "acme,2020-02-01,3,HTML,MIT License,https://github.com/acme",
        "zeta,2020-01-01,1,JavaScript,Apache License 2.0,https://github.com/zeta",
        "zeta,2020-01-02,2,JavaScript,MIT License,https://github.com/zeta",
        "zeta,2020-02-01,2,JavaScript,MIT License,https://github.com/zeta",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn nulls_first_other_counts_forks_and_private_excluded() {
    let pages = vec![vec![
        R::new(10, "nulls", "2019-05-01T00:00:00Z"),
        R::new(11, "nulls", "2019-05-02T12:00:00Z")
            .language("R")
            .license("Other"),
        R::new(12, "nulls", "2019-05-02T13:00:00Z")
            .language("Python")
            .license("MIT License")
            .fork(),
        R::new(13, "nulls", "2019-05-03T08:00:00Z")
            .language("Python")
            .private(),
        R::new(14, "nulls", "2019-05-04T08:00:00Z")
            .language("Python")
            .license("MIT License"),
    ]];
    // The snapshot date is a creation day: no extra row. The private repo's day has no row.
    let csv = site_csv(&[("nulls", pages)], "2019-05-04");
    let expected = [
        "nulls,2019-05-01,1,,,https://github.com/nulls",
        "nulls,2019-05-02,2,R,Other,https://github.com/nulls",
        "nulls,2019-05-04,3,R,Other,https://github.com/nulls",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn days_split_at_utc_midnight() {
    let pages = vec![vec![
        R::new(20, "edge", "2021-01-01T23:59:59Z"),
        R::new(21, "edge", "2021-01-02T00:00:00Z"),
    ]];
    let csv = site_csv(&[("edge", pages)], "2021-01-05");
    let expected = [
        "edge,2021-01-01,1,,,https://github.com/edge",
        "edge,2021-01-02,2,,,https://github.com/edge",
        "edge,2021-01-05,2,,,https://github.com/edge",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn nothing_carries_from_one_org_to_the_next() {
    let alpha = vec![vec![R::new(30, "alpha", "2018-01-01T00:00:00Z")
        .language("Go")
        .license("MIT License")]];
    let beta = vec![vec![
        R::new(31, "beta", "2018-02-01T00:00:00Z"),
        R::new(32, "beta", "2018-03-01T00:00:00Z").language("Rust"),
    ]];
    let csv = site_csv(&[("beta", beta), ("alpha", alpha)], "2018-04-01");
    let expected = [
        "alpha,2018-01-01,1,Go,MIT License,https://github.com/alpha",
        "alpha,2018-04-01,1,Go,MIT License,https://github.com/alpha",
        "beta,2018-02-01,1,,,https://github.com/beta",
        "beta,2018-03-01,2,Rust,,https://github.com/beta",
        "beta,2018-04-01,2,Rust,,https://github.com/beta",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn an_org_without_kept_repos_has_one_zero_row() {
    let empty = vec![vec![]];
    let only_forks = vec![vec![R::new(50, "Forky", "2017-01-01T00:00:00Z")
        .language("C")
        .fork()]];
    let csv = site_csv(&[("empty", empty), ("forky", only_forks)], "2021-03-04");
    let expected = [
        "Forky,2021-03-04,0,,,https://github.com/Forky",
        "empty,2021-03-04,0,,,https://github.com/empty",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn organisation_is_spelled_as_github_spells_the_owner() {
    let pages = vec![vec![
        R::new(60, "NHSDigital", "2016-06-01T00:00:00Z").language("Java")
    ]];
    let csv = site_csv(&[("nhsdigital", pages)], "2016-06-01");
    assert_eq!(
        csv,
        format!("{HEADER}NHSDigital,2016-06-01,1,Java,,https://github.com/NHSDigital\n")
    );
}

#[test]
fn a_repo_listed_on_two_pages_counts_once() {
    let pages = vec![
        vec![
            R::new(40, "dup", "2020-01-01T00:00:00Z"),
            R::new(41, "dup", "2020-01-02T00:00:00Z"),
        ],
        vec![
            R::new(41, "dup", "2020-01-02T00:00:00Z"),
            R::new(42, "dup", "2020-01-03T00:00:00Z"),
        ],
    ];
    let csv = site_csv(&[("dup", pages)], "2020-01-03");
    let expected = [
        "dup,2020-01-01,1,,,https://github.com/dup",
        "dup,2020-01-02,2,,,https://github.com/dup",
        "dup,2020-01-03,3,,,https://github.com/dup",
    ];
    assert_eq!(csv, format!("{HEADER}{}\n", expected.join("\n")));
}

#[test]
fn the_language_map_matches_exactly() {
    let pages = vec![vec![
        R::new(70, "maps", "2020-01-01T00:00:00Z").language("Jupyter Notebook"),
        R::new(71, "maps", "2020-01-02T00:00:00Z").language("SCSS"),
        R::new(72, "maps", "2020-01-03T00:00:00Z").language("CSS"),
        R::new(73, "maps", "2020-01-04T00:00:00Z").language("Python"),
        R::new(74, "maps", "2020-01-05T00:00:00Z").language("Jupyter"),
        R::new(75, "maps", "2020-01-06T00:00:00Z").language("Jupyter"),
        R::new(76, "maps", "2020-01-07T00:00:00Z").language("Jupyter"),
    ]];
    let csv = site_csv(&[("maps", pages)], "2020-01-07");
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        lines[0],
        "maps,2020-01-01,1,Python,,https://github.com/maps"
    );
    assert_eq!(
        lines[2], "maps,2020-01-03,3,HTML,,https://github.com/maps",
        "CSS and SCSS are HTML"
    );
    assert_eq!(
        lines[3], "maps,2020-01-04,4,Python,,https://github.com/maps",
        "Python 2 beats HTML 2"
    );
    // "Jupyter" is not "Jupyter Notebook": no substring matching.
    assert_eq!(
        lines[6],
        "maps,2020-01-07,7,Jupyter,,https://github.com/maps"
    );
}
