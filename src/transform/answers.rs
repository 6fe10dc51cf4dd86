//! One org's per-repository answers file, read into what transform applies: each answer's
//! licence or languages as its forge reads them ([`crate::forge::Adapter`]), read on the cores
//! as soon as the file is, so that neither the file's bytes nor its bodies are held until the
//! answers are applied ([`super::details`]), and each distinct licence text is held once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::silver::RepoLanguage;
use crate::bronze::RepoResponses;
use crate::domain::{Forge, RepoEndpoint};
use crate::forge::{
    fits_signed_column, LanguagesAnswer, LicenceAnswer, NamedLicence, SharedStrings,
};

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
    /// Reads `file`, `forge`'s answers of `endpoint`; `rename` is the exact-match language map.
    pub fn read(
        forge: Forge,
        endpoint: RepoEndpoint,
        file: RepoResponses,
        rename: &BTreeMap<String, String>,
    ) -> Self {
        let adapter = forge.adapter();
        let mut texts: HashMap<Arc<str>, Arc<[u8]>> = HashMap::new();
        // A snapshot has millions of language rows and a few hundred language names.
        let mut names = SharedStrings::default();
        let answers = file
            .responses
            .iter()
            .filter_map(|response| {
                let body = response.body.as_ref()?.get();
                let said = match endpoint {
                    RepoEndpoint::License => adapter
                        .licence_answer(body)
                        .map(|answer| licence(answer, &mut texts)),
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

/// A licence answer, its text shared with the file's other copies of it.
fn licence(answer: LicenceAnswer, texts: &mut HashMap<Arc<str>, Arc<[u8]>>) -> Said {
    match answer {
        LicenceAnswer::FileText(text) => {
            let sha256: Arc<str> = crate::formats::sha256_hex(&text).into();
            let text = texts
                .entry(Arc::clone(&sha256))
                .or_insert_with(|| text.into());
            Said::LicenceText {
                sha256,
                text: Arc::clone(text),
            }
        }
        LicenceAnswer::Named(named) => Said::NamedLicence(named),
    }
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
