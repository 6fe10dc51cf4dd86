//! Which file of a repository's root is its licence file, as GitHub's detector (licensee)
//! chooses it by name, so that a licence read through GraphQL by path is the file REST's
//! `/license` would have returned, or is not used at all.
//!
//! licensee scores each root file's name (case-insensitively): `LICENSE`, `LICENCE`,
//! `UNLICENSE` 1.0; with a preferred extension (`.md`, `.markdown`, `.txt`, `.html`) 0.95;
//! `COPYING`, `COPYRIGHT` 0.90, with a preferred extension 0.85; either with another
//! extension 0.80 and 0.75; then prefixed and suffixed forms (`LICENSE-MIT`, `MIT-LICENSE`)
//! lower. A choice is made here only where it cannot differ from licensee's: one regular file
//! scoring at least 0.75, higher than every other; anything else is left to REST.

/// The names a query reads by path (GraphQL's paths are case-sensitive): the common
/// spellings of the names that score highest.
pub const CANDIDATES: [&str; 17] = [
    "LICENSE",
    "LICENCE",
    "License",
    "license",
    "LICENSE.md",
    "LICENSE.txt",
    "LICENCE.md",
    "LICENCE.txt",
    "License.md",
    "license.md",
    "License.txt",
    "license.txt",
    "LICENSE.markdown",
    "UNLICENSE",
    "COPYING",
    "COPYING.md",
    "COPYING.txt",
];

/// A regular file's mode in a Git tree (`100644`, or `100755` executable), as GraphQL's
/// `TreeEntry.mode` gives it (a decimal integer).
const REGULAR_FILES: [u64; 2] = [0o100644, 0o100755];

/// The lowest score a choice is made at: below it, licensee's rules are subtler than these.
const CONFIDENT: f32 = 0.75;

/// licensee's score for a root file `name`; 0 for a name that is not a licence file's.
pub fn score(name: &str) -> f32 {
    let lower = name.to_ascii_lowercase();
    let (stem, extension) = match lower.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (lower.as_str(), None),
    };
    let licence = |s: &str| matches!(s, "license" | "licence" | "unlicense" | "unlicence");
    let copying = |s: &str| matches!(s, "copying" | "copyright");
    let preferred = matches!(extension, Some("md" | "markdown" | "txt" | "html"));
    match () {
        _ if licence(&lower) => 1.0,
        _ if licence(stem) && preferred => 0.95,
        _ if copying(&lower) => 0.90,
        _ if copying(stem) && preferred => 0.85,
        _ if licence(stem) => 0.80,
        _ if copying(stem) => 0.75,
        _ if ["license-", "licence-", "license_", "licence_"]
            .iter()
            .any(|p| lower.starts_with(p)) =>
        {
            0.70
        }
        _ if ["copying-", "copying_"]
            .iter()
            .any(|p| lower.starts_with(p)) =>
        {
            0.65
        }
        _ if ["-license", "-licence", "_license", "_licence"]
            .iter()
            .any(|p| lower.contains(p)) =>
        {
            0.60
        }
        _ => 0.0,
    }
}

/// The licence file licensee would choose among the root's entries (name, mode), when the
/// choice is certain: one regular file with the best score, at least [`CONFIDENT`], and no
/// other entry scoring as much.
pub fn chosen<'a>(entries: impl IntoIterator<Item = (&'a str, u64)>) -> Option<&'a str> {
    let mut best: Option<(&str, u64, f32)> = None;
    let mut tied = false;
    for (name, mode) in entries {
        let score = score(name);
        match best {
            Some((_, _, top)) if score < top => {}
            Some((_, _, top)) if score == top => tied = true,
            _ => {
                best = Some((name, mode, score));
                tied = false;
            }
        }
    }
    let (name, mode, score) = best?;
    let certain = !tied && score >= CONFIDENT && REGULAR_FILES.contains(&mode);
    certain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: u64 = 0o100644;

    #[test]
    fn names_score_as_licensee_scores_them() {
        for (name, expected) in [
            ("LICENSE", 1.0),
            ("licence", 1.0),
            ("UNLICENSE", 1.0),
            ("License.md", 0.95),
            ("LICENSE.txt", 0.95),
            ("COPYING", 0.90),
            ("copying.md", 0.85),
            ("LICENSE.rst", 0.80),
            ("COPYING.LESSER", 0.75),
            ("LICENSE-MIT", 0.70),
            ("MIT-LICENSE", 0.60),
            ("README.md", 0.0),
        ] {
            assert_eq!(score(name), expected, "{name}");
        }
    }

    #[test]
    fn only_a_certain_choice_is_made() {
        let pick = |entries: &[(&'static str, u64)]| chosen(entries.iter().copied());
        assert_eq!(
            pick(&[("README.md", FILE), ("License.md", FILE), ("COPYING", FILE)]),
            Some("License.md")
        );
        assert_eq!(pick(&[("LICENSE", FILE), ("licence", FILE)]), None, "a tie");
        assert_eq!(pick(&[("LICENSE", 0o120000)]), None, "a symbolic link");
        assert_eq!(
            pick(&[("LICENSE-MIT", FILE)]),
            None,
            "below the confident score"
        );
        assert_eq!(pick(&[("src", 0o040000)]), None);
    }
}
