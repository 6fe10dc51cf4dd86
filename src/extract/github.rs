//! GitHub's URLs: where an org's listing starts, and the per-repository endpoints.

use url::Url;

use crate::domain::OrgLogin;

/// `{api}/orgs/{login}/repos?type=public&per_page=N`: public repositories only, so a token
/// of an org member never pulls private or internal ones into the public lake.
pub fn first_page_url(api: &Url, org: &OrgLogin, per_page: u32) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["orgs", org.as_str(), "repos"]);
    }
    url.query_pairs_mut()
        .clear()
        .append_pair("type", "public")
        .append_pair("per_page", &per_page.to_string());
    url
}

/// `{api}/repos/{owner}/{repo}/{endpoint}` for a repository's `full_name` ("owner/repo").
pub fn repo_url(api: &Url, full_name: &str, endpoint: &str) -> Option<Url> {
    let (owner, repo) = full_name.split_once('/')?;
    let valid = |part: &str| !part.is_empty() && !part.contains('/');
    if !valid(owner) || !valid(repo) {
        return None;
    }
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["repos", owner, repo, endpoint]);
    }
    url.set_query(None);
    Some(url)
}

/// `{api}/orgs/{login}`: the org's canonical login and its count of public repositories.
pub fn org_url(api: &Url, org: &OrgLogin) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(["orgs", org.as_str()]);
    }
    url.set_query(None);
    url
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
    fn urls_are_built_under_the_api_base() {
        let org: OrgLogin = "NHSDigital".parse().unwrap();
        let api = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            first_page_url(&api, &org, 100).as_str(),
            "https://api.github.com/orgs/NHSDigital/repos?type=public&per_page=100"
        );
        assert_eq!(
            org_url(&api, &org).as_str(),
            "https://api.github.com/orgs/NHSDigital"
        );
        let ghe = Url::parse("http://127.0.0.1:8080/api/v3/").unwrap();
        assert_eq!(
            first_page_url(&ghe, &org, 5).as_str(),
            "http://127.0.0.1:8080/api/v3/orgs/NHSDigital/repos?type=public&per_page=5"
        );
    }
}
