//! The forge seam: everything ohs knows about one forge (GitHub, GitLab) lives in its folder
//! and is reached through [`Adapter`], so extract, bronze and transform never name a forge's
//! URLs or JSON fields.
//!
//! A forge provides, in order of the pipeline:
//! - **requests** ([`Adapter::headers`], [`Adapter::org_url`], [`Adapter::first_page_url`],
//!   [`Adapter::answer_url`]): how to ask its REST API for an org's own record, its public
//!   repositories (paged by `Link: rel="next"`), and each kept repository's licence and
//!   languages;
//! - **what bronze keeps** ([`Adapter::org_public_fields`], [`Adapter::holder_fields`],
//!   [`Adapter::stored_answer`]): the public part of each answer, never the token holder's;
//! - **facts extract decides by** ([`Adapter::listing_item`], [`Adapter::org_metadata`]):
//!   which repositories are public and kept, and the org's canonical name;
//! - **the common record** ([`Adapter::parse_page`], [`Adapter::licence_answer`],
//!   [`Adapter::languages_answer`], [`Adapter::org_identity`]): a stored page as
//!   [`RepoRecord`]s, and the per-repository answers in the forms transform applies.
//!
//! Each forge's folder splits the same way: `api.rs` (URLs and headers), `wire.rs` (its JSON,
//! typed), `records.rs` (pages → records), `answers.rs` (per-repository answers).

pub mod github;
pub mod gitlab;
mod parse;
pub mod record;

use std::collections::BTreeMap;

use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue};
use url::Url;

use crate::config::{ApiToken, GithubConfig, OrgConfig};
use crate::domain::{Forge, OrgLogin, RepoEndpoint};
pub use parse::{filter_object, fits_signed_column, identify, parse_item};
pub use record::{ListingOrg, RepoRecord, SharedStrings};

/// What a forge provides. One implementation per forge folder; [`Forge::adapter`] picks it.
pub trait Adapter: Sync {
    /// Headers of every request: the media type and API version asked for, and the token in
    /// the forge's own header. `Err` names the setting that is not a valid header value.
    fn headers(&self, config: &GithubConfig, token: Option<&ApiToken>)
        -> Result<HeaderMap, String>;

    /// Where the token's request budget is asked without spending it, if the forge has
    /// such an answer (`ohs validate --online` checks the token with it).
    fn budget_url(&self, api: &Url) -> Option<Url>;

    /// The (remaining, limit) of that answer.
    fn budget(&self, body: &[u8]) -> Result<(Option<u64>, Option<u64>), String>;

    /// The API version its answers follow, recorded beside each stored answer.
    fn api_version(&self, config: &GithubConfig) -> String;

    /// Where the org's own record is asked (its canonical name, its page).
    fn org_url(&self, api: &Url, org: &OrgConfig) -> Url;

    /// The fields of the org's record that bronze keeps: its public profile only.
    fn org_public_fields(&self) -> &'static [&'static str];

    /// How the forge asks many repositories' answers in one request (GitHub's GraphQL API),
    /// if it can.
    fn batch(&self) -> Option<&'static dyn Batch> {
        None
    }

    /// What the org's record says.
    fn org_metadata(&self, org: &OrgLogin, body: &[u8]) -> Result<OrgMetadata, String>;

    /// The first page of the org's listing of public repositories, `per_page` to a page.
    fn first_page_url(&self, api: &Url, org: &OrgConfig, per_page: u32) -> Url;

    /// The facts of one listed repository that decide what is stored and asked, read
    /// leniently: a malformed field is transform's to report, naming page and repository.
    fn listing_item(&self, json: &str) -> Result<ListingItem, String>;

    /// Fields of a listed repository that describe the token's holder: never stored.
    fn holder_fields(&self) -> &'static [&'static str];

    /// Where `endpoint` is asked about `repo`; `None` when the repository cannot be named.
    fn answer_url(&self, api: &Url, repo: &RepoRef, endpoint: RepoEndpoint) -> Option<Url>;

    /// An answer as bronze keeps it: `None` to keep it verbatim, else the public part of it.
    fn stored_answer(&self, endpoint: RepoEndpoint, body: &str) -> Result<Option<String>, String>;

    /// Whether the listing names no licence and no language, so the per-repository answers
    /// complete it: the licence is then always asked, and transform uses each org's answers
    /// whenever it has them. Otherwise the answers add detail (a licence file's text, bytes
    /// per language) that a snapshot uses only when every org of the forge has them.
    fn answers_complete_listing(&self) -> bool;

    /// Whether a run without a token has an hourly request budget that the per-repository
    /// answers must fit in whole (GitHub's 60 an hour), or is only paced (GitLab's limits
    /// are per minute, and the client waits them out).
    fn hourly_budget_without_token(&self) -> bool;

    /// One stored listing page as records; `rename` is the exact-match language map. The
    /// error names the repository and the field at fault.
    fn parse_page(
        &self,
        org: &ListingOrg,
        body: &[u8],
        rename: &BTreeMap<String, String>,
    ) -> Result<Vec<RepoRecord>, String>;

    /// What one stored licence answer says.
    fn licence_answer<'a>(&self, body: &'a str) -> Result<LicenceAnswer<'a>, String>;

    /// What one stored languages answer says.
    fn languages_answer(&self, body: &str) -> Result<LanguagesAnswer, String>;

    /// The org's name as the forge spells it and its page, for silver `orgs`; `first_repo`
    /// is the first of its repositories, if it has any.
    fn org_identity(&self, org: &ListingOrg, first_repo: Option<&RepoRecord>) -> (String, String);
}

impl Forge {
    /// The forge's [`Adapter`].
    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            Self::Github => &github::GitHub,
            Self::Gitlab => &gitlab::GitLab,
        }
    }
}

/// What the org's own record tells extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMetadata {
    /// The login as the forge spells it now; a GitLab group's `<host>/<full path>`.
    pub login: String,
    /// Its count of public repositories, when the forge gives one.
    pub public_repos: Option<u64>,
    /// Its page, when the record names one.
    pub web_url: Option<String>,
}

/// The facts of one listed repository that extract decides by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    pub id: u64,
    /// Public: stored. Anything else is removed before storing.
    pub public: bool,
    /// It holds [`Adapter::holder_fields`], which are removed before storing.
    pub holder_fields: bool,
    /// When kept (public and not a fork): what the per-repository endpoints ask about.
    pub kept: Option<RepoRef>,
}

impl ListingItem {
    /// A listed repository's facts: `kept` is its [`RepoRef`] when it is public and not a
    /// fork, and has a name.
    pub fn new(id: u64, (public, holder_fields): (bool, bool), kept: Option<RepoRef>) -> Self {
        Self {
            id,
            public,
            holder_fields,
            kept,
        }
    }
}

/// A kept repository that the per-repository endpoints may ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub id: u64,
    /// `owner/name` (GitHub), `group/subgroup/project` (GitLab).
    pub full_name: String,
    /// Its global id for batched requests (GitHub's `node_id`), when the listing gives one.
    pub node_id: Option<String>,
    /// Whether its licence is asked: on GitHub when a licence file was found but not named
    /// (`spdx_id` "NOASSERTION"); on GitLab always.
    pub licence_asked: bool,
    /// What the listing says of it that could change its per-repository answers (on GitHub
    /// its last push, default branch, size and licence key; on GitLab its last activity): an
    /// earlier answer asked while the listing said the same is reused without a request.
    /// `None` when the listing says none of it, and then it is always asked.
    pub listing_facts: Option<String>,
    /// When it last changed, as far as the listing says (GitHub's `pushed_at`, GitLab's
    /// `last_activity_at`).
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A listing's timestamp field, when it is one.
pub fn time_of(value: Option<&serde_json::Value>) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = value?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// `name=value;…` of the listing's fields that could change a repository's answers, each
/// value as its JSON text, so that any change of any of them changes the facts; `None` when
/// the listing has none of them.
pub fn listing_facts(fields: &[(&str, Option<&serde_json::Value>)]) -> Option<String> {
    if fields.iter().all(|(_, value)| value.is_none()) {
        return None;
    }
    let parts: Vec<String> = fields
        .iter()
        .map(|(name, value)| {
            let text = value.map_or_else(|| "absent".to_string(), |v| v.to_string());
            format!("{name}={text}")
        })
        .collect();
    Some(parts.join(";"))
}

/// Many repositories' per-repository answers in one request (GitHub's GraphQL API).
pub trait Batch: Sync {
    /// Where the batched requests go: on the API's origin, so the token goes nowhere else.
    fn url(&self, api: &Url) -> Url;

    /// Repositories one request may ask about.
    fn max_repos(&self) -> usize;

    /// The body of a request for `endpoints` of `repos` (each with its `node_id`).
    fn query(&self, repos: &[&RepoRef], endpoints: &[RepoEndpoint]) -> Vec<u8>;

    /// What the answer to that request says of each repository and endpoint.
    fn answers(
        &self,
        body: &[u8],
        repos: &[&RepoRef],
        endpoints: &[RepoEndpoint],
    ) -> Result<BatchOutcome, String>;
}

/// What one batched answer says.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// By repository id and endpoint.
    pub answers: Vec<(u64, RepoEndpoint, BatchAnswer)>,
    /// Points the request cost, and those left this hour, as the answer says.
    pub cost: Option<u64>,
    pub remaining: Option<u64>,
    /// The hour's budget is spent: ask again after its reset.
    pub rate_limited: bool,
    /// Too much for one request: ask about fewer at once.
    pub too_heavy: bool,
}

/// One repository's answer of one endpoint in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAnswer {
    /// The body the endpoint's own request would have stored.
    Body(String),
    /// Gone since it was listed: the endpoint's 404.
    Missing,
    /// Not answerable in a batch: ask the endpoint itself.
    AskAlone,
}

/// What a stored licence answer says, borrowed from the answer's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenceAnswer<'a> {
    /// A licence file, for ohs to identify (GitHub's answer for "Other").
    File(StoredFile<'a>),
    /// The licence the forge detected, or `None` when it found none (GitLab's answer).
    Named(Option<NamedLicence>),
}

/// A file's content as an answer stores it, not yet decoded. The same stored content is the
/// same file: an org's copies of one licence file are decoded once ([`StoredFile::decode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile<'a> {
    /// The content's JSON string, quotes and escapes as stored.
    pub content: &'a str,
    pub encoding: ContentEncoding,
}

/// How a stored file's content is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    /// Base64, wrapped in lines (GitHub wraps it at 60 columns).
    Base64,
    /// The text itself.
    Utf8,
}

impl StoredFile<'_> {
    /// The file's bytes.
    pub fn decode(&self) -> Result<Vec<u8>, String> {
        let content: String = serde_json::from_str(self.content)
            .map_err(|e| format!("content is not a string: {e}"))?;
        match self.encoding {
            ContentEncoding::Utf8 => Ok(content.into_bytes()),
            ContentEncoding::Base64 => {
                // Base64 is ASCII, so is the space between its lines.
                let mut packed = Vec::with_capacity(content.len());
                for line in content.as_bytes().split(u8::is_ascii_whitespace) {
                    packed.extend_from_slice(line);
                }
                base64::engine::general_purpose::STANDARD
                    .decode(packed)
                    .map_err(|e| format!("content is not base64: {e}"))
            }
        }
    }
}

/// A licence as the forge names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLicence {
    /// licensee's key (`apache-2.0`).
    pub key: String,
    pub name: String,
    /// As GitHub would report it, legacy ids included; `NOASSERTION` when not on the list.
    pub spdx_id: String,
}

/// What a stored languages answer says.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguagesAnswer {
    /// Each language, sorted by name.
    pub languages: Vec<LanguageSize>,
    /// The repository's primary language, when the listing does not name it (GitLab).
    pub primary: Option<String>,
}

/// How much of a repository one language is.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageSize {
    /// As the forge names it.
    pub language: String,
    /// Bytes of it, when the forge counts bytes (GitHub).
    pub bytes: Option<u64>,
    /// Its fraction of the repository, when known.
    pub share: Option<f64>,
}

/// `value` as the header that carries `token`, marked sensitive so that no debug output of
/// a header map shows it.
pub fn secret_header(token: &ApiToken, value: &str) -> Result<HeaderValue, String> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| format!("{} is not a valid header value", token.env_var))?;
    header.set_sensitive(true);
    Ok(header)
}
