//! One org's per-repository answers file, read into what transform applies: each answer's
//! licence or languages as its forge reads them ([`crate::forge::Adapter`]), read on the cores
//! as soon as the file is, so that neither the file's bytes nor its bodies are held until the
//! answers are applied ([`super::details`]), and each distinct licence file is decoded and
//! held once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use polars::prelude::PlHashMap;
use serde_json::value::RawValue;

use super::silver::RepoLanguage;
use crate::bronze::read::BronzeError;
use crate::bronze::{self, RepoResponses, StoredJson};
use crate::domain::{Forge, RepoEndpoint};
use crate::forge::{
    fits_signed_column, LanguagesAnswer, LicenceAnswer, NamedLicence, SharedStrings, StoredFile,
};
use crate::lake::LakeKey;

/// One org's answers of one endpoint, those with a body, in the file's order.
pub struct OrgAnswers {
    /// The org as the file names it, for messages.
    pub org: String,
    pub answers: Vec<OrgAnswer>,
}

/// What one repository's answer says, or why it could not be read (naming the repository).
pub struct OrgAnswer {
    pub repo_id: u64,
    pub said: Result<Said, String>,
}

/// What an answer says.
pub enum Said {
    /// A licence file's text (one shared copy per distinct text of the file) and its SHA-256.
    LicenceText { sha256: Arc<str>, text: Arc<[u8]> },
    /// The licence the forge named, or `None` when it found none.
    NamedLicence(Option<NamedLicence>),
    /// The primary language where the listing names none, and silver `repo_languages` rows.
    Languages {
        primary: Option<String>,
        rows: Vec<RepoLanguage>,
    },
}

impl OrgAnswers {
    /// Parses the answers file `bytes` (at `key`), `forge`'s answers of `endpoint`, and reads
    /// it ([`OrgAnswers::read`]). sonic-rs parses it, as it does listing pages: a snapshot's
    /// answers files are a gigabyte at a million repositories, which serde_json took most of
    /// a second of a core to parse; where sonic-rs fails, serde_json parses the file again to
    /// name the fault as every bronze error names it.
    pub fn parse(
        key: &LakeKey,
        bytes: &[u8],
        forge: Forge,
        endpoint: RepoEndpoint,
        rename: &BTreeMap<String, String>,
    ) -> Result<Self, BronzeError> {
        if let Ok(file) = sonic_rs::from_slice::<RepoResponses<sonic_rs::LazyValue>>(bytes) {
            return Ok(Self::read(forge, endpoint, file, rename));
        }
        let file: RepoResponses<&RawValue> = bronze::read::parse(key, bytes)?;
        Ok(Self::read(forge, endpoint, file, rename))
    }

    /// Reads `file`, `forge`'s answers of `endpoint`; `rename` is the exact-match language map.
    pub fn read<B: StoredJson>(
        forge: Forge,
        endpoint: RepoEndpoint,
        file: RepoResponses<B>,
        rename: &BTreeMap<String, String>,
    ) -> Self {
        let adapter = forge.adapter();
        let mut files = LicenceFiles::default();
        // A snapshot has millions of language rows and a few hundred language names.
        let mut names = SharedStrings::default();
        let answers = file
            .responses
            .iter()
            .filter_map(|response| {
                let body = response.body.as_ref()?.json();
                let said = match endpoint {
                    RepoEndpoint::License => adapter
                        .licence_answer(body)
                        .and_then(|answer| files.said(answer)),
                    RepoEndpoint::Languages => adapter.languages_answer(body).and_then(|answer| {
                        languages(forge, response.repo_id, answer, rename, &mut names)
                    }),
                };
                let said =
                    said.map_err(|message| format!("repository {}: {message}", response.full_name));
                Some(OrgAnswer {
                    repo_id: response.repo_id,
                    said,
                })
            })
            .collect();
        Self {
            org: file.org,
            answers,
        }
    }
}

/// An answers file's licence files, each distinct stored content decoded and hashed once (an
/// org's repositories often hold the same file, byte for byte, and decoding and hashing it
/// costs several times finding it again), each distinct text held once.
#[derive(Default)]
struct LicenceFiles<'a> {
    /// By stored content.
    decoded: PlHashMap<&'a str, Decoded>,
    /// By SHA-256: contents stored differently may decode to the same text.
    texts: HashMap<Arc<str>, Arc<[u8]>>,
}

impl<'a> LicenceFiles<'a> {
    /// What a licence answer says, its file decoded once.
    fn said(&mut self, answer: LicenceAnswer<'a>) -> Result<Said, String> {
        let file = match answer {
            LicenceAnswer::File(file) => file,
            LicenceAnswer::Named(named) => return Ok(Said::NamedLicence(named)),
        };
        let texts = &mut self.texts;
        let decoded = self
            .decoded
            .entry(file.content)
            .or_insert_with(|| decode(&file, texts));
        let (sha256, text) = decoded.clone()?;
        Ok(Said::LicenceText { sha256, text })
    }
}

/// A licence file's SHA-256 and text, or why it could not be decoded.
type Decoded = Result<(Arc<str>, Arc<[u8]>), String>;

/// `file`'s text and its SHA-256, the text shared with `texts`' copy of it.
fn decode(file: &StoredFile, texts: &mut HashMap<Arc<str>, Arc<[u8]>>) -> Decoded {
    let text = file.decode()?;
    let sha256: Arc<str> = crate::formats::sha256_hex(&text).into();
    let text = texts
        .entry(Arc::clone(&sha256))
        .or_insert_with(|| text.into());
    Ok((sha256, Arc::clone(text)))
}

/// A languages answer as its primary language and silver `repo_languages` rows.
fn languages(
    forge: Forge,
    repo_id: u64,
    answer: LanguagesAnswer,
    rename: &BTreeMap<String, String>,
    names: &mut SharedStrings,
) -> Result<Said, String> {
    let repo_id = fits_signed_column("repo_id", repo_id)?;
    let rows = answer
        .languages
        .into_iter()
        .map(|size| {
            let bytes = size.bytes.map(|b| fits_signed_column("bytes", b));
            Ok(RepoLanguage {
                forge,
                repo_id,
                bytes: bytes.transpose()?,
                share: size.share,
                language_normalised: names
                    .get(rename.get(&size.language).unwrap_or(&size.language)),
                language: names.get(&size.language),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Said::Languages {
        primary: answer.primary,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    /// An answers file as extract stores it, a licence answer per `(repo_id, content)`.
    fn licence_file(contents: &[(u64, &str)]) -> String {
        let responses: Vec<_> = contents
            .iter()
            .map(|(id, content)| {
                serde_json::json!({
                    "repo_id": id, "full_name": format!("nhsx/r{id}"),
                    "url": format!("https://api.github.com/repos/nhsx/r{id}/license"),
                    "status": 200, "etag": null, "attempts": 1,
                    "body": {"name": "LICENSE", "content": content, "encoding": "base64"},
                })
            })
            .collect();
        serde_json::json!({
            "org": "nhsx", "snapshot_date": "2021-03-04", "endpoint": "license",
            "api_version": "2022-11-28", "responses": responses,
        })
        .to_string()
    }

    /// What an answers file said, answer by answer, in a form to compare.
    fn said(answers: &OrgAnswers) -> Vec<String> {
        let said = |said: &Result<Said, String>| match said {
            Ok(Said::LicenceText { sha256, .. }) => format!("text {sha256}"),
            Ok(Said::NamedLicence(named)) => format!("named {named:?}"),
            Ok(Said::Languages { primary, rows }) => format!("{primary:?} {rows:?}"),
            Err(message) => format!("error {message}"),
        };
        (answers.answers.iter())
            .map(|answer| format!("{}: {}", answer.repo_id, said(&answer.said)))
            .collect()
    }

    #[test]
    fn a_file_parsed_by_sonic_rs_says_what_serde_json_reads_and_its_faults_are_named() {
        let base64 = base64::engine::general_purpose::STANDARD.encode("MIT License\n");
        let json = licence_file(&[(1, &base64), (2, "not base64!"), (3, "TUlU\nIExp\n")]);
        let (date, org) = ("2021-03-04".parse().unwrap(), "nhsx".parse().unwrap());
        let key = crate::lake::bronze::repo_responses(RepoEndpoint::License, date, &org);
        let (forge, endpoint, rename) = (Forge::Github, RepoEndpoint::License, BTreeMap::new());
        let parsed = OrgAnswers::parse(&key, json.as_bytes(), forge, endpoint, &rename).unwrap();
        let file: RepoResponses<&RawValue> = serde_json::from_str(&json).unwrap();
        let read = OrgAnswers::read(forge, endpoint, file, &rename);
        assert_eq!(said(&parsed), said(&read));
        assert_eq!(said(&parsed).len(), 3);

        let truncated = &json.as_bytes()[..json.len() - 10];
        let err = OrgAnswers::parse(&key, truncated, forge, endpoint, &rename)
            .err()
            .expect("a truncated file is an error")
            .to_string();
        assert!(
            err.starts_with(&format!("{key}: invalid JSON: EOF while parsing")),
            "{err}"
        );
    }

    #[test]
    fn copies_of_a_file_are_decoded_once_and_each_text_is_held_once() {
        let text = "MIT License\n\nCopyright (c) 2021 NHSX\n".repeat(3);
        let base64 = base64::engine::general_purpose::STANDARD.encode(&text);
        let wrapped = |columns: usize| {
            let lines: Vec<&str> = (0..base64.len())
                .step_by(columns)
                .map(|at| &base64[at..base64.len().min(at + columns)])
                .collect();
            lines.join("\n") + "\n"
        };
        let (github, other) = (wrapped(60), wrapped(76));
        let json = licence_file(&[
            (1, &github),
            (2, &github),
            (3, &other),
            (4, "not base64!"),
            (5, "not base64!"),
        ]);
        let file: RepoResponses<&RawValue> = serde_json::from_str(&json).unwrap();
        let read = OrgAnswers::read(Forge::Github, RepoEndpoint::License, file, &BTreeMap::new());
        let texts: Vec<_> = read.answers[..3]
            .iter()
            .map(|answer| match &answer.said {
                Ok(Said::LicenceText { sha256, text }) => (sha256.clone(), text.clone()),
                _ => panic!("a licence text"),
            })
            .collect();
        assert_eq!(&*texts[0].1, text.as_bytes());
        assert_eq!(*texts[0].0, crate::formats::sha256_hex(text.as_bytes()));
        for (sha256, shared) in &texts[1..] {
            assert_eq!(sha256, &texts[0].0);
            assert!(Arc::ptr_eq(shared, &texts[0].1), "one copy of the text");
        }
        for (answer, repo) in read.answers[3..].iter().zip(["nhsx/r4", "nhsx/r5"]) {
            let Err(message) = &answer.said else {
                panic!("an error");
            };
            let expected = format!("repository {repo}: content is not base64");
            assert!(message.starts_with(&expected), "{message}");
        }
    }
}
