//! What keeps the data inert on the page: HTML escaping (askama's escaper too), links only
//! to a forge's own `https` origin, and JSON that cannot leave its `<script>` element.

use std::fmt;

use crate::domain::Forge;
use crate::report::listings::RepoLine;
use crate::report::OrgLine;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    replaced(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// `text` with each character that `by` names a replacement for replaced.
fn replaced(text: &str, by: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match by(c) {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    out
}

/// Askama's escaper for the page: the entities [`escape`] writes (askama's own writes
/// numeric ones), so the page reads the same whichever way a value reaches it.
#[derive(Clone, Copy)]
pub struct NamedEntities;

impl askama::filters::Escaper for NamedEntities {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        dest.write_str(&escape(text))
    }
}

/// `url` when it may be a link: `https://` on `origin` (GitHub's web origin, or a GitLab instance's), so
/// `javascript:`, `data:` or another site never becomes one.
pub fn safe_href<'a>(url: &'a str, origin: &url::Origin) -> Option<&'a str> {
    let parsed = url::Url::parse(url).ok()?;
    (parsed.scheme() == "https" && parsed.origin() == *origin).then_some(url)
}

/// A repository's link: on GitHub's web origin, or a GitLab project's on the `https` origin
/// of its group's instance (the host its org_login names).
pub(super) fn repo_href<'a>(repo: &'a RepoLine, github: &url::Origin) -> Option<&'a str> {
    match repo.forge {
        Forge::Github => safe_href(&repo.url, github),
        Forge::Gitlab => {
            let host = repo.org_login.split('/').next()?;
            let origin = url::Url::parse(&format!("https://{host}")).ok()?.origin();
            safe_href(&repo.url, &origin)
        }
    }
}

/// An organisation's link: on GitHub's web origin, or for a GitLab group on the `https`
/// origin of the host its Organisation names (`gitlab.com/nhsbsa` → `https://gitlab.com`).
pub(super) fn org_href<'a>(org: &'a OrgLine, github: &url::Origin) -> Option<&'a str> {
    match org.forge {
        Forge::Github => safe_href(&org.url, github),
        Forge::Gitlab => {
            let host = org.organisation.split('/').next()?;
            let origin = url::Url::parse(&format!("https://{host}")).ok()?.origin();
            safe_href(&org.url, &origin)
        }
    }
}

/// JSON that cannot close its `<script>` element or open a comment.
pub(super) fn json_for_script(value: &impl serde::Serialize) -> String {
    // Structs of strings and numbers: serialising them cannot fail.
    let json = serde_json::to_string(value).unwrap_or_default();
    replaced(&json, |c| match c {
        '<' => Some("\\u003c"),
        '>' => Some("\\u003e"),
        '&' => Some("\\u0026"),
        _ => None,
    })
}
