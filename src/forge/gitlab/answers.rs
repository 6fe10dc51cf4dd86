//! GitLab's per-project answers as transform applies them. The listing names no licence and
//! no language, so these complete it: `GET /projects/:id?license=true` gives the licence by
//! licensee's key (which gives the SPDX id GitHub reports), and `GET /projects/:id/languages`
//! gives per cent of each language, whose largest is the project's primary language.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::wire::GitlabLicense;
use crate::forge::{LanguageSize, LanguagesAnswer, LicenceAnswer, NamedLicence};

/// A stored `GET /projects/:id?license=true` answer: the project's licence, or none.
#[derive(Deserialize)]
struct LicenceBody<'a> {
    #[serde(borrow)]
    license: Option<GitlabLicense<'a>>,
}

/// The licence GitLab detected, or none.
pub fn licence_answer(body: &str) -> Result<LicenceAnswer<'static>, String> {
    let parsed: LicenceBody =
        serde_json::from_str(body).map_err(|e| format!("not a project with its licence: {e}"))?;
    Ok(LicenceAnswer::Named(parsed.license.map(|licence| {
        NamedLicence {
            spdx_id: spdx_id_of_licensee_key(&licence.key).to_string(),
            key: licence.key.into_owned(),
            name: licence.name.into_owned(),
        }
    })))
}

/// `{"Java": 81.32, "Shell": 18.68}`: each language's share, and the primary one.
pub fn languages_answer(body: &str) -> Result<LanguagesAnswer, String> {
    let shares: BTreeMap<String, f64> = serde_json::from_str(body)
        .map_err(|e| format!("not an object of language percentages: {e}"))?;
    if let Some((language, p)) = shares.iter().find(|(_, p)| !p.is_finite() || **p < 0.0) {
        return Err(format!("{language}: {p} is not a percentage"));
    }
    let primary = primary_language(&shares).map(str::to_string);
    let languages = shares
        .into_iter()
        .map(|(language, percent)| LanguageSize {
            language,
            bytes: None,
            share: Some(percent / 100.0),
        })
        .collect();
    Ok(LanguagesAnswer { languages, primary })
}

/// The SPDX id GitHub gives beside a licensee `key`: licensee's keys are SPDX ids in lower
/// case (`apache-2.0`, `gpl-3.0`), so the id is the SPDX list's spelling of the key, the
/// legacy GNU ids included as GitHub reports them; `other`, or a key the list lacks, is
/// `NOASSERTION`, as GitHub says for a licence file it cannot name.
pub fn spdx_id_of_licensee_key(key: &str) -> &'static str {
    spdx::identifiers::LICENSES
        .iter()
        .find(|licence| licence.name.eq_ignore_ascii_case(key))
        .map_or("NOASSERTION", |licence| licence.name)
}

/// The primary language of a project from GitLab's percentages: the largest share, a tie
/// going to the name greatest in code-point order (the site's rule for its tops).
pub fn primary_language(shares: &BTreeMap<String, f64>) -> Option<&str> {
    shares
        .iter()
        .max_by(|(a, a_share), (b, b_share)| a_share.total_cmp(b_share).then_with(|| a.cmp(b)))
        .map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licensee_keys_map_to_the_ids_github_reports() {
        // GitHub's spdx_id for these keys, as in the bundled sample.
        for (key, github) in [
            ("mit", "MIT"),
            ("apache-2.0", "Apache-2.0"),
            ("gpl-3.0", "GPL-3.0"),
            ("lgpl-2.1", "LGPL-2.1"),
            ("bsd-3-clause", "BSD-3-Clause"),
            ("ogl-uk-3.0", "OGL-UK-3.0"),
            ("unlicense", "Unlicense"),
            ("other", "NOASSERTION"),
            ("not-a-licence", "NOASSERTION"),
        ] {
            assert_eq!(spdx_id_of_licensee_key(key), github, "{key}");
        }
    }

    #[test]
    fn the_primary_language_is_the_largest_share_ties_to_the_greatest_name() {
        let shares = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
            pairs.iter().map(|(n, s)| (n.to_string(), *s)).collect()
        };
        let java = shares(&[("Java", 81.32), ("Shell", 18.68)]);
        assert_eq!(primary_language(&java), Some("Java"));
        let tie = shares(&[("Python", 50.0), ("HTML", 50.0), ("R", 0.0)]);
        assert_eq!(primary_language(&tie), Some("Python"));
        assert_eq!(primary_language(&BTreeMap::new()), None);
    }

    #[test]
    fn answers_give_the_licence_and_the_primary_language() {
        let body = r#"{"id": 1, "license": {"key": "gpl-3.0", "name": "GNU General Public License v3.0"}}"#;
        let LicenceAnswer::Named(Some(licence)) = licence_answer(body).unwrap() else {
            panic!()
        };
        assert_eq!((&*licence.key, &*licence.spdx_id), ("gpl-3.0", "GPL-3.0"));
        let none = licence_answer(r#"{"id": 2, "license": null}"#).unwrap();
        assert_eq!(none, LicenceAnswer::Named(None));
        let languages = languages_answer(r#"{"Jupyter Notebook": 60.5, "Shell": 39.5}"#).unwrap();
        assert_eq!(languages.primary.as_deref(), Some("Jupyter Notebook"));
        assert_eq!(languages.languages[0].bytes, None);
        assert!((languages.languages[1].share.unwrap() - 0.395).abs() < 1e-12);
        assert_eq!(languages_answer("{}").unwrap().primary, None);
        assert!(languages_answer(r#"{"Java": -1}"#).is_err());
        assert!(licence_answer("[]").is_err());
    }
}
