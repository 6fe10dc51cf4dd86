//! What keeps the data inert on the page: HTML escaping (askama's escaper too), links only
//! to a forge's own `https` origin, and JSON that cannot leave its `<script>` element.

use std::fmt;

use crate::domain::Forge;
use crate::report::listings::RepoLine;
use crate::report::OrgLine;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut out, text);
    out
}

/// Writes `text` to `dest` with `&<>"'` as named entities, each run between them at once.
fn write_escaped(dest: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut from = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // Each byte matched is ASCII, so `i` is on a character boundary.
        dest.write_str(&text[from..i])?;
        dest.write_str(entity)?;
        from = i + 1;
    }
    dest.write_str(&text[from..])
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
        write_escaped(&mut dest, text)
    }
}

/// `url` when it may be a link: `https://` on `origin` (GitHub's web origin, or a GitLab instance's), so
/// `javascript:`, `data:` or another site never becomes one.
pub fn safe_href<'a>(url: &'a str, origin: &url::Origin) -> Option<&'a str> {
    // `https://<the origin's own host>/…` names that origin however the rest reads: the
    // common case, a repository's link, without parsing it.
    if let url::Origin::Tuple(scheme, url::Host::Domain(host), 443) = origin {
        let path = (url.strip_prefix("https://")).and_then(|rest| rest.strip_prefix(host.as_str()));
        if scheme == "https" && path.is_some_and(|path| path.starts_with('/')) {
            return Some(url);
        }
    }
    let parsed = url::Url::parse(url).ok()?;
    (parsed.scheme() == "https" && parsed.origin() == *origin).then_some(url)
}

/// The origin an organisation's links may point to: GitHub's web origin, or for a GitLab
/// group the `https` origin of the host its login names (`gitlab.com/nhsbsa` →
/// `https://gitlab.com`).
pub(super) fn forge_origin(forge: Forge, login: &str, github: &url::Origin) -> Option<url::Origin> {
    match forge {
        Forge::Github => Some(github.clone()),
        Forge::Gitlab => {
            let host = login.split('/').next()?;
            Some(url::Url::parse(&format!("https://{host}")).ok()?.origin())
        }
    }
}

/// A repository's link: on GitHub's web origin, or a GitLab project's on the `https` origin
/// of its group's instance (the host its org_login names).
pub(super) fn repo_href<'a>(repo: &'a RepoLine, github: &url::Origin) -> Option<&'a str> {
    safe_href(
        &repo.url,
        &forge_origin(repo.forge, &repo.org_login, github)?,
    )
}

/// An organisation's link, on the origin of [`forge_origin`] for the host its Organisation
/// names.
pub(super) fn org_href<'a>(org: &'a OrgLine, github: &url::Origin) -> Option<&'a str> {
    safe_href(
        &org.url,
        &forge_origin(org.forge, &org.organisation, github)?,
    )
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
