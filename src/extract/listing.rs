//! One listing page as bronze stores it: checked to be an array of repository objects, with
//! anything not public and any field of the token's holder removed, and where the next
//! page is (`Link: rel="next"`, which GitHub and GitLab both send).

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::domain::Forge;
use crate::forge::{filter_object, RepoRef};

/// A page with only its public repositories.
pub struct PublicPage {
    pub body: Bytes,
    pub ids: Vec<u64>,
    /// The public repositories that are not forks.
    pub kept: Vec<RepoRef>,
    pub dropped: usize,
}

/// Checks that a page is a JSON array of repository (or project) objects, removes any that
/// is private or not `public`, and removes from the others the fields that describe the
/// token's holder ([`crate::forge::Adapter::holder_fields`]). The bytes are kept as received unless
/// something was removed; then the untouched objects are re-joined byte for byte.
pub fn keep_public(body: &Bytes, forge: Forge) -> Result<PublicPage, String> {
    let adapter = forge.adapter();
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of repository objects: {e}"))?;
    let mut kept: Vec<std::borrow::Cow<str>> = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    let mut kept_repos = Vec::new();
    let mut rewritten = false;
    for (index, item) in items.iter().enumerate() {
        if !item.get().starts_with('{') {
            return Err(format!("item #{} is not a repository object", index + 1));
        }
        let repo = adapter
            .listing_item(item.get())
            .map_err(|e| format!("repo #{}: {e}", index + 1))?;
        if !repo.public {
            continue;
        }
        if repo.holder_fields {
            let filtered = filter_object(item.get(), None, adapter.holder_fields())
                .map_err(|e| format!("repo #{}: {e}", index + 1))?;
            kept.push(filtered.into());
            rewritten = true;
        } else {
            kept.push(item.get().into());
        }
        ids.push(repo.id);
        kept_repos.extend(repo.kept);
    }
    let dropped = items.len() - kept.len();
    let body = if dropped == 0 && !rewritten {
        body.clone()
    } else {
        Bytes::from(format!("[{}]", kept.join(",")))
    };
    Ok(PublicPage {
        body,
        ids,
        kept: kept_repos,
        dropped,
    })
}

/// The `rel="next"` target of a `Link` header, exactly as given.
pub fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then_some(target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_follows_github_form() {
        let link = "<https://api.github.com/organizations/123/repos?type=public&per_page=100&page=2>; rel=\"next\", \
                    <https://api.github.com/organizations/123/repos?type=public&per_page=100&page=5>; rel=\"last\"";
        assert_eq!(
            next_link(link),
            Some("https://api.github.com/organizations/123/repos?type=public&per_page=100&page=2")
        );
        let last = "<https://api.github.com/organizations/123/repos?page=4>; rel=\"prev\", \
                    <https://api.github.com/organizations/123/repos?page=1>; rel=\"first\"";
        assert_eq!(next_link(last), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn public_pages_are_kept_byte_for_byte() {
        let body = Bytes::from_static(br#"[ {"id": 1, "private": false},  {"id": 2} ]"#);
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(page.body, body);
        assert_eq!((page.ids, page.dropped), (vec![1, 2], 0));
    }

    #[test]
    fn private_and_internal_repos_are_removed_before_storing() {
        let body = Bytes::from_static(
            br#"[{"id": 1, "name": "open"}, {"id": 2, "name": "secret-plan", "private": true},
                {"id": 3, "name": "inner", "private": false, "visibility": "internal"}]"#,
        );
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(page.body.as_ref(), br#"[{"id": 1, "name": "open"}]"#);
        assert_eq!((page.ids, page.dropped), (vec![1], 2));
    }

    #[test]
    fn fields_of_the_tokens_holder_are_removed_before_storing() {
        let body = Bytes::from_static(
            br#"[{"id": 1, "name": "a", "permissions": {"admin": true}, "role_name": "admin"},
                {"id": 2, "name": "b"}]"#,
        );
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(
            std::str::from_utf8(&page.body).unwrap(),
            r#"[{"id":1,"name":"a"},{"id": 2, "name": "b"}]"#
        );
    }

    proptest::proptest! {
        #[test]
        fn any_page_body_is_checked_without_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = keep_public(&Bytes::from(body), Forge::Github);
        }

        #[test]
        fn any_array_of_objects_is_checked_without_panic(
            items in proptest::collection::vec(("[a-z_]{1,12}", "-?[0-9]{1,25}|true|null|\"[a-z]{0,8}\"|\\{\\}"), 0..12)
        ) {
            let object: Vec<String> = items.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            let body = format!("[{{{}}}]", object.join(", "));
            let _ = keep_public(&Bytes::from(body), Forge::Github);
        }
    }

    #[test]
    fn pages_that_are_not_arrays_of_objects_are_rejected() {
        for (body, expected) in [
            (&br#"{"message": "Not Found"}"#[..], "not a JSON array"),
            (br#"[1, 2]"#, "item #1 is not a repository object"),
            (br#"[{"name": "no id"}]"#, "repo #1: missing field `id`"),
            (b"<html>", "not a JSON array"),
        ] {
            let err = keep_public(&Bytes::copy_from_slice(body), Forge::Github)
                .err()
                .unwrap();
            assert!(err.contains(expected), "{err}");
        }
    }
}
