//! The licences a text is scored against: every text of the `spdx` crate's detection store
//! (each licence's original text and its standard headers), built into the binary by
//! build.rs, so nothing is loaded at run time. Each text's word pairs are indexed by the
//! pair, so that scoring a file looks up its own pairs only, not every licence's.
//!
//! Layout (little-endian): `u16` texts, then per text: `u8` kind (0 original, 1 header,
//! 2 alternate), `u16` name length, the licence's SPDX id, `u64` word pairs counted (with
//! repeats); then `u32` pairs, and per distinct pair of each text, in increasing order of
//! hash then text, the pair's `u64` hash (xxh3 of its two words joined by one space), the
//! `u16` text (its place above) and the `u32` times it occurs there.

use std::sync::LazyLock;

static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/licence_ngrams.bin"));

/// Bytes of one pair of one text: its hash, the text, its count.
const PAIR: usize = 14;

/// One licence text.
pub struct Licence {
    /// The licence's SPDX id.
    pub name: &'static str,
    /// 0 for the licence's own text, then its headers and alternates: ties go to the lowest.
    pub kind: u8,
    /// Word pairs counted, repeats included: what the score divides by.
    pub counted: u64,
}

/// The table, split into its texts and its pairs.
struct Table {
    texts: Vec<Licence>,
    pairs: &'static [[u8; PAIR]],
}

static READ: LazyLock<Table> = LazyLock::new(|| read(TABLE));

/// Every licence text, in the order of the spdx cache.
pub fn texts() -> &'static [Licence] {
    &READ.texts
}

/// The texts holding the pair of hash `hash`, as (place in [`texts`], times it occurs).
pub fn holding(hash: u64) -> impl Iterator<Item = (usize, u32)> {
    let pairs = READ.pairs;
    let first = pairs.partition_point(|pair| hash_of(pair) < hash);
    (pairs[first..].iter())
        .take_while(move |pair| hash_of(pair) == hash)
        .map(|pair| {
            let text = u16::from_le_bytes([pair[8], pair[9]]);
            let count = u32::from_le_bytes([pair[10], pair[11], pair[12], pair[13]]);
            (usize::from(text), count)
        })
}

fn hash_of(pair: &[u8; PAIR]) -> u64 {
    u64::from_le_bytes(pair[..8].try_into().unwrap())
}

/// Splits the table. It is built with the binary, by build.rs: a layout this does not read
/// is a build defect, and fails here on first use.
fn read(mut table: &'static [u8]) -> Table {
    let mut take = |n: usize| {
        let (field, rest) = table.split_at(n);
        table = rest;
        field
    };
    let count = u16::from_le_bytes(take(2).try_into().unwrap());
    let texts = (0..count)
        .map(|_| {
            let kind = take(1)[0];
            let name_len = usize::from(u16::from_le_bytes(take(2).try_into().unwrap()));
            let name = std::str::from_utf8(take(name_len)).expect("licence ids are UTF-8");
            let counted = u64::from_le_bytes(take(8).try_into().unwrap());
            Licence {
                name,
                kind,
                counted,
            }
        })
        .collect();
    let pairs = u32::from_le_bytes(take(4).try_into().unwrap()) as usize;
    let (pairs, rest) = take(PAIR * pairs).as_chunks::<PAIR>();
    assert!(
        rest.is_empty() && table.is_empty(),
        "the licence table's length"
    );
    Table { texts, pairs }
}
