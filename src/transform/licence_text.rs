//! Identifies a licence from its text: the answer to "Other" (`NOASSERTION`).
//!
//! GitHub's detector has no Open Government Licence, so OGL repositories come back as "Other".
//! The `spdx` crate's detector (askalono's n-gram matching against every text of the SPDX
//! licence list, shipped with the crate) scores a text against them all; the best match counts
//! only at or above [`THRESHOLD`], so a copyright line or a changed holder still resolves and
//! unrelated text does not.

use spdx::detection::{Store, TextData};

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

/// The detector: spdx's store of every licence text of the SPDX list, about 50 MiB, loaded
/// in 0.13-0.18 s on one core and freed in about 0.03 s. A transform loads it only when a text
/// is new, on a thread of its own while other work goes on ([`Detector::start_loading`]), and
/// frees it the same way once the new texts are identified ([`Detector::free_aside`]).
pub struct Detector {
    store: Store,
}

/// A [`Detector`] being loaded on a thread of its own.
pub struct LoadingDetector(std::thread::JoinHandle<Detector>);

impl LoadingDetector {
    /// The detector, once loaded.
    pub fn wait(self) -> Detector {
        self.0
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl Detector {
    pub fn load() -> Self {
        // The cache ships inside the spdx crate: failing to read it is a build defect.
        let store = Store::load_inline().unwrap_or_else(|e| panic!("spdx licence cache: {e}"));
        Self { store }
    }

    /// Starts loading the detector on a thread of its own: loading is one zstd stream read
    /// into a hash map per licence, which nothing else can speed up.
    pub fn start_loading() -> LoadingDetector {
        LoadingDetector(std::thread::spawn(Self::load))
    }

    /// Frees the detector on a thread of its own: its hundreds of thousands of n-grams take
    /// longer to free than most texts take to identify.
    pub fn free_aside(self) {
        std::thread::spawn(move || drop(self));
    }

    /// Identifies the licence in a file's bytes. Text that is not UTF-8, or has no words,
    /// names nothing.
    pub fn detect(&self, bytes: &[u8]) -> Detection {
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
        let found = self.store.analyze(&TextData::new(text));
        Detection {
            spdx_id: (found.score >= THRESHOLD).then(|| found.name.to_string()),
            // Rounded so the same text gives the same bytes on every machine.
            confidence: Some((f64::from(found.score) * 10_000.0).round() / 10_000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OGL: &str = include_str!("../../tests/fixtures/licences/OGL-UK-3.0.txt");
    const MIT: &str = include_str!("../../tests/fixtures/licences/MIT.txt");

    #[test]
    fn ogl_with_any_copyright_line_resolves() {
        let detector = Detector::load();
        let lines = [
            "Copyright (c) Crown copyright 2021, NHSX",
            "\u{a9} Crown copyright 2023",
            "Copyright (c) NHS England and NHS Improvement 2021. Licensed under the Open \
             Government Licence v3.0; the code is also available under the MIT licence.",
            "",
        ];
        for line in lines {
            let text = format!("{line}\n\n{OGL}");
            let found = detector.detect(text.as_bytes());
            assert_eq!(
                found.spdx_id.as_deref(),
                Some("OGL-UK-3.0"),
                "{line}: {found:?}"
            );
        }
    }

    #[test]
    fn mit_with_another_holder_resolves() {
        let detector = Detector::start_loading().wait();
        let text = MIT.replace("<year> <copyright holders>", "2020 NHS Digital");
        let found = detector.detect(text.as_bytes());
        assert_eq!(found.spdx_id.as_deref(), Some("MIT"), "{found:?}");
        assert!(found.confidence.unwrap() >= f64::from(THRESHOLD));
    }

    #[test]
    fn other_text_stays_unresolved() {
        let detector = Detector::load();
        let prose = "This repository holds the slides and notes of our team's quarterly \
                     review. Please ask the team before reusing any of the diagrams.";
        let found = detector.detect(prose.as_bytes());
        assert_eq!(found.spdx_id, None, "{found:?}");
        // Pseudo-random words, deterministic: a xorshift over a small alphabet.
        let mut state: u32 = 0x9e37_79b9;
        let random: String = (0..4000)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                if i % 7 == 6 {
                    ' '
                } else {
                    char::from(b'a' + (state % 26) as u8)
                }
            })
            .collect();
        let found = detector.detect(random.as_bytes());
        assert_eq!(found.spdx_id, None, "{found:?}");
        let empty = detector.detect(b"");
        assert_eq!((empty.spdx_id, empty.confidence), (None, None));
        let junk = detector.detect(&[0xff, 0xfe, 0x00, 0x9c, 0x12]);
        assert_eq!((junk.spdx_id, junk.confidence), (None, None));
    }
}
