//! GitHub's per-repository answers as transform applies them: `GET /repos/{o}/{r}/license`
//! (asked for "Other") gives the licence file's text, for ohs to identify;
//! `GET /repos/{o}/{r}/languages` gives bytes per language.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::forge::{ContentEncoding, LanguageSize, LanguagesAnswer, LicenceAnswer, StoredFile};

/// `GET /repos/{owner}/{repo}/license`: the file's content, base64 as GitHub sends it, left
/// as stored until it is decoded.
#[derive(Deserialize)]
struct LicenceFile<'a> {
    #[serde(borrow)]
    content: Option<&'a RawValue>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
}

/// The licence file in a stored `/license` answer.
pub fn licence_answer(body: &str) -> Result<LicenceAnswer<'_>, String> {
    let file: LicenceFile =
        serde_json::from_str(body).map_err(|e| format!("not a licence file object: {e}"))?;
    let encoding = match file.encoding.as_deref() {
        Some("base64") => ContentEncoding::Base64,
        None | Some("") | Some("utf-8") => ContentEncoding::Utf8,
        Some(other) => return Err(format!("unknown content encoding {other:?}")),
    };
    Ok(LicenceAnswer::File(StoredFile {
        // No content (`null`) is an empty file.
        content: file.content.map_or(r#""""#, RawValue::get),
        encoding,
    }))
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

    /// The file's bytes as transform reads them: the answer, then its content decoded.
    fn decoded(body: &str) -> Result<Vec<u8>, String> {
        match licence_answer(body)? {
            LicenceAnswer::File(file) => file.decode(),
            LicenceAnswer::Named(_) => panic!("GitHub's answer is a file"),
        }
    }

    #[test]
    fn a_licence_file_is_decoded_as_github_wraps_it() {
        let body = r#"{"content": "TUlU\nIExp\nY2Vu\nc2U=\n", "encoding": "base64"}"#;
        assert_eq!(decoded(body).unwrap(), b"MIT License");
        let plain = r#"{"content": "t\u00e9xt", "encoding": "utf-8"}"#;
        assert_eq!(decoded(plain).unwrap(), "t\u{e9}xt".as_bytes());
        assert_eq!(decoded(r#"{"content": null}"#).unwrap(), b"");
        let err = licence_answer(r#"{"content": "x", "encoding": "rot13"}"#).unwrap_err();
        assert!(err.contains("unknown content encoding \"rot13\""), "{err}");
        let err = decoded(r#"{"content": "!!", "encoding": "base64"}"#).unwrap_err();
        assert!(err.contains("content is not base64"), "{err}");
        let err = decoded(r#"{"content": 7, "encoding": "base64"}"#).unwrap_err();
        assert!(err.contains("content is not a string"), "{err}");
        assert!(licence_answer("[]").is_err());
    }

    #[test]
    fn the_same_file_is_stored_as_the_same_content() {
        let body = |url: &str| {
            format!(r#"{{"url": "{url}", "content": "TUlU\nIExp\n", "encoding": "base64"}}"#)
        };
        let (one, two) = (body("https://a/1"), body("https://a/2"));
        assert_eq!(licence_answer(&one).unwrap(), licence_answer(&two).unwrap());
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
