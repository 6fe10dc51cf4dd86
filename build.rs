//! Builds the licence detector's n-gram table (src/transform/licence_text/table.rs) from the
//! `spdx` crate's detection cache, so that a transform reads it from the binary instead of
//! loading the crate's store (0.13-0.25 s of zstd and hash maps on every first transform).
//!
//! The cache (`src/transform/licence_text/spdx-cache.bin.zstd`) is a copy of the one the
//! `spdx` crate ships; a unit test checks it is byte for byte the crate's own. Its format is
//! the crate's: after a 13-byte version header, one zstd stream of little-endian fields
//! (`u16` lengths, strings as a `u16` length and UTF-8 bytes):
//!
//! ```text
//! store   = u16 count, count x (name, entry)
//! entry   = text (the licence's original), aliases (u16 n, n x string),
//!           headers (u16 n, n x text), alternates (u16 n, n x text)
//! text    = ngrams, u64 view start, u64 view end, lines (u16 n, n x string), processed string
//! ngrams  = u16 n, n x (gram string, u32 count), u8 words per gram, u64 grams counted
//! ```
//!
//! The table written to `$OUT_DIR/licence_ngrams.bin` is described in table.rs, which reads it.

use std::{env, fs, path::PathBuf};

const CACHE: &str = "src/transform/licence_text/spdx-cache.bin.zstd";
const CACHE_VERSION: &[u8; 13] = b"spdx-crate-01";

/// What each text is to the licence it belongs to, as table.rs numbers them.
const ORIGINAL: u8 = 0;
const HEADER: u8 = 1;
const ALTERNATE: u8 = 2;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={CACHE}");
    // For the test that finds the spdx crate's own cache with `cargo metadata`.
    let target = env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=OHS_BUILD_TARGET={target}");
    let compressed = fs::read(CACHE).unwrap_or_else(|e| panic!("{CACHE}: {e}"));
    let Some(stream) = compressed.strip_prefix(CACHE_VERSION) else {
        panic!("{CACHE}: expected the spdx cache format {CACHE_VERSION:?}");
    };
    let raw = zstd::decode_all(stream).unwrap_or_else(|e| panic!("{CACHE}: {e}"));
    let mut cache = Cache { bytes: &raw, at: 0 };
    let mut table = Table::default();
    for _ in 0..cache.u16() {
        let name = cache.string();
        cache.text(name, ORIGINAL, &mut table);
        for _ in 0..cache.u16() {
            cache.string(); // an alias: the same text under another id, never a match
        }
        for _ in 0..cache.u16() {
            cache.text(name, HEADER, &mut table);
        }
        for _ in 0..cache.u16() {
            cache.text(name, ALTERNATE, &mut table);
        }
    }
    assert_eq!(cache.at, raw.len(), "{CACHE}: bytes after the last licence");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("licence_ngrams.bin"), table.bytes()).expect("write the licence table");
}

/// The licence texts, and every word pair of each: (pair's hash, text, count).
#[derive(Default)]
struct Table {
    texts: Vec<u8>,
    count: u16,
    pairs: Vec<(u64, u16, u32)>,
}

impl Table {
    /// table.rs's layout: the texts, then the pairs in increasing order of hash, then text.
    fn bytes(mut self) -> Vec<u8> {
        self.pairs.sort_unstable();
        // Two pairs of one text with one hash would be counted as one: refuse to build.
        let collides =
            (self.pairs.windows(2)).any(|two| (two[0].0, two[0].1) == (two[1].0, two[1].1));
        assert!(
            !collides,
            "{CACHE}: two word pairs of one licence text share a hash"
        );
        let mut out = Vec::with_capacity(self.texts.len() + 14 * self.pairs.len() + 8);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.texts);
        out.extend_from_slice(&u32::try_from(self.pairs.len()).unwrap().to_le_bytes());
        for (hash, text, count) in self.pairs {
            out.extend_from_slice(&hash.to_le_bytes());
            out.extend_from_slice(&text.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
        }
        out
    }
}

/// A reader over the decompressed cache; any short read is a corrupt cache and fails the build.
struct Cache<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cache<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let Some(bytes) = self.bytes.get(self.at..self.at + n) else {
            panic!("{CACHE}: ends inside a field at byte {}", self.at);
        };
        self.at += n;
        bytes
    }

    fn u16(&mut self) -> usize {
        usize::from(u16::from_le_bytes(self.take(2).try_into().unwrap()))
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }

    fn string(&mut self) -> &'a str {
        let len = self.u16();
        std::str::from_utf8(self.take(len)).unwrap_or_else(|e| panic!("{CACHE}: {e}"))
    }

    /// Reads one licence text into `table`.
    fn text(&mut self, name: &str, kind: u8, table: &mut Table) {
        let text = table.count;
        for _ in 0..self.u16() {
            let hash = xxhash_rust::xxh3::xxh3_64(self.string().as_bytes());
            table.pairs.push((hash, text, self.u32()));
        }
        let words_per_gram = self.take(1)[0];
        assert_eq!(
            words_per_gram, 2,
            "{CACHE}: {name} is not scored by word pairs"
        );
        let counted = self.u64();
        self.u64(); // the view's lines: the whole text in a stored licence
        self.u64();
        for _ in 0..self.u16() {
            self.string();
        }
        self.string();
        table.texts.push(kind);
        table
            .texts
            .extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        table.texts.extend_from_slice(name.as_bytes());
        table.texts.extend_from_slice(&counted.to_le_bytes());
        table.count = table
            .count
            .checked_add(1)
            .expect("fewer than 65,536 licence texts");
    }
}
