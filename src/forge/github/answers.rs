//! GitHub's per-repository answers as transform applies them: `GET /repos/{o}/{r}/license`
//! (asked for "Other") gives the licence file's text, for ohs to identify;
//! `GET /repos/{o}/{r}/languages` gives bytes per language.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;

use crate::forge::{LanguageSize, LanguagesAnswer, LicenceAnswer};

/// `GET /repos/{owner}/{repo}/license`: the file's content, base64 as GitHub sends it.
#[derive(Deserialize)]
struct LicenceFile {
    content: Option<String>,
    encoding: Option<String>,
}

/// The licence file's bytes from a stored `/license` answer.
pub fn licence_answer(body: &str) -> Result<LicenceAnswer, String> {
    let file: LicenceFile =
        serde_json::from_str(body).map_err(|e| format!("not a licence file object: {e}"))?;
    let content = file.content.unwrap_or_default();
    let bytes = match file.encoding.as_deref() {
        Some("base64") => {
            // GitHub wraps base64 at 60 columns; base64 is ASCII, so is the space between.
            let mut packed = Vec::with_capacity(content.len());
            for line in content.as_bytes().split(u8::is_ascii_whitespace) {
                packed.extend_from_slice(line);
            }
            base64::engine::general_purpose::STANDARD
                .decode(packed)
                .map_err(|e| format!("content is not base64: {e}"))?
        }
        None | Some("") | Some("utf-8") => content.into_bytes(),
        Some(other) => return Err(format!("unknown content encoding {other:?}")),
    };
    Ok(LicenceAnswer::FileText(bytes))
}

/// `{"Python": 12345, "Shell": 678}`: bytes of each language, and so its share. The
/// listing's `language` stays the primary one: GitHub's own choice.
pub fn languages_answer(body: &str) -> Result<LanguagesAnswer, String> {
    let bytes: BTreeMap<String, u64> = serde_json::from_str(body)
        .map_err(|e| format!("not an object of language byte counts: {e}"))?;
    let total: u64 = bytes.values().fold(0, |sum, b| sum.saturating_add(*b));
    let languages = bytes
        .into_iter()
        .map(|(language, count)| LanguageSize {
            language,
            bytes: Some(count),
            share: (total > 0).then(|| count as f64 / total as f64),
        })
        .collect();
    Ok(LanguagesAnswer {
        languages,
        primary: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_file_is_decoded_as_github_wraps_it() {
        let body = r#"{"content": "TUlU\nIExp\nY2Vu\nc2U=\n", "encoding": "base64"}"#;
        assert_eq!(
            licence_answer(body).unwrap(),
            LicenceAnswer::FileText(b"MIT License".to_vec())
        );
        let plain = r#"{"content": "text", "encoding": "utf-8"}"#;
        assert_eq!(
            licence_answer(plain).unwrap(),
            LicenceAnswer::FileText(b"text".to_vec())
        );
        let err = licence_answer(r#"{"content": "x", "encoding": "rot13"}"#).unwrap_err();
        assert!(err.contains("unknown content encoding \"rot13\""), "{err}");
        assert!(licence_answer("[]").is_err());
    }

    #[test]
    fn languages_give_bytes_and_shares_but_no_primary() {
        let answer = languages_answer(r#"{"Shell": 25, "Python": 75}"#).unwrap();
        assert_eq!(answer.primary, None);
        let names: Vec<_> = answer.languages.iter().map(|l| &*l.language).collect();
        assert_eq!(names, ["Python", "Shell"]);
        assert_eq!(answer.languages[0].bytes, Some(75));
        assert_eq!(answer.languages[0].share, Some(0.75));
        let empty = languages_answer(r#"{"Text": 0}"#).unwrap();
        assert_eq!(empty.languages[0].share, None);
        assert!(languages_answer(r#"{"Python": -1}"#).is_err());
    }
}
