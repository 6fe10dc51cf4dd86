//! A text's word pairs, counted exactly as the `spdx` crate's detector counts them, so that
//! scoring them against the built-in table (table.rs) gives the crate's own scores.
//!
//! The crate keeps its counting private. Its first pass, which normalises each line (Unicode,
//! URLs, punctuation, spacing), is reached through [`TextData::lines`]; the second, which
//! makes the whole text matchable, is [`matchable`] here: it follows the crate's steps one for
//! one, with the crate's own patterns (askalono's, Apache-2.0). Tests check the scores equal
//! the crate's on every SPDX licence text and on altered ones.

use std::{collections::BTreeMap, sync::LazyLock};

use regex::Regex;
use spdx::detection::TextData;

/// A text's word pairs: what a licence's entry in the table holds, for one file.
pub struct TextPairs {
    /// Word pairs counted, repeats included.
    pub counted: u64,
    /// Distinct pairs, `(hash, count)`, in increasing order of hash (as in table.rs).
    pub pairs: Vec<(u64, u32)>,
}

/// Counts the word pairs of `text` as the `spdx` crate's detector would.
pub fn word_pairs(text: &str) -> TextPairs {
    let lines = TextData::new(text).lines().join("\n");
    count_pairs(&matchable(&lines))
}

/// Each pair of neighbouring words, joined by one space and hashed as build.rs hashes a
/// licence's pairs.
fn count_pairs(matchable: &str) -> TextPairs {
    let words: Vec<&str> = matchable.split(' ').collect();
    let mut pair = String::new();
    let mut hashes: Vec<u64> = (words.windows(2))
        .map(|two| {
            pair.clear();
            pair.push_str(two[0]);
            pair.push(' ');
            pair.push_str(two[1]);
            xxhash_rust::xxh3::xxh3_64(pair.as_bytes())
        })
        .collect();
    let counted = hashes.len() as u64;
    hashes.sort_unstable();
    let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(hashes.len());
    for hash in hashes {
        match pairs.last_mut() {
            Some((last, count)) if *last == hash => *count += 1,
            _ => pairs.push((hash, 1)),
        }
    }
    TextPairs { counted, pairs }
}

/// The crate's second pass over the normalised lines: a prefix most lines share (a comment
/// marker) goes, then line breaks are evened, punctuation dropped, case lowered, a title line
/// and copyright statements removed, and all spacing made one space.
fn matchable(lines: &str) -> String {
    static BREAK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\r\n\v\f]").unwrap());
    static BLANK_LINES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n{3,}").unwrap());
    static PUNCTUATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[^\w\s]+").unwrap());
    static TITLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^.*license( version \S+)?( copyright.*)?\n\n").unwrap());
    static SPACING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").unwrap());
    let text = without_shared_prefix(lines);
    let text = BREAK.replace_all(&text, "\n");
    let text = BLANK_LINES.replace_all(&text, "\n\n");
    let text = PUNCTUATION.replace_all(&text, "").to_lowercase();
    let text = TITLE.replace_all(&text, "");
    let text = COPYRIGHT.replace_all(&text, "\n\n");
    SPACING.replace_all(&text, " ").trim().to_owned()
}

/// Copyright statements: a paragraph of lines starting "copyright" (or such lines at the
/// start), the first line when it mentions copyright, or any line that looks like one.
static COPYRIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?mx)
        ( (\n\n|\A\n*) (^\x20*copyright.*?$)+ \n\n )
        | ( \A.*copyright.*$ )
        | ( ^copyright (\s+(c|\d+))+ .*?$ )",
    )
    .unwrap()
});

/// Drops the prefix that neighbouring lines share most often (longer than three bytes, once
/// trimmed), when lines sharing it or a longer one make up at least 80% of the text (the
/// crate's count, which starts each prefix at one). Where the crate picks among equally common
/// prefixes by its hash map's order, this takes the first in byte order.
fn without_shared_prefix(text: &str) -> std::borrow::Cow<'_, str> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for two in lines.windows(2) {
        let shared = shared_prefix(two[0], two[1]);
        if shared.len() > 3 {
            *counts.entry(shared).or_insert(1) += 1;
        }
    }
    let Some((&prefix, _)) = counts.iter().rev().max_by_key(|(_, count)| **count) else {
        return text.into();
    };
    let sharing: u32 = (counts.iter())
        .filter(|(other, _)| other.starts_with(prefix))
        .map(|(_, count)| count)
        .sum();
    if sharing < (0.8f32 * lines.len() as f32) as u32 {
        return text.into();
    }
    let stripped: Vec<&str> = (lines.iter())
        .map(|line| line.strip_prefix(prefix).unwrap_or(line).trim())
        .collect();
    stripped.join("\n").into()
}

/// The bytes `a` and `b` start with, cut back to a whole character, trimmed.
fn shared_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let mut len = (a.bytes().zip(b.bytes()))
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(len) {
        len -= 1;
    }
    a[..len].trim()
}
