//! GitLab's REST API (v4): the headers every request carries; the URLs of a group, its
//! projects (subgroups included, public only), and each project's licence and languages; and
//! what of those answers is stored. A group is addressed by its URL-encoded full path.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use url::Url;

use crate::config::ApiToken;
use crate::forge::secret_header;

/// The version of GitLab's REST API every URL here is of.
pub const API_VERSION: &str = "v4";

/// JSON, and the token in GitLab's `PRIVATE-TOKEN` header.
pub fn headers(token: Option<&ApiToken>) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if let Some(token) = token {
        headers.insert("private-token", secret_header(token, token.expose())?);
    }
    Ok(headers)
}

/// `{api}/groups/{path}`: the group's full path, name and `web_url`.
pub fn group_url(api: &Url, path: &str) -> Url {
    under_api(api, &["groups", path])
}

/// `{api}/groups/{path}/projects?include_subgroups=true&visibility=public&per_page=N`:
/// public projects only, so a member's token never pulls internal or private ones in.
pub fn first_page_url(api: &Url, path: &str, per_page: u32) -> Url {
    let mut url = under_api(api, &["groups", path, "projects"]);
    url.query_pairs_mut()
        .append_pair("include_subgroups", "true")
        .append_pair("visibility", "public")
        .append_pair("per_page", &per_page.min(100).to_string());
    url
}

/// `{api}/projects/{id}?license=true`: the project with its detected licence.
pub fn licence_url(api: &Url, project_id: u64) -> Url {
    let mut url = under_api(api, &["projects", &project_id.to_string()]);
    url.query_pairs_mut().append_pair("license", "true");
    url
}

/// `{api}/projects/{id}/languages`: the share of each language, in per cent.
pub fn languages_url(api: &Url, project_id: u64) -> Url {
    under_api(api, &["projects", &project_id.to_string(), "languages"])
}

/// `segments` under the API base, each one path segment (a `/` inside is encoded).
fn under_api(api: &Url, segments: &[&str]) -> Url {
    let mut url = api.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url.set_query(None);
    url
}

/// The fields of `GET /projects/:id?license=true` that are stored: what the licence answer is
/// about, nothing of the token's holder (`permissions`) or the project's settings.
pub const LICENCE_FIELDS: [&str; 4] = ["id", "path_with_namespace", "license", "license_url"];

/// The fields of `GET /groups/:id` that are stored in `org.json`: the group's public profile.
pub const GROUP_PUBLIC_FIELDS: [&str; 8] = [
    "id",
    "name",
    "path",
    "full_path",
    "full_name",
    "web_url",
    "description",
    "visibility",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_under_the_api_base_with_the_path_encoded() {
        let api = Url::parse("https://gitlab.com/api/v4").unwrap();
        assert_eq!(
            first_page_url(&api, "some-trust/analytics", 250).as_str(),
            "https://gitlab.com/api/v4/groups/some-trust%2Fanalytics/projects?include_subgroups=true&visibility=public&per_page=100"
        );
        assert_eq!(
            group_url(&api, "nhsbsa").as_str(),
            "https://gitlab.com/api/v4/groups/nhsbsa"
        );
        assert_eq!(
            licence_url(&api, 42).as_str(),
            "https://gitlab.com/api/v4/projects/42?license=true"
        );
        let self_managed = Url::parse("http://127.0.0.1:8080/api/v4/").unwrap();
        assert_eq!(
            languages_url(&self_managed, 7).as_str(),
            "http://127.0.0.1:8080/api/v4/projects/7/languages"
        );
    }
}
