//! The share charts (languages, licences): the ten largest shares as bars, the rest summed
//! as "Others", each count written as a number or as bytes.

/// A share chart: the ten largest shares, the rest summed as "Others".
pub(super) struct ShareChart<'a> {
    pub(super) id: &'a str,
    pub(super) title: &'a str,
    /// What the counts are: "Repositories", "Bytes".
    pub(super) unit: &'a str,
    pub(super) bars: Vec<Bar>,
}

pub(super) struct Bar {
    pub(super) name: String,
    /// The count as the chart writes it (a number, or bytes as "1.2 MB").
    pub(super) count: String,
    pub(super) share: f64,
}

impl<'a> ShareChart<'a> {
    /// The ten largest of `rows` (name, count, share), the rest summed as "Others"; `show`
    /// writes a count.
    pub(super) fn new(
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

pub(super) const REPOSITORIES: (&str, fn(i64) -> String) =
    ("Repositories", |count| count.to_string());
pub(super) const BYTES: (&str, fn(i64) -> String) = ("Bytes", human_bytes);

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
