//! The organisation pages (`site/orgs/<slug>.html`): one per organisation, linked from the
//! index, published with the site and in each build's copy, their numbers those of gold,
//! clean under axe-core at 1280, 640 and 375 pixels, and every link of every page of the
//! site resolving. The index's chart adds any organisation's line from its page, served
//! over HTTP on loopback as a web server would.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;

use crate::common::{partition_file, read_parquet, run_sample, RepoJson, Workdir};
use crate::report::{assert_clean, dump_dom_of, probe, table_1_rows, texts};

/// The sample's organisations: (org_login as gold keys it, page relative to `site/`).
const SAMPLE_PAGES: [(&str, &str); 7] = [
    ("111Online", "orgs/111online.html"),
    ("gitlab.com/ohs-sample", "orgs/gitlab.com/ohs-sample.html"),
    ("nhsconnect", "orgs/nhsconnect.html"),
    ("nhsdigital", "orgs/nhsdigital.html"),
    ("nhsengland", "orgs/nhsengland.html"),
    ("nhsuk", "orgs/nhsuk.html"),
    ("nhsx", "orgs/nhsx.html"),
];

fn gold(work: &Workdir, table: &str) -> DataFrame {
    read_parquet(&partition_file(
        &work.lake(),
        &format!("gold/{table}"),
        "2021-03-04",
    ))
}

/// Gold `table`'s rows of `org_login`.
fn rows_of(df: &DataFrame, org_login: &str) -> DataFrame {
    df.clone()
        .lazy()
        .filter(col("org_login").eq(lit(org_login)))
        .collect()
        .unwrap()
}

fn column_strings(df: &DataFrame, name: &str) -> Vec<String> {
    (df.column(name).unwrap().str().unwrap().iter())
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

fn column_ints(df: &DataFrame, name: &str) -> Vec<i64> {
    (df.column(name).unwrap().i64().unwrap().iter())
        .map(Option::unwrap_or_default)
        .collect()
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// The `href` and `src` values of a page.
fn hrefs(html: &str) -> Vec<&str> {
    let values = |attribute: &'static str| {
        (html.split(attribute).skip(1)).map(|rest| &rest[..rest.find('"').unwrap()])
    };
    values(" href=\"").chain(values(" src=\"")).collect()
}

#[test]
fn every_organisation_has_a_page_linked_from_the_index_and_every_link_resolves() {
    let work = Workdir::new();
    run_sample(&work);
    let site = work.lake().join("site");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let logins = column_strings(&gold(&work, "org_latest"), "org_login");
    assert_eq!(logins.len(), SAMPLE_PAGES.len());
    for (login, page) in SAMPLE_PAGES {
        assert!(logins.contains(&login.to_string()), "{login}");
        assert!(site.join(page).is_file(), "{page}");
        assert!(
            index.contains(&format!("<a href=\"{page}\" title=\"")),
            "{page}"
        );
    }
    // Every relative link of every page, current or of a build, names a file of the site
    // (or a published table: the organisation pages' style and script are site files too);
    // every other link is https.
    let pages: Vec<PathBuf> = (files_under(&site).into_iter())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(pages.len(), 2 * (1 + SAMPLE_PAGES.len()), "{pages:?}");
    for page in &pages {
        let html = std::fs::read_to_string(site.join(page)).unwrap();
        for href in hrefs(&html) {
            if href.starts_with("https://") || href.starts_with('#') {
                continue;
            }
            let target = site.join(page).parent().unwrap().join(href);
            assert!(
                target.is_file(),
                "{}: {href} does not resolve",
                page.display()
            );
        }
    }
    // The site manifest lists every page; the build's copy holds each too.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("_manifest.json")).unwrap())
            .unwrap();
    let listed = |field: &str| -> BTreeSet<String> {
        (manifest[field].as_array().unwrap().iter())
            .map(|o| o["key"].as_str().unwrap().to_string())
            .collect()
    };
    let (current, copies) = (listed("current"), listed("objects"));
    for page in SAMPLE_PAGES
        .iter()
        .map(|(_, page)| *page)
        .chain(["style.css", "script.js"])
    {
        assert!(current.contains(&format!("site/{page}")), "{page}");
        assert!(
            copies.iter().any(|k| k.ends_with(&format!("/{page}"))
                && k.starts_with("site/snapshot_date=2021-03-04/build=")),
            "{page}"
        );
    }
}

#[test]
fn each_organisation_page_shows_the_numbers_of_gold() {
    let work = Workdir::new();
    run_sample(&work);
    let site = work.lake().join("site");
    let (latest, repositories) = (gold(&work, "org_latest"), gold(&work, "repositories"));
    let languages = gold(&work, "language_counts");
    for (login, page) in SAMPLE_PAGES {
        let html = std::fs::read_to_string(site.join(page)).unwrap();
        let org = rows_of(&latest, login);
        let name = &column_strings(&org, "display_name")[0];
        assert!(
            html.contains(&format!("<h1>{}</h1>", escape(name))),
            "{login}"
        );
        let open = column_ints(&org, "open_repositories")[0];
        assert!(
            html.contains(&format!("id=\"open-repositories\">{open}</p>")),
            "{login}: {open}"
        );
        // Every kept repository, one row each.
        let repos = rows_of(&repositories, login);
        let table = &html[html.find("id=\"repositories\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr><td>").count(), repos.height(), "{login}");
        for name in column_strings(&repos, "name") {
            assert!(
                table.contains(&format!(">{name}</a></td>")),
                "{login}/{name}"
            );
        }
        // Its languages: gold's rows for it, largest first (ten, then "Others").
        let mut counts: Vec<(i64, String)> = {
            let rows = rows_of(&languages, login);
            let names = (rows.column("language").unwrap().str().unwrap().iter())
                .map(|v| v.unwrap_or("No language").to_string());
            column_ints(&rows, "repositories")
                .into_iter()
                .zip(names)
                .collect()
        };
        counts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let chart = &html[html.find("id=\"languages-chart\"").unwrap()..];
        let chart = &chart[..chart.find("</table>").unwrap()];
        for (count, language) in counts.iter().take(10) {
            let row = format!(
                "title=\"{language}\">{language}</span></th><td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">{count}</td>"
            );
            assert!(chart.contains(&row), "{login}: {row}");
        }
        assert_eq!(
            chart.matches("<th scope=\"row\"").count(),
            counts.len().min(11)
        );
    }
    // The sample's GitHub listings predate topics: its GitLab group has them, one each.
    let group = std::fs::read_to_string(site.join("orgs/gitlab.com/ohs-sample.html")).unwrap();
    let topics = rows_of(&gold(&work, "topic_counts"), "gitlab.com/ohs-sample");
    assert_eq!(topics.height(), 4);
    for topic in column_strings(&topics, "topic") {
        assert!(
            group.contains(&format!("title=\"{topic}\">{topic}</span>")),
            "{topic}"
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn organisation_pages_pass_axe_at_1280_640_and_375_pixels_and_filter_their_repositories() {
    let work = Workdir::new();
    run_sample(&work);
    let site = work.lake().join("site");
    // The largest organisation's page, and the group's, which sits a folder deeper.
    for page in ["orgs/nhsconnect.html", "orgs/gitlab.com/ohs-sample.html"] {
        for width in [1280, 640, 375] {
            let found = probe(&work, &site.join(page), width);
            assert_clean(&found, page, width);
            if width == 1280 {
                assert_eq!(found["tables_cut"], serde_json::json!([]), "{page}");
            }
        }
    }
    let found = probe(&work, &site.join("orgs/gitlab.com/ohs-sample.html"), 1280);
    assert_eq!(found["repositories_listed"], 3);
    assert_eq!(found["repositories_matching"], 1, "its one Python project");
    assert_eq!(found["repositories_status"], "1 of 3 repositories shown");
}

/// Twelve organisations, `org-01` the largest: the index draws the ten largest.
const TWELVE: [&str; 12] = [
    "org-01", "org-02", "org-03", "org-04", "org-05", "org-06", "org-07", "org-08", "org-09",
    "org-10", "org-11", "org-12",
];

/// Records a listing for each of `orgs`, the first with the most repositories.
fn record_orgs(work: &Workdir, orgs: &[&'static str]) {
    for (i, org) in orgs.iter().enumerate() {
        let repos: Vec<RepoJson> = (0..(orgs.len() - i) as u64)
            .map(|r| RepoJson::new(1000 * (i as u64 + 1) + r, org, "2020-01-02T03:04:05Z"))
            .collect();
        work.record_pages(org, &[repos]);
    }
    work.config(orgs);
}

/// Serves `root` over HTTP/1.0 on 127.0.0.1 until the test ends; returns its origin.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let path = line
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let response = match std::fs::read(root.join(path)) {
                Ok(body) => {
                    let mut head = format!(
                        "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    head.extend(body);
                    head
                }
                Err(_) => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    origin
}

#[test]
fn the_chart_draws_the_ten_largest_and_adds_any_other_from_its_page() {
    let work = Workdir::new();
    record_orgs(&work, &TWELVE);
    crate::common::assert_success(&work.run_offline("2021-03-04"));
    let site = work.lake().join("site");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert_eq!(
        table_1_rows(&index).len(),
        12,
        "Table 1 lists every organisation"
    );
    // A script that adds org-12 once the page's own has run, then reports the chart.
    let adder = "<script>window.addEventListener('load', function () {\
        var add = document.getElementById('add-org');\
        var options = Array.prototype.map.call(add.options, function (o) { return o.textContent; });\
        add.value = 'orgs/org-12.html'; add.dispatchEvent(new Event('change'));\
        setTimeout(function () { var pre = document.createElement('pre'); pre.id = 'added';\
          pre.textContent = JSON.stringify({ options: options,\
            lines: document.querySelectorAll('#growth-chart path.series').length,\
            legend: Array.prototype.map.call(document.querySelectorAll('#legend button'), function (b) { return b.textContent; }),\
            pages: Array.prototype.map.call(document.querySelectorAll('#legend a'), function (a) { return a.getAttribute('href') + ' ' + a.textContent; }),\
            status: document.getElementById('add-org-status').textContent });\
          document.body.appendChild(pre); }, 2000); });</script></body>";
    let page = site.join("with-adder.html");
    std::fs::write(&page, index.replacen("</body>", adder, 1)).unwrap();
    let origin = serve(site.clone());
    let dom = dump_dom_of(
        &work,
        "profile-http",
        1280,
        &[],
        &format!("{origin}/with-adder.html"),
    );
    let start = dom.find("<pre id=\"added\">").expect("the adder reported") + 16;
    let text = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let found: Value = serde_json::from_str(&text.replace("&quot;", "\"")).unwrap();
    assert_eq!(
        texts(&found["options"]),
        ["Choose one", "Display org-11", "Display org-12"],
        "the select offers the organisations not drawn"
    );
    assert_eq!(found["lines"], 11, "{found}");
    let legend = texts(&found["legend"]);
    assert_eq!(legend.len(), 11);
    assert_eq!(
        legend[0], "Display org-01",
        "display names, as Table 1 has them"
    );
    assert_eq!(legend[10], "Display org-12");
    // Each name's line links to its organisation's page, said in full to a screen reader.
    let pages = texts(&found["pages"]);
    assert_eq!(pages.len(), 11);
    assert_eq!(pages[0], "orgs/org-01.html page of Display org-01");
    assert_eq!(pages[10], "orgs/org-12.html page of Display org-12");
    assert_eq!(
        found["status"],
        "Added Display org-12 to the chart, in grey."
    );
}

#[test]
fn the_page_of_an_organisation_that_left_leaves_the_site_but_not_its_builds_copy() {
    let work = Workdir::new();
    record_orgs(&work, &TWELVE[..2]);
    crate::common::assert_success(&work.run_offline("2021-03-04"));
    let site = work.lake().join("site");
    assert!(site.join("orgs/org-02.html").is_file());
    work.config(&TWELVE[..1]);
    crate::common::assert_success(&work.run_offline("2021-03-05"));
    assert!(site.join("orgs/org-01.html").is_file());
    assert!(!site.join("orgs/org-02.html").exists(), "org-02 left");
    let copies = files_under(&site.join("snapshot_date=2021-03-04"));
    assert!(
        copies.iter().any(|p| p.ends_with("orgs/org-02.html")),
        "the first build's copy keeps its pages: {copies:?}"
    );
}

#[test]
fn pages_of_more_organisations_than_are_drawn_at_once_are_each_staged_with_their_own_rows() {
    // Pages are drawn and written 64 at a time, a batch written while the next is drawn:
    // 150 organisations make three batches, the last a short one.
    let work = Workdir::new();
    let orgs: Vec<&'static str> = (1..=150)
        .map(|i| &*Box::leak(format!("many-{i:03}").into_boxed_str()))
        .collect();
    for (i, org) in orgs.iter().enumerate() {
        let repo = RepoJson::new(5000 + i as u64, org, "2020-01-02T03:04:05Z");
        work.record_pages(org, &[vec![repo]]);
    }
    work.config(&orgs);
    crate::common::assert_success(&work.run_offline("2021-03-04"));
    let site = work.lake().join("site");
    let page_of = |i: usize| site.join(format!("orgs/many-{:03}.html", i + 1));
    let pages: Vec<PathBuf> = (files_under(&site.join("orgs")).into_iter())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(pages.len(), orgs.len(), "{pages:?}");
    for (i, org) in orgs.iter().enumerate() {
        let html = std::fs::read_to_string(page_of(i)).unwrap();
        assert!(html.contains(&format!("{org}/repo-{}", 5000 + i)), "{org}");
        // Its own repository alone: no other organisation's row was drawn onto its page.
        let named: BTreeSet<&str> = (html.split("/repo-").skip(1))
            .map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next().unwrap())
            .collect();
        assert_eq!(named, BTreeSet::from([&*(5000 + i).to_string()]), "{org}");
    }
    // The next day 70 remain: the 80 that left lose their pages, whichever batch drew them.
    work.config(&orgs[..70]);
    crate::common::assert_success(&work.run_offline("2021-03-05"));
    for (i, org) in orgs.iter().enumerate() {
        assert_eq!(page_of(i).is_file(), i < 70, "{org}");
    }
}
