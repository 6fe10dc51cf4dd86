use std::sync::LazyLock;

use spdx::detection::{Store, TextData};

use super::*;

const OGL: &str = include_str!("../../../tests/fixtures/licences/OGL-UK-3.0.txt");
const MIT: &str = include_str!("../../../tests/fixtures/licences/MIT.txt");

/// The `spdx` crate's own detector: what the built-in table must score the same as.
static SPDX: LazyLock<Store> = LazyLock::new(|| Store::load_inline().unwrap());

/// Every text's score by the crate's detector, per licence: its own text, then its headers.
fn spdx_scores(text: &str) -> Vec<(String, Vec<f32>)> {
    let text = TextData::new(text);
    let mut scores: Vec<(String, Vec<f32>)> = (SPDX.iter())
        .map(|(name, entry)| {
            let texts = std::iter::once(&entry.original)
                .chain(&entry.headers)
                .chain(&entry.alternates);
            (name.clone(), texts.map(|t| t.match_score(&text)).collect())
        })
        .collect();
    scores.sort_by(|a, b| a.0.cmp(&b.0));
    scores
}

/// The table's scores of a text, in the shape of [`spdx_scores`].
fn table_scores(text: &str) -> Vec<(String, Vec<f32>)> {
    let mut by_name: Vec<(String, Vec<f32>)> = Vec::new();
    for (licence, score) in table::texts().iter().zip(scores(&pairs::word_pairs(text))) {
        match by_name.iter_mut().find(|(name, _)| name == licence.name) {
            Some((_, texts)) => texts.push(score),
            None => by_name.push((licence.name.to_owned(), vec![score])),
        }
    }
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    by_name
}

/// Scores `text` both ways: the best match is the crate's, to the bit, or (where two
/// licences score the same and the crate's pick varies from run to run) one it scores equal.
/// Where two prefixes are equally common in a text, the crate's pick, and so its score,
/// varies from run to run: the table's must then be one of the crate's, in some run.
fn assert_scored_as_spdx(label: &str, text: &str) {
    let (score, name) = best_match(&pairs::word_pairs(text));
    let mut theirs = SPDX.analyze(&TextData::new(text));
    for _ in 0..50 {
        if score.to_bits() == theirs.score.to_bits() {
            break;
        }
        theirs = SPDX.analyze(&TextData::new(text));
    }
    assert_eq!(
        score.to_bits(),
        theirs.score.to_bits(),
        "{label}: {name} {theirs:?}"
    );
    if name != theirs.name {
        let scores = spdx_scores(text);
        let ours = scores.iter().find(|(n, _)| n == name).unwrap();
        assert!(
            ours.1.contains(&score),
            "{label}: {name} is no tie with {theirs:?}"
        );
    }
}

#[test]
fn every_licence_text_scores_as_spdx_scores_it() {
    let texts = spdx::text::LICENSE_TEXTS;
    assert!(texts.len() > 600, "{} texts", texts.len());
    // The crate's detector is slow unoptimised: every text once, on every core.
    use rayon::prelude::*;
    (texts.par_iter()).for_each(|(id, text)| assert_scored_as_spdx(id, text));
}

#[test]
fn altered_texts_score_as_spdx_scores_them() {
    let apache = spdx::text::LICENSE_TEXTS
        .iter()
        .find(|(id, _)| *id == "Apache-2.0")
        .unwrap()
        .1;
    let commented: String = MIT.lines().map(|line| format!("// {line}\n")).collect();
    let starred: String = OGL.lines().map(|line| format!(" * {line}\r\n")).collect();
    let texts = [
        (
            "OGL with a copyright line",
            format!("Copyright (c) NHSX 2021\n\n{OGL}"),
        ),
        (
            "MIT with a holder",
            MIT.replace("<year> <copyright holders>", "2020 NHS"),
        ),
        ("MIT in a comment", commented),
        ("OGL starred, CRLF", starred),
        ("Apache's first half", apache[..apache.len() / 2].to_owned()),
        ("two licences", format!("{MIT}\n\n{OGL}")),
        (
            "prose",
            "Ask the team before reusing any of the diagrams.".to_owned(),
        ),
        (
            "Unicode",
            "Licencia © 2021 — «Ñandú» ﬁle\u{a0}mañana https://x.y/z".to_owned(),
        ),
    ];
    for (label, text) in texts {
        assert_scored_as_spdx(label, &text);
    }
}

#[test]
fn every_text_of_the_table_scores_as_the_spdx_store() {
    for text in [MIT, OGL, "Permission is hereby granted, free of charge"] {
        assert_eq!(table_scores(text), spdx_scores(text));
    }
}

#[test]
fn the_cache_is_the_spdx_crates_own() {
    // `cargo metadata` says where the crate's sources are; every package of this platform is
    // there once the tests are built.
    let cargo = std::env::var("CARGO").expect("tests run by cargo");
    let args = ["metadata", "--format-version=1", "--offline", "--locked"];
    let out = std::process::Command::new(cargo)
        .args(args)
        .args(["--filter-platform", env!("OHS_BUILD_TARGET")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let spdx = (packages.iter())
        .find(|p| p["name"] == "spdx")
        .expect("spdx is a dependency");
    let manifest = std::path::Path::new(spdx["manifest_path"].as_str().unwrap());
    let theirs = manifest.with_file_name("src/detection/cache.bin.zstd");
    let ours = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/transform/licence_text/spdx-cache.bin.zstd"
    );
    assert!(
        std::fs::read(&theirs).unwrap() == std::fs::read(ours).unwrap(),
        "spdx {} ships another cache: cp {} {ours}",
        spdx["version"],
        theirs.display()
    );
}

#[test]
fn ogl_with_any_copyright_line_resolves() {
    let lines = [
        "Copyright (c) Crown copyright 2021, NHSX",
        "\u{a9} Crown copyright 2023",
        "Copyright (c) NHS England and NHS Improvement 2021. Licensed under the Open \
         Government Licence v3.0; the code is also available under the MIT licence.",
        "",
    ];
    for line in lines {
        let text = format!("{line}\n\n{OGL}");
        let found = detect(text.as_bytes());
        assert_eq!(
            found.spdx_id.as_deref(),
            Some("OGL-UK-3.0"),
            "{line}: {found:?}"
        );
    }
}

#[test]
fn mit_with_another_holder_resolves() {
    let text = MIT.replace("<year> <copyright holders>", "2020 NHS Digital");
    let found = detect(text.as_bytes());
    assert_eq!(found.spdx_id.as_deref(), Some("MIT"), "{found:?}");
    assert!(found.confidence.unwrap() >= f64::from(THRESHOLD));
}

#[test]
fn other_text_stays_unresolved() {
    let prose = "This repository holds the slides and notes of our team's quarterly \
                 review. Please ask the team before reusing any of the diagrams.";
    let found = detect(prose.as_bytes());
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
    let found = detect(random.as_bytes());
    assert_eq!(found.spdx_id, None, "{found:?}");
    let empty = detect(b"");
    assert_eq!((empty.spdx_id, empty.confidence), (None, None));
    let junk = detect(&[0xff, 0xfe, 0x00, 0x9c, 0x12]);
    assert_eq!((junk.spdx_id, junk.confidence), (None, None));
}
