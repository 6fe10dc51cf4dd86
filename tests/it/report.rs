//! The report in a real browser: headless Chromium loads `site/index.html` from disk (no
//! network) and runs its script. The DOM it dumps has one chart line and one Table 1 row per
//! organisation, in order, and the data's date; axe-core finds no WCAG 2.2 A or AA violation
//! at 1280 and 375 pixels; the page never scrolls sideways at 375 pixels or at 640 (1280 at
//! 200% zoom); the chart's labels are at least 12 CSS pixels with ticks on whole years; Table 1
//! sorts from its heading buttons, saying so in `aria-sort`; and with JavaScript off the
//! tables and facts still show. A screenshot shows something drawn.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{run_sample, Workdir};

/// Headless Chromium with a fresh profile, no background networking, and `width` pixels.
pub fn chromium(profile: &Path, width: u32) -> Command {
    let found = Command::new("chromium").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "Chromium is missing: run `make test`, which installs Debian's chromium, or `apt-get install chromium`"
    );
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--window-size={width},2400"))
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The DOM after the page (and anything injected) ran, at `width` pixels.
pub fn dump_dom(work: &Workdir, page: &Path, width: u32, extra: &[&str]) -> String {
    let profile = format!("profile-{width}-{}", extra.len());
    let url = format!("file://{}", page.display());
    dump_dom_of(work, &profile, width, extra, &url)
}

/// The DOM of `url` after it (and anything injected) ran, at `width` pixels, in a fresh
/// profile named `profile`.
pub fn dump_dom_of(work: &Workdir, profile: &str, width: u32, extra: &[&str], url: &str) -> String {
    let out = chromium(&work.path().join(profile), width)
        .args(extra)
        .args(["--virtual-time-budget=15000", "--dump-dom", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the probe measured in the page at `width`: a copy of the page with axe-core and
/// `tests/fixtures/report_probe.js` appended, whose findings it writes into the DOM.
pub fn probe(work: &Workdir, page: &Path, width: u32) -> Value {
    let npm = npm_modules();
    let axe = std::fs::read_to_string(npm.join("axe-core/axe.min.js"))
        .expect("axe-core is missing: run `make test`, which installs it from npm");
    let probe =
        std::fs::read_to_string(crate::common::repo_root().join("tests/fixtures/report_probe.js"))
            .unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    let injected = format!("<script>{axe}</script><script>{probe}</script></body>");
    let copy = page.with_file_name(format!("probe-{width}.html"));
    std::fs::write(&copy, html.replacen("</body>", &injected, 1)).unwrap();
    let dom = if width >= NARROWEST_WINDOW {
        dump_dom(work, &copy, width, &[])
    } else {
        // Narrower than a headless window can be: the page in a frame that wide.
        let frame = page.with_file_name(format!("frame-{width}.html"));
        let wrapper = format!(
            "<!DOCTYPE html><html lang=\"en\"><body style=\"margin:0\">\
             <iframe src=\"probe-{width}.html\" width=\"{width}\" height=\"2400\" style=\"border:0\"></iframe>\
             <script>window.addEventListener('message', function (e) {{ var p = document.createElement('pre'); \
             p.id = 'probe'; p.textContent = e.data; document.body.appendChild(p); }});</script></body></html>"
        );
        std::fs::write(&frame, wrapper).unwrap();
        dump_dom(work, &frame, 1280, &[])
    };
    let start = dom
        .rfind("<pre id=\"probe\">")
        .expect("the probe wrote its findings")
        + 16;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap()
}

/// What the probe found at `width` pixels on `page`: no axe-core violation (WCAG 2.2 A and
/// AA), and no sideways scroll (640: 1280 at 200% zoom).
pub fn assert_clean(found: &Value, page: &str, width: u32) {
    let violations = found["violations"].as_array().unwrap();
    assert!(
        violations.is_empty(),
        "{page}: axe-core at {width} pixels, WCAG 2.2 A and AA: {}",
        serde_json::to_string_pretty(violations).unwrap()
    );
    assert!(
        found["scroll_width"].as_u64() <= found["width"].as_u64(),
        "{page} scrolls sideways at {width} pixels: {found}"
    );
}

/// Headless Chromium's windows are at least this wide.
const NARROWEST_WINDOW: u32 = 500;

/// A JSON array of strings, as strings.
pub fn texts(array: &Value) -> Vec<&str> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

/// The npm tools' node_modules, which `make test` installs and names in `OHS_TEST_NPM`.
fn npm_modules() -> PathBuf {
    PathBuf::from(std::env::var("OHS_TEST_NPM").expect(
        "OHS_TEST_NPM (the npm tools' node_modules) is unset: run the tests with `make test`",
    ))
}

fn sample_page(work: &Workdir) -> PathBuf {
    run_sample(work);
    work.lake().join("site/index.html")
}

#[test]
fn chromium_runs_the_page_from_disk_with_a_line_and_a_row_per_organisation() {
    let work = Workdir::new();
    let page = sample_page(&work);
    let dom = dump_dom(&work, &page, 1280, &[]);
    // Lines exist only after the script ran: the page ships none.
    assert!(!std::fs::read_to_string(&page)
        .unwrap()
        .contains("class=\"series"));
    let lines: Vec<&str> = dom
        .match_indices("class=\"series")
        .map(|(i, _)| &dom[i..])
        .collect();
    assert_eq!(lines.len(), 7, "one line per organisation");
    for org in [
        "111Online",
        "nhsconnect",
        "NHSDigital",
        "nhsengland",
        "nhsuk",
        "nhsx",
        "gitlab.com/ohs-sample",
    ] {
        let line = lines.iter().any(|l| {
            l.split('>')
                .next()
                .unwrap()
                .contains(&format!("data-org=\"{org}\""))
        });
        assert!(line, "no line for {org}");
    }
    assert_eq!(
        table_1_rows(&dom),
        [
            "NHS Connect",
            "NHS Digital",
            "NHSX",
            "NHS.UK",
            "NHS England",
            "NHS 111 Online - NHS Digital",
            "gitlab.com/ohs-sample"
        ],
        "Table 1 sorted by open repositories"
    );
    assert!(
        dom.contains("gitlab.com/ohs-sample (GitLab)</button>"),
        "the chart's legend names the forge"
    );
    assert!(dom.contains("<td>GitLab</td>"), "Table 1 names the forge");
    assert!(
        dom.contains(">2021-03-04</time>"),
        "the data's date is shown"
    );

    let shot = work.path().join("page.png");
    let out = chromium(&work.path().join("profile-shot"), 1280)
        .arg("--window-size=1280,1800")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_not_blank(&shot);
    // The README's screenshot is this one: `OHS_UPDATE_SCREENSHOT=1` replaces it.
    let committed = crate::common::repo_root().join("docs/page.png");
    if std::env::var_os("OHS_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&shot, &committed).unwrap();
    }
    let size = std::fs::metadata(&committed).map(|m| m.len()).unwrap_or(0);
    assert!(
        (1..=300 * 1024).contains(&size),
        "docs/page.png is {size} bytes: at most 300 KB (OHS_UPDATE_SCREENSHOT=1 writes it)"
    );
}

/// Table 1's organisations (display names, each linked to its page), in the order the DOM
/// has them.
pub fn table_1_rows(dom: &str) -> Vec<&str> {
    let table = &dom[dom.find("id=\"table-1\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr><th scope=\"row\"><a href=\"")
        .skip(1)
        .map(|rest| {
            let name = &rest[rest.find('>').unwrap() + 1..];
            &name[..name.find("</a>").unwrap()]
        })
        .collect()
}

#[test]
fn axe_finds_nothing_at_1280_and_375_pixels_and_nothing_scrolls_sideways() {
    let work = Workdir::new();
    let page = sample_page(&work);
    for width in [1280, 375, 640] {
        let found = probe(&work, &page, width);
        assert_eq!(found["width"], width, "{found}");
        assert_clean(&found, "site/index.html", width);
        assert!(found["axe_rules"].as_u64().unwrap() > 20, "{found}");
    }
}

#[test]
fn chart_labels_are_readable_ticks_whole_years_and_table_1_sorts_by_its_headings() {
    let work = Workdir::new();
    let page = sample_page(&work);
    let found = probe(&work, &page, 1280);
    let smallest = found["smallest_chart_text_px"].as_f64().unwrap();
    assert!(
        smallest >= 12.0,
        "chart text of {smallest} CSS pixels: {found}"
    );
    assert_eq!(
        texts(&found["x_ticks"]),
        ["2015", "2016", "2017", "2018", "2019", "2020", "2021"]
    );
    assert_eq!(
        texts(&found["x_ticks_six_months"]),
        ["Oct 2020", "Nov", "Dec", "Jan 2021", "Feb", "Mar"]
    );
    // Long names fit their box only when cut: each carries its whole name in its title and
    // can take focus (which shows it whole).
    let names = found["share_names"].as_array().unwrap();
    assert!(names
        .iter()
        .all(|n| n["title"] == n["text"] && n["tabindex"] == "0"));
    assert!(names.iter().all(|n| n["ellipsis"] == "ellipsis"));
    assert!(
        names.iter().any(|n| n["cut"] == true),
        "some long name is cut: {names:?}"
    );
    // Sorting by Stars (a button: Enter and Space press it), then again to reverse.
    assert_eq!(found["sorted_by_stars"]["aria_sort"], "ascending");
    assert_eq!(
        found["sorted_by_stars"]["first"],
        "NHS 111 Online - NHS Digital"
    );
    assert_eq!(found["sorted_again"]["aria_sort"], "descending");
    assert_eq!(found["sorted_again"]["first"], "NHSX");
    assert_eq!(found["other_headings_aria_sort"], "none");
    assert_eq!(found["sort_controls_are_buttons"], true);
    // The index lists the 100 most-starred of the 349 kept repositories (each
    // organisation's page lists all of its own); typing filters them.
    assert_eq!(found["repositories_listed"], 100);
    let matching = found["repositories_matching"].as_u64().unwrap();
    assert!((1..100).contains(&matching), "{found}");
    assert_eq!(
        found["repositories_status"],
        format!("{matching} of 100 repositories shown")
    );
    // Every organisation is drawn already (the ten largest are), so none is left to add.
    assert_eq!(texts(&found["add_org_options"]), ["Choose one"]);
    assert_eq!(
        found["tables_cut"],
        serde_json::json!([]),
        "Table 1 fits at 1280"
    );
}

#[test]
fn the_index_lists_the_most_starred_repositories_of_gold() {
    let work = Workdir::new();
    let page = sample_page(&work);
    let html = std::fs::read_to_string(&page).unwrap();
    let gold = |table: &str| {
        let file =
            crate::common::partition_file(&work.lake(), &format!("gold/{table}"), "2021-03-04");
        crate::common::read_parquet(&file)
    };
    // The repository list: one row per gold `repositories` row.
    let repositories = gold("repositories");
    let listed = html[html.find("id=\"repositories\"").unwrap()..]
        .split("</table>")
        .next()
        .unwrap()
        .matches("<tr><td>")
        .count();
    assert_eq!(listed, repositories.height().min(100));
    assert!(html.contains("<p>Each organisation's topics are on its page.</p>"));
}

/// Three snapshots of the sample in one lake: the page's trend tables hold, for each
/// organisation and date, the numbers gold `org_latest` published for that date.
#[test]
fn trends_across_three_snapshots_are_gold_org_latest_of_each() {
    let work = Workdir::new();
    let dates = ["2021-03-02", "2021-03-03", "2021-03-04"];
    for date in dates {
        let run = crate::common::run_sample_on(&work, &work.lake(), date);
        crate::common::assert_success(&run);
    }
    let page = work.lake().join("site/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("trends-pending"));
    let found = probe(&work, &page, 1280);
    assert_eq!(
        found["violations"],
        serde_json::json!([]),
        "axe with the trend charts"
    );
    for (metric, column) in [
        ("open_repositories", "open_repositories"),
        ("stars", "stars"),
        ("forks", "forks"),
        ("open_issues", "open_issues"),
    ] {
        let table = &html[html.find(&format!("id=\"trend-{metric}-table\"")).unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        for date in dates {
            let file = crate::common::partition_file(&work.lake(), "gold/org_latest", date);
            let latest = crate::common::read_parquet(&file);
            let column_index = dates.iter().position(|d| *d == date).unwrap();
            for i in 0..latest.height() {
                let name = latest
                    .column("display_name")
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap();
                let value = latest
                    .column(column)
                    .unwrap()
                    .i64()
                    .unwrap()
                    .get(i)
                    .unwrap();
                let row = table
                    .split(&format!(
                        "<th scope=\"row\" class=\"nhsuk-table__header\">{name}</th>"
                    ))
                    .nth(1)
                    .unwrap_or_else(|| panic!("{metric}: no row for {name}"));
                let row = &row[..row.find("</tr>").unwrap()];
                let cells: Vec<&str> = row
                    .split("nhsuk-table__cell--numeric\">")
                    .skip(1)
                    .map(|c| c.split('<').next().unwrap())
                    .collect();
                assert_eq!(
                    cells[column_index],
                    value.to_string(),
                    "{metric} {name} {date}"
                );
            }
        }
    }
    // Open repositories did change between the days (repositories created on the 3rd and
    // 4th), so the trend is not a constant.
    assert!(html.contains("<td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">173</td><td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">174</td>"));
}

/// Headless Chromium dumps no DOM with scripts turned off, so the page is loaded without
/// its one script instead: the same view a reader without JavaScript gets.
#[test]
fn without_javascript_the_tables_and_facts_still_show() {
    let work = Workdir::new();
    let page = sample_page(&work);
    let html = std::fs::read_to_string(&page).unwrap();
    let script = html.rfind("<script>").unwrap();
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "the page has one script"
    );
    let without = page.with_file_name("no-script.html");
    std::fs::write(&without, format!("{}</body>\n</html>\n", &html[..script])).unwrap();
    let dom = dump_dom(&work, &without, 1280, &[]);
    assert!(!dom.contains("class=\"series"), "the script did not run");
    assert_eq!(table_1_rows(&dom).len(), 7);
    assert!(dom.contains("<p class=\"nhsuk-card__heading nhsuk-heading-l\">349</p>"));
    assert!(
        dom.contains("id=\"growth-table\""),
        "the chart's data table"
    );
    assert!(dom.contains("id=\"languages-chart\""), "the share tables");
    assert!(
        dom.contains("id=\"growth-controls\" hidden"),
        "the chart's controls stay hidden without the chart"
    );
}

/// A blank (or single-colour) screenshot would mean nothing was drawn.
fn assert_not_blank(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let pixels = &buffer[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut colours: Vec<&[u8]> = pixels.chunks(step).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "{} distinct colours: the screenshot looks blank",
        colours.len()
    );
}

/// The committed NHS.UK styles are what `tools/nhsuk-css.sh` builds from the pinned package
/// for the current templates, and fetch nothing: no web font, no image.
#[test]
fn the_nhsuk_styles_are_rebuilt_from_the_pinned_package_and_load_nothing() {
    let npm = npm_modules();
    let work = Workdir::new();
    let rebuilt = work.path().join("nhsuk-frontend.css");
    let root = crate::common::repo_root();
    let out = Command::new(root.join("tools/nhsuk-css.sh"))
        .arg(&npm)
        .arg(&rebuilt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(root.join("src/report/nhsuk-frontend.css")).unwrap();
    assert!(
        std::fs::read_to_string(&rebuilt).unwrap() == committed,
        "src/report/nhsuk-frontend.css is stale: run `make nhsuk-css`"
    );
    for fetch in ["url(", "@font-face", "@import"] {
        assert!(
            !committed.contains(fetch),
            "the page's styles would fetch: {fetch}"
        );
    }
}
