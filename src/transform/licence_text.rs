//! Identifies a licence from its text: the answer to "Other" (`NOASSERTION`).
//!
//! GitHub's detector has no Open Government Licence, so OGL repositories come back as "Other".
//! A text is scored as the `spdx` crate's detector scores it (askalono's word-pair matching
//! against every text of the SPDX licence list) and gets the crate's scores, but against a
//! table built into the binary (table.rs) instead of the crate's store, which took 0.13-0.25 s
//! to load on a lake's first transform. The best match counts only at or above
//! [`THRESHOLD`], so a copyright line or a changed holder still resolves and unrelated text
//! does not.

mod pairs;
mod table;
#[cfg(test)]
mod tests;

use pairs::TextPairs;

/// The lowest score that names a licence (askalono's own default).
pub const THRESHOLD: f32 = 0.9;

/// What the text of one licence file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The SPDX id of the best match, when it scored at least [`THRESHOLD`].
    pub spdx_id: Option<String>,
    /// The best match's score (0 to 1), whatever it is; `None` when there was no text.
    pub confidence: Option<f64>,
}

/// One distinct licence file text of a snapshot, as silver `licence_texts` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceText {
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    pub detection: Detection,
    /// Repositories whose licence file this is.
    pub repositories: i64,
}

/// What identified the texts: a stored detection is reused only from the same detector, so
/// a new release of ohs (its rules, the `spdx` crate, the licence list) identifies every
/// text afresh once.
pub fn detector_name() -> String {
    format!(
        "ohs {} with SPDX License List {}, score >= {THRESHOLD}",
        env!("CARGO_PKG_VERSION"),
        crate::normalise::spdx_list_version()
    )
}

/// Identifies the licence in a file's bytes: the best score of its word pairs against every
/// licence text of the SPDX list. Text that is not UTF-8, or has no words, names nothing.
pub fn detect(bytes: &[u8]) -> Detection {
    let none = Detection {
        spdx_id: None,
        confidence: None,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return none;
    };
    if !text.chars().any(char::is_alphabetic) {
        return none;
    }
    let (score, licence) = best_match(&pairs::word_pairs(text));
    Detection {
        spdx_id: (score >= THRESHOLD).then(|| licence.to_owned()),
        // Rounded so the same text gives the same bytes on every machine.
        confidence: Some((f64::from(score) * 10_000.0).round() / 10_000.0),
    }
}

/// The licence whose text (or header) scores highest, and the score. Equal scores go to a
/// licence's own text before a header, then to the first SPDX id in byte order (the `spdx`
/// crate's detector takes whichever its hash map meets first).
fn best_match(text: &TextPairs) -> (f32, &'static str) {
    let texts = table::texts();
    let scores = scores(text);
    let best = (0..texts.len()).max_by(|&a, &b| {
        (scores[a].total_cmp(&scores[b]))
            .then(texts[b].kind.cmp(&texts[a].kind))
            .then(texts[b].name.cmp(texts[a].name))
    });
    best.map_or((0.0, ""), |at| (scores[at], texts[at].name))
}

/// The score of `text` against each licence text of the table, in its order: the
/// Sørensen-Dice coefficient of their word pairs counted with repeats, in the `spdx` crate's
/// `f32` arithmetic, so that the same texts give its scores to the last bit.
fn scores(text: &TextPairs) -> Vec<f32> {
    let texts = table::texts();
    let mut shared = vec![0u32; texts.len()];
    for &(hash, count) in &text.pairs {
        for (at, theirs) in table::holding(hash) {
            shared[at] += count.min(theirs);
        }
    }
    let dice = |(licence, shared): (&table::Licence, u32)| match (text.counted, licence.counted) {
        (0, _) | (_, 0) => 0.0,
        (ours, theirs) => (2.0 * shared as f32) / ((ours + theirs) as f32),
    };
    texts.iter().zip(shared).map(dice).collect()
}
