//! Normalised facts about a repository's language and licence, from maintained data:
//! GitHub Linguist's language types (the `languages` crate) and the SPDX licence list (the
//! `spdx` crate, whose list version [`spdx_list_version`] is recorded in each manifest).

/// Linguist's type of a GitHub language: `programming`, `markup`, `data` or `prose`.
pub fn language_type(language: &str) -> Option<&'static str> {
    languages::from_name(language).map(|l| l.language_type)
}

/// The version of the SPDX licence list the facts come from.
pub fn spdx_list_version() -> &'static str {
    spdx::license_version()
}

/// What the SPDX list says about a repository's licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceFacts {
    /// The current id for a legacy one (`GPL-3.0` → `GPL-3.0-only`); otherwise the id itself.
    pub spdx_current: Option<std::sync::Arc<str>>,
    pub family: LicenceFamily,
    pub osi_approved: Option<bool>,
    pub fsf_libre: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceFamily {
    Permissive,
    WeakCopyleft,
    Copyleft,
    PublicDomain,
    /// A licence the forge did not recognise (`NOASSERTION`, "Other"), or one that grants less
    /// than open-source freedoms (non-commercial, no-derivatives).
    Other,
    /// No licence file at all.
    None,
}

impl LicenceFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permissive => "permissive",
            Self::WeakCopyleft => "weak-copyleft",
            Self::Copyleft => "copyleft",
            Self::PublicDomain => "public-domain",
            Self::Other => "other",
            Self::None => "none",
        }
    }
}

/// The SPDX list flags copyleft but not its strength: these families only require sharing
/// changes to the licensed files or library, not to the work that uses them.
const WEAK_COPYLEFT_PREFIXES: [&str; 6] = ["LGPL-", "MPL-", "EPL-", "CDDL-", "CPL-", "MS-RL"];
/// Dedications to the public domain, which the SPDX list files as ordinary licences.
const PUBLIC_DOMAIN: [&str; 4] = ["CC0-1.0", "Unlicense", "PDDL-1.0", "CC-PDDC"];
/// UK Open Government Licences: attribution-only like CC-BY, though neither OSI nor the FSF
/// lists them.
const OPEN_GOVERNMENT_PREFIX: &str = "OGL-UK-";

/// Facts for the licence a forge named: `has_licence` is false when it named none.
pub fn licence_facts(has_licence: bool, spdx_id: Option<&str>) -> LicenceFacts {
    let unknown = |family| LicenceFacts {
        spdx_current: None,
        family,
        osi_approved: None,
        fsf_libre: None,
    };
    if !has_licence {
        return unknown(LicenceFamily::None);
    }
    // The spdx crate lists NOASSERTION as an id; for us it means "not recognised".
    let recognised = spdx_id.filter(|id| !matches!(*id, "NOASSERTION" | "NONE"));
    let Some(id) = recognised.and_then(spdx::license_id) else {
        return unknown(LicenceFamily::Other);
    };
    let current = if id.is_deprecated() && id.is_gnu() {
        let given = spdx_id.unwrap_or_default();
        spdx::gnu_license_id(given.trim_end_matches('+'), given.ends_with('+')).unwrap_or(id)
    } else {
        id
    };
    let name = current.name;
    let family = if PUBLIC_DOMAIN.contains(&name) {
        LicenceFamily::PublicDomain
    } else if current.is_copyleft() {
        let weak = WEAK_COPYLEFT_PREFIXES
            .iter()
            .any(|p| name.to_ascii_uppercase().starts_with(p));
        if weak {
            LicenceFamily::WeakCopyleft
        } else {
            LicenceFamily::Copyleft
        }
    } else if current.is_osi_approved()
        || current.is_fsf_free_libre()
        || name.starts_with(OPEN_GOVERNMENT_PREFIX)
    {
        LicenceFamily::Permissive
    } else {
        LicenceFamily::Other
    };
    LicenceFacts {
        spdx_current: Some(name.into()),
        family,
        osi_approved: Some(current.is_osi_approved()),
        fsf_libre: Some(current.is_fsf_free_libre()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: Option<&str>) -> (Option<String>, &'static str, Option<bool>, Option<bool>) {
        let f = licence_facts(true, id);
        (
            f.spdx_current.map(|id| id.to_string()),
            f.family.as_str(),
            f.osi_approved,
            f.fsf_libre,
        )
    }

    #[test]
    fn spdx_mapping_of_the_licences_github_reports() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            facts(Some("MIT")),
            (s("MIT"), "permissive", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("Apache-2.0")),
            (s("Apache-2.0"), "permissive", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("GPL-3.0")),
            (s("GPL-3.0-only"), "copyleft", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("GPL-2.0+")),
            (s("GPL-2.0-or-later"), "copyleft", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("AGPL-3.0")),
            (s("AGPL-3.0-only"), "copyleft", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("LGPL-2.1")),
            (s("LGPL-2.1-only"), "weak-copyleft", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("MPL-2.0")),
            (s("MPL-2.0"), "weak-copyleft", Some(true), Some(true))
        );
        assert_eq!(
            facts(Some("CC0-1.0")),
            (s("CC0-1.0"), "public-domain", Some(false), Some(true))
        );
        assert_eq!(
            facts(Some("OGL-UK-3.0")),
            (s("OGL-UK-3.0"), "permissive", Some(false), Some(false))
        );
        assert_eq!(facts(Some("CC-BY-NC-4.0")).1, "other");
        assert_eq!(facts(Some("NOASSERTION")), (None, "other", None, None));
        assert_eq!(facts(None), (None, "other", None, None));
        let none = licence_facts(false, None);
        assert_eq!((none.spdx_current, none.family.as_str()), (None, "none"));
    }

    #[test]
    fn language_types_come_from_linguist() {
        assert_eq!(language_type("Python"), Some("programming"));
        assert_eq!(language_type("HTML"), Some("markup"));
        assert_eq!(language_type("Jupyter Notebook"), Some("markup"));
        assert_eq!(language_type("TSQL"), Some("programming"));
        assert_eq!(language_type("Not a language"), None);
    }

    #[test]
    fn the_list_version_is_known() {
        assert!(
            spdx_list_version().starts_with('3'),
            "{}",
            spdx_list_version()
        );
    }
}
