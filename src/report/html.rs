//! The page's HTML. Every value from the data goes through [`escape`] (or, inside the
//! embedded JSON, through [`json_for_script`]), so a name like `<script>` shows as text.

use std::fmt::Write;

use super::{OrgLine, ReportData};
use crate::lake::{outputs, Output};

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Colour-blind-safe colours (Okabe-Ito, then Tol's) for the largest organisations' lines;
/// every other line is drawn muted grey.
const PALETTE: [&str; 10] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#882255", "#117733",
    "#332288", "#999933",
];

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

/// `text` linked to `url` when `url` is `https://` on `origin` (GitHub's web origin);
/// otherwise the text alone, so `javascript:`, `data:` or another site never becomes a link.
pub fn link(url: &str, text: &str, origin: &url::Origin) -> String {
    let safe = url::Url::parse(url).is_ok_and(|u| u.scheme() == "https" && u.origin() == *origin);
    if safe {
        format!("<a href=\"{}\">{}</a>", escape(url), escape(text))
    } else {
        escape(text)
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

/// The whole page. The same data always gives the same bytes.
pub fn render(data: &ReportData) -> String {
    let date = data.snapshot_date.to_string();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         {build}\n<title>Open-source healthcare statistics: data as of {date}</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n<header>\n\
         <h1>Open-source healthcare statistics</h1>\n\
         <p class=\"as-of\">Data as of <time datetime=\"{date}\" id=\"snapshot-date\">{date}</time>: \
         public GitHub repositories of {orgs} organisations.</p>\n</header>\n<main>\n",
        orgs = data.orgs.len(),
        build = super::build_marker(&data.build_id),
    );
    page.push_str(&facts(data));
    page.push_str(&growth_chart(data));
    page.push_str(&table_1(&data.orgs, &data.link_origin));
    page.push_str("<div class=\"two-up\">\n");
    page.push_str(&share_chart(
        "languages",
        "Primary languages",
        &data.languages,
        repositories,
    ));
    page.push_str(&language_bytes(&data.language_bytes));
    page.push_str(&share_chart(
        "licences",
        "Licences as GitHub reports them",
        &data.licences,
        repositories,
    ));
    page.push_str(&share_chart(
        "licences-resolved",
        "Licences, \u{201c}Other\u{201d} identified from its text",
        &data.licences_resolved,
        repositories,
    ));
    page.push_str("</div>\n");
    page.push_str(&top_topics(&data.topics));
    let _ = write!(
        page,
        "<h2>Data</h2>\n<p>Download the <a href=\"org_repos_agg.csv\">site CSV</a> \
         (one row per organisation per day), or query the \
         <a href=\"../{tables}\">Parquet tables</a> \
         under <code>gold/</code> with DuckDB.</p>\n</main>\n\
         <footer><p>Built by open-health-stats {version} from the snapshot of {date}. \
         Kept repositories are public and not forks; archived ones count.</p></footer>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
        tables = outputs::published(data.snapshot_date, &Output::GoldTable("org_latest")),
    );
    page
}

fn facts(data: &ReportData) -> String {
    let h = &data.headline;
    let mut out = String::from("<h2>Headline facts</h2>\n<ul class=\"facts\" id=\"facts\">\n");
    let _ = writeln!(
        out,
        "<li><strong>{}</strong> open repositories</li>\n<li><strong>{}</strong> organisations</li>",
        h.open_repositories, h.organisations
    );
    if let Some((org, name, year)) = &h.first_repo {
        let _ = writeln!(
            out,
            "<li><strong>{year}</strong> first repository: {}/{}</li>",
            escape(org),
            escape(name)
        );
    }
    if !h.top_languages.is_empty() {
        let names: Vec<String> = h.top_languages.iter().map(|l| escape(l)).collect();
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> most used languages: {}</li>",
            names[0],
            names.join(", ")
        );
    }
    out.push_str("</ul>\n");
    out
}

fn growth_chart(data: &ReportData) -> String {
    let colours: Vec<Option<&str>> = colour_largest(data);
    let series: Vec<serde_json::Value> = data
        .series
        .iter()
        .zip(&colours)
        .map(|(s, colour)| {
            serde_json::json!({
                "organisation": s.organisation,
                "colour": colour,
                "points": s.points.iter().map(|(d, v)| serde_json::json!([d, v])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let json =
        serde_json::json!({"snapshot_date": data.snapshot_date.to_string(), "series": series});
    let largest = data.orgs.first().map_or_else(String::new, |o| {
        format!(
            " The largest is {} with {} open repositories.",
            escape(&o.display_name),
            o.open_repositories
        )
    });
    let mut out = String::new();
    let _ = write!(
        out,
        "<h2 id=\"growth-heading\">Open repositories over time</h2>\n\
         <div class=\"controls\">\n<label>Time window <select id=\"window\">\
         <option value=\"6\">6 months</option><option value=\"12\">1 year</option>\
         <option value=\"0\" selected>All</option></select></label>\n\
         <label><input type=\"checkbox\" id=\"log-scale\"> Logarithmic scale</label>\n</div>\n\
         <figure>\n<svg id=\"growth-chart\" viewBox=\"0 0 960 420\" role=\"img\" \
         aria-labelledby=\"growth-title growth-desc\">\n\
         <title id=\"growth-title\">Open repositories per organisation over time</title>\n\
         <desc id=\"growth-desc\">One line per organisation: the number of its public, non-fork \
         repositories created on or before each date, for {count} organisations.{largest} \
         Table 1 below gives every organisation's latest numbers.</desc>\n</svg>\n\
         <figcaption>Hover over a line for its organisation, date and count; the ten largest \
         organisations are coloured. Select a name to highlight its line.</figcaption>\n\
         </figure>\n<div class=\"tooltip\" id=\"chart-tooltip\" role=\"status\" hidden></div>\n\
         <ul class=\"legend\" id=\"legend\">\n",
        count = data.series.len(),
    );
    for (s, colour) in data.series.iter().zip(&colours) {
        let swatch = colour.unwrap_or("#aeb7bd");
        let _ = writeln!(
            out,
            "<li><button type=\"button\" data-org=\"{org}\" aria-pressed=\"false\">\
             <span class=\"swatch\" style=\"background:{swatch}\"></span>{org}</button></li>",
            org = escape(&s.organisation),
        );
    }
    let _ = write!(
        out,
        "</ul>\n<script type=\"application/json\" id=\"series-data\">{}</script>\n",
        json_for_script(&json)
    );
    out
}

/// A colour for each of the ten organisations with the most open repositories.
fn colour_largest(data: &ReportData) -> Vec<Option<&'static str>> {
    data.series
        .iter()
        .map(|s| {
            let rank = data
                .orgs
                .iter()
                .position(|o| o.organisation == s.organisation);
            rank.and_then(|r| PALETTE.get(r).copied())
        })
        .collect()
}

fn table_1(orgs: &[OrgLine], link_origin: &url::Origin) -> String {
    let mut out = String::from(
        "<h2 id=\"table-1-heading\">Table 1: organisations by open repositories</h2>\n\
         <table id=\"table-1\" aria-labelledby=\"table-1-heading\">\n<thead>\n<tr>",
    );
    for (header, numeric) in [
        ("Organisation", false),
        ("Open Repositories", true),
        ("Top Language", false),
        ("Top License", false),
        ("Stars", true),
        ("Forks", true),
        ("Open Issues", true),
        ("% licensed", true),
    ] {
        let class = if numeric { " class=\"number\"" } else { "" };
        let sort = if header == "Open Repositories" {
            " aria-sort=\"descending\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<th scope=\"col\"{class}{sort}><button type=\"button\">{header}</button></th>"
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for org in orgs {
        let text = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_default();
        let pct = org
            .pct_licensed
            .map_or(String::new(), |p| format!("{p:.1}"));
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\" data-sort=\"{sort_name}\">{name}</th>\
             <td class=\"number\" data-sort=\"{open}\">{open}</td>\
             <td data-sort=\"{language}\">{language}</td><td data-sort=\"{license}\">{license}</td>\
             <td class=\"number\" data-sort=\"{stars}\">{stars}</td>\
             <td class=\"number\" data-sort=\"{forks}\">{forks}</td>\
             <td class=\"number\" data-sort=\"{issues}\">{issues}</td>\
             <td class=\"number\" data-sort=\"{pct_sort}\">{pct}</td></tr>",
            sort_name = escape(&org.display_name),
            name = link(&org.url, &org.display_name, link_origin),
            open = org.open_repositories,
            language = text(&org.top_language),
            license = text(&org.top_license),
            stars = org.stars,
            forks = org.forks,
            issues = org.open_issues,
            pct_sort = org.pct_licensed.map_or(-1.0, |p| p),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Bytes of code per language beside the counts by primary language, or why there are none.
fn language_bytes(rows: &[(String, i64, f64)]) -> String {
    if rows.is_empty() {
        return "<figure>\n<h2 id=\"language-bytes-heading\">Languages by bytes of code</h2>\n\
                <p>Not collected for this snapshot (see the run manifest).</p>\n</figure>\n"
            .to_string();
    }
    share_chart(
        "language-bytes",
        "Languages by bytes of code",
        rows,
        human_bytes,
    )
}

/// The ten topics most kept repositories carry.
fn top_topics(rows: &[(String, i64, f64)]) -> String {
    let mut out = String::from("<h2 id=\"topics-heading\">Top topics</h2>\n");
    if rows.is_empty() {
        out.push_str("<p>No kept repository has topics in this snapshot.</p>\n");
        return out;
    }
    out.push_str("<ol id=\"topics\">\n");
    for (topic, count, share) in rows.iter().take(10) {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>: {count} repositories ({:.1}%)</li>",
            escape(topic),
            share * 100.0
        );
    }
    out.push_str("</ol>\n");
    out
}

fn repositories(count: i64) -> String {
    count.to_string()
}

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

/// A horizontal bar chart of the ten largest shares, the rest summed as "Others"; `show`
/// writes a count.
fn share_chart(
    id: &str,
    title: &str,
    rows: &[(String, i64, f64)],
    show: fn(i64) -> String,
) -> String {
    let mut bars: Vec<(String, i64, f64)> = rows.iter().take(10).cloned().collect();
    if rows.len() > 10 {
        let rest = &rows[10..];
        bars.push((
            "Others".to_string(),
            rest.iter().map(|r| r.1).sum(),
            rest.iter().map(|r| r.2).sum(),
        ));
    }
    let height = 24 * bars.len() + 8;
    let summary: Vec<String> = bars
        .iter()
        .take(3)
        .map(|(name, count, share)| {
            format!("{} {} ({:.0}%)", escape(name), show(*count), share * 100.0)
        })
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure>\n<h2 id=\"{id}-heading\">{title}</h2>\n\
         <svg class=\"bars\" id=\"{id}-chart\" viewBox=\"0 0 480 {height}\" role=\"img\" \
         aria-labelledby=\"{id}-title\">\n<title id=\"{id}-title\">{title}, kept repositories \
         of all organisations: {}</title>\n",
        summary.join(", ")
    );
    for (i, (name, count, share)) in bars.iter().enumerate() {
        let y = 4 + 24 * i;
        let width = (share * 250.0).max(1.0);
        let _ = writeln!(
            out,
            "<text x=\"150\" y=\"{ty}\" text-anchor=\"end\"><title>{name}</title>{label}</text>\
             <rect x=\"158\" y=\"{y}\" width=\"{width:.1}\" height=\"18\"></rect>\
             <text x=\"{tx:.1}\" y=\"{ty}\">{count} ({pct:.1}%)</text>",
            count = show(*count),
            ty = y + 14,
            name = escape(name),
            label = escape(&short_label(name)),
            tx = 164.0 + width,
            pct = share * 100.0,
        );
    }
    out.push_str("</svg>\n</figure>\n");
    out
}

/// Names longer than the label column are cut with an ellipsis (the full name is the title).
fn short_label(name: &str) -> String {
    const MAX: usize = 22;
    if name.chars().count() <= MAX {
        return name.to_string();
    }
    let cut: String = name.chars().take(MAX - 1).collect();
    format!("{}\u{2026}", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::super::{Headline, Series};
    use super::*;

    #[test]
    fn only_https_urls_on_githubs_web_origin_become_links() {
        let github = url::Url::parse("https://github.com").unwrap().origin();
        assert_eq!(
            link("https://github.com/nhsx", "NHSX", &github),
            "<a href=\"https://github.com/nhsx\">NHSX</a>"
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
            assert_eq!(
                link(hostile, "<b>X</b>", &github),
                "&lt;b&gt;X&lt;/b&gt;",
                "{hostile}"
            );
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
                    organisation: "small".into(),
                    display_name: "Small".into(),
                    url: "https://github.com/small".into(),
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
                points: vec![("2021-03-04".into(), 3)],
            }],
            languages: vec![(name.into(), 3, 0.6)],
            licences: vec![("No licence".into(), 5, 1.0)],
            licences_resolved: vec![("No licence".into(), 5, 1.0)],
            language_bytes: vec![(name.into(), 1_234_567, 1.0)],
            topics: vec![(name.into(), 2, 0.4)],
        }
    }

    #[test]
    fn data_values_are_escaped_everywhere() {
        let hostile = "<script>alert('x')</script>";
        let page = render(&data(hostile));
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

    #[test]
    fn the_page_shows_the_data_date_and_loads_nothing() {
        let page = render(&data("nhsx"));
        assert!(page.contains(
            "Data as of <time datetime=\"2021-03-04\" id=\"snapshot-date\">2021-03-04</time>"
        ));
        assert!(
            !page.contains("<script src") && !page.contains("<link"),
            "no network resources"
        );
        let rows = page.matches("<tr><th scope=\"row\"").count();
        assert_eq!(rows, 2);
        assert!(page.find(">nhsx</a>").unwrap() < page.find(">Small</a>").unwrap());
    }
}
