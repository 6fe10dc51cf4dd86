//! The trend charts, one per metric once the history holds two snapshots: each drawn here
//! as SVG, with the same numbers as a table.

use std::collections::HashMap;

use super::growth::{ChartOrg, MUTED};
use super::safe::escape;
use crate::report::history::{OrgAtSnapshot, METRICS};
use crate::report::ReportData;

/// One metric's trend: a chart of each organisation's value at each snapshot, and the same
/// numbers as a table (the last snapshots, when there are many).
pub(super) struct TrendChart {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) note: &'static str,
    /// The chart's SVG elements, drawn here: no script needed.
    pub(super) svg: String,
    pub(super) dates: Vec<String>,
    pub(super) rows: Vec<(String, Vec<Option<i64>>)>,
}

/// The trend charts of the index, one per metric, when the history holds two snapshots or
/// more: the ten largest organisations of today (each organisation's page has its own),
/// keyed by org_login, named and coloured as in the growth chart.
pub(super) fn trends(data: &ReportData, largest: &[ChartOrg]) -> Option<Vec<TrendChart>> {
    let mut dates: Vec<&str> = data.history.iter().map(|h| h.date.as_str()).collect();
    dates.sort_unstable();
    dates.dedup();
    if dates.len() < 2 {
        return None;
    }
    // Today's ten largest organisations, in Table 1's order.
    let orgs: Vec<(&str, &str)> = (largest.iter())
        .map(|l| (l.org.org_login.as_str(), l.org.display_name.as_str()))
        .collect();
    let at: HashMap<(&str, &str), &OrgAtSnapshot> = (data.history.iter())
        .map(|h| ((h.org_login.as_str(), h.date.as_str()), h))
        .collect();
    let style = |name: &str| {
        (largest.iter())
            .find(|l| l.org.display_name == name)
            .map(|l| (l.colour, l.dash))
    };
    let shown: Vec<&str> = dates.iter().rev().take(12).rev().copied().collect();
    let charts = METRICS
        .iter()
        .map(|&(metric, title, note)| {
            let value = |login: &str, date: &str| at.get(&(login, date)).map(|h| h.value(metric));
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

/// A chart's grid lines and labels at 0, half of `max` and `max`, from `x` to `x_end`; `y`
/// places a value.
pub(super) fn value_axis(
    svg: &mut String,
    max: i64,
    (x, x_end): (f64, f64),
    y: impl Fn(i64) -> f64,
) {
    for v in [0, max / 2, max] {
        svg.push_str(&format!(
            "<line class=\"grid\" x1=\"{x}\" x2=\"{x_end}\" y1=\"{at:.1}\" y2=\"{at:.1}\"></line>\
             <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            x - 8.0,
            y(v) + 5.0,
            at = y(v)
        ));
    }
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
        d.parse::<chrono::NaiveDate>()
            .map_or(0, |d| d.num_days_from_ce())
    };
    let (first, last) = (day(dates[0]), day(dates[dates.len() - 1]));
    let x = |d: &str| {
        left + (W - left - right) * f64::from(day(d) - first) / f64::from((last - first).max(1))
    };
    let max = history
        .iter()
        .filter(|h| orgs.iter().any(|(login, _)| *login == h.org_login))
        .map(|h| h.value(metric))
        .max()
        .unwrap_or(0)
        .max(1);
    let y = |v: i64| H - bottom - (H - top - bottom) * v as f64 / max as f64;
    let mut svg = String::new();
    value_axis(&mut svg, max, (left, W - right), y);
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
