//! The lake: one root (a local path or an object-store URL) and every key in it.
//!
//! All stages read and write through [`Lake`]; none touches `std::fs` on lake paths. This is
//! also the only module that builds object keys, so the layout below is the whole contract:
//!
//! ```text
//! bronze/github/repos/snapshot_date=S/_orgs/<login>.json            the org is a member
//! bronze/github/repos/snapshot_date=S/org=<login>/page-0001.json    a page as received
//! bronze/github/repos/snapshot_date=S/org=<login>/page-0001.meta.json
//! bronze/github/repos/snapshot_date=S/org=<login>/org.json          GET /orgs/{org}, and org.meta.json
//! bronze/github/repos/snapshot_date=S/org=<login>/_manifest.json    the org is complete
//! silver/{repos,orgs}/snapshot_date=S/part-0.parquet
//! staging/snapshot_date=S/<output>                                  built, not yet published
//! gold/<table>/snapshot_date=S/part-0.parquet                       published
//! gold/_builds/snapshot_date=S/build=B/<table>.parquet              a build's own tables
//! gold/_manifests/snapshot_date=S/_manifest.json                    written last by publish
//! site/snapshot_date=S/build=B/{org_repos_agg.csv,index.html}         a build's site files
//! site/org_repos_agg.csv, site/index.html, site/_manifest.json       the latest snapshot
//! _leases/{bronze/snapshot_date=S/org=<login>,snapshot/snapshot_date=S,site}/<n>.json
//!                                                                    who is writing what
//! ```
//!
//! `<login>` is the lower-case login, as GitHub logins are case-insensitive.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path as FsPath;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    ClientConfigKey, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
};
use url::Url;

use crate::domain::{OrgLogin, SnapshotDate};

/// Why the lake could not be opened, read or written. Messages name the root and key.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("lake {root}: unsupported scheme {scheme:?} (use a path, file://, s3://, az://, abfss://, gs:// or memory://)")]
    UnsupportedScheme { root: String, scheme: String },
    #[error("lake {root}: {message}")]
    Open { root: String, message: String },
    #[error("lake {root}: cannot create directory: {source}")]
    Create {
        root: String,
        source: std::io::Error,
    },
    #[error("lake {root}: the store does not support conditional creates (PutMode::Create), so runs cannot be kept apart; nothing was written")]
    NoConditionalCreate { root: String },
    /// `message` is the store's error with every secret masked.
    #[error("lake {root}: {op} {key}: {message}")]
    Io {
        root: String,
        op: &'static str,
        key: LakeKey,
        message: String,
    },
}

impl crate::exit::HasExitCode for LakeError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Storage, Usage};
        match self {
            Self::UnsupportedScheme { .. } | Self::Open { .. } => Usage,
            Self::Create { .. } | Self::Io { .. } | Self::NoConditionalCreate { .. } => Storage,
        }
    }
}

/// A key relative to the lake root (`silver/repos/snapshot_date=2021-03-04/part-0.parquet`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LakeKey(Path);

impl LakeKey {
    fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        Self(Path::from_iter(parts))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The last segment (`page-0001.json`).
    pub fn file_name(&self) -> &str {
        self.0.filename().unwrap_or("")
    }

    /// `self` relative to `prefix`, when it lies under it.
    pub fn strip_prefix(&self, prefix: &LakeKey) -> Option<String> {
        let rest: Vec<_> = self
            .0
            .prefix_match(&prefix.0)?
            .map(|p| p.as_ref().to_string())
            .collect();
        Some(rest.join("/"))
    }
}

impl fmt::Display for LakeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

fn partition(name: &str, value: impl fmt::Display) -> String {
    format!("{name}={value}")
}

/// Keys of the bronze layer (raw GitHub responses).
pub mod bronze {
    use super::*;
    use crate::bronze::RepoEndpoint;

    const REPOS: [&str; 3] = ["bronze", "github", "repos"];

    /// All snapshots of the repository listings.
    pub fn repos_root() -> LakeKey {
        LakeKey::from_parts(REPOS)
    }

    pub fn snapshot(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(REPOS.into_iter().chain([date.as_str()]))
    }

    /// The marker that makes `org` a member of the snapshot (never removed by a run).
    pub fn member(date: SnapshotDate, org: &OrgLogin) -> LakeKey {
        let file = format!("{}.json", org.key());
        child(&child(&snapshot(date), "_orgs"), &file)
    }

    pub fn org(date: SnapshotDate, org: &OrgLogin) -> LakeKey {
        child(&snapshot(date), &partition("org", org.key()))
    }

    /// Written last for an org: without it the org is incomplete.
    pub fn org_manifest(date: SnapshotDate, org_login: &OrgLogin) -> LakeKey {
        child(&org(date, org_login), "_manifest.json")
    }

    /// The stored `GET /orgs/{org}` response and its sidecar.
    pub fn org_metadata(date: SnapshotDate, org_login: &OrgLogin) -> (LakeKey, LakeKey) {
        let dir = org(date, org_login);
        (child(&dir, "org.json"), child(&dir, "org.meta.json"))
    }

    pub fn page(date: SnapshotDate, org_login: &OrgLogin, number: u32) -> LakeKey {
        child(&org(date, org_login), &format!("page-{number:04}.json"))
    }

    pub fn page_sidecar(date: SnapshotDate, org_login: &OrgLogin, number: u32) -> LakeKey {
        child(
            &org(date, org_login),
            &format!("page-{number:04}.meta.json"),
        )
    }

    /// One org's answers of a per-repository endpoint:
    /// `bronze/github/{license,languages}/snapshot_date=S/org=O/responses.json`.
    pub fn repo_responses(
        endpoint: RepoEndpoint,
        date: SnapshotDate,
        org_login: &OrgLogin,
    ) -> LakeKey {
        let date = partition("snapshot_date", date);
        let org = partition("org", org_login.key());
        LakeKey::from_parts([
            "bronze",
            "github",
            endpoint.name(),
            date.as_str(),
            org.as_str(),
            "responses.json",
        ])
    }
}

/// Keys of the silver layer (typed, cleaned rows).
pub mod silver {
    use super::*;

    pub fn repos(date: SnapshotDate) -> LakeKey {
        table("repos", date)
    }

    pub fn orgs(date: SnapshotDate) -> LakeKey {
        table("orgs", date)
    }

    pub fn repo_languages(date: SnapshotDate) -> LakeKey {
        table("repo_languages", date)
    }

    fn table(name: &str, date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["silver", name, date.as_str(), "part-0.parquet"])
    }
}

/// A file that transform builds and publish makes visible.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Output {
    /// A gold table's partition for the snapshot.
    GoldTable(&'static str),
    /// A file of the public site (`org_repos_agg.csv`).
    SiteFile(&'static str),
}

/// Keys of built and published outputs.
pub mod outputs {
    use super::*;

    /// The site CSV the statistics site reads.
    pub const SITE_CSV: Output = Output::SiteFile("org_repos_agg.csv");
    /// The page, rendered by report beside the site CSV.
    pub const INDEX_HTML: Output = Output::SiteFile("index.html");
    /// The gold twin of the site CSV.
    pub const ORG_REPOS_DAILY: Output = Output::GoldTable(GOLD_TABLES[0]);
    /// Everything transform and report stage and publish publishes, gold tables first.
    pub const ALL: [Output; 10] = [
        Output::GoldTable(GOLD_TABLES[0]),
        Output::GoldTable(GOLD_TABLES[1]),
        Output::GoldTable(GOLD_TABLES[2]),
        Output::GoldTable(GOLD_TABLES[3]),
        Output::GoldTable(GOLD_TABLES[4]),
        Output::GoldTable(GOLD_TABLES[5]),
        Output::GoldTable(GOLD_TABLES[6]),
        Output::GoldTable(GOLD_TABLES[7]),
        SITE_CSV,
        INDEX_HTML,
    ];

    /// Every gold table, in the order transform builds them: the one registry that the
    /// output keys above, transform's models (`transform::gold::MODELS` after
    /// `org_repos_daily`), the DuckDB views and the data's documentation follow; tests check
    /// each against it.
    pub const GOLD_TABLES: [&str; 8] = [
        "org_repos_daily",
        "org_latest",
        "org_snapshot_counts",
        "language_counts",
        "licence_counts",
        "headline",
        "language_bytes",
        "topic_counts",
    ];

    /// All staged snapshots.
    pub fn staging_root() -> LakeKey {
        LakeKey::from_parts(["staging"])
    }

    /// All published snapshots' manifests.
    pub fn manifests_root() -> LakeKey {
        LakeKey::from_parts(["gold", "_manifests"])
    }

    pub fn staging(date: SnapshotDate) -> LakeKey {
        LakeKey::from_parts(["staging", &partition("snapshot_date", date)])
    }

    /// Where transform leaves `output` for publish.
    pub fn staged(date: SnapshotDate, output: &Output) -> LakeKey {
        let staging = staging(date);
        match output {
            Output::GoldTable(table) => {
                LakeKey(staging.0.join("gold").join(*table).join("part-0.parquet"))
            }
            Output::SiteFile(name) => child(&child(&staging, "site"), name),
        }
    }

    /// What transform records about the staged outputs, for publish's manifest.
    pub fn build_record(date: SnapshotDate) -> LakeKey {
        child(&staging(date), "_build.json")
    }

    /// Where readers find `output` once published.
    pub fn published(date: SnapshotDate, output: &Output) -> LakeKey {
        match output {
            Output::GoldTable(table) => {
                let date = partition("snapshot_date", date);
                LakeKey::from_parts(["gold", table, date.as_str(), "part-0.parquet"])
            }
            Output::SiteFile(name) => LakeKey::from_parts(["site", name]),
        }
    }

    /// An output's immutable copy for its build, which readers following the manifests
    /// fetch, never mixing two builds (a republished snapshot with changed outputs is a new
    /// build, at new keys): `gold/_builds/snapshot_date=S/build=B/<table>.parquet` (beside
    /// the tables' Hive folders, so globs over them never read it twice) and
    /// `site/snapshot_date=S/build=B/<name>`.
    pub fn build_copy(date: SnapshotDate, build_id: &str, output: &Output) -> LakeKey {
        let date = partition("snapshot_date", date);
        let build = partition("build", build_id);
        match output {
            Output::GoldTable(table) => {
                let file = format!("{table}.parquet");
                LakeKey::from_parts([
                    "gold",
                    "_builds",
                    date.as_str(),
                    build.as_str(),
                    file.as_str(),
                ])
            }
            Output::SiteFile(name) => {
                LakeKey::from_parts(["site", date.as_str(), build.as_str(), name])
            }
        }
    }

    /// The per-snapshot publish manifest, written after every object it lists.
    pub fn snapshot_manifest(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["gold", "_manifests", date.as_str(), "_manifest.json"])
    }

    /// Which snapshot `site/` shows; written after the site files.
    pub fn site_manifest() -> LakeKey {
        LakeKey::from_parts(["site", "_manifest.json"])
    }
}

/// Keys of the leases that keep runs apart (see [`crate::lease`]).
pub mod leases {
    use super::*;

    /// Every org's bronze lease for one snapshot: `_leases/bronze/snapshot_date=S`.
    pub fn bronze_snapshot(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["_leases", "bronze", date.as_str()])
    }

    /// One org's bronze for one snapshot: `_leases/bronze/snapshot_date=S/org=<login>`.
    pub fn org_bronze(date: SnapshotDate, org_key: &str) -> LakeKey {
        child(&bronze_snapshot(date), &partition("org", org_key))
    }

    /// A snapshot's silver and staging: `_leases/snapshot/snapshot_date=S`.
    pub fn snapshot(date: SnapshotDate) -> LakeKey {
        let date = partition("snapshot_date", date);
        LakeKey::from_parts(["_leases", "snapshot", date.as_str()])
    }

    /// The site: `_leases/site`.
    pub fn site() -> LakeKey {
        LakeKey::from_parts(["_leases", "site"])
    }

    /// The lease folder `relative` (`org=<login>`) under `folder`.
    pub fn under(folder: &LakeKey, relative: &str) -> LakeKey {
        LakeKey(Path::from_iter(
            folder.0.parts().chain(Path::from(relative).parts()),
        ))
    }

    /// Generation `n` of the lease in `folder`, zero-padded so keys sort by number.
    pub fn generation(folder: &LakeKey, n: u64) -> LakeKey {
        child(folder, &format!("{n:020}.json"))
    }

    /// The object a run creates twice to check the store honours conditional creates.
    pub fn probe(run_id: &str) -> LakeKey {
        LakeKey::from_parts(["_leases", "_probe", run_id])
    }
}

fn child(parent: &LakeKey, name: &str) -> LakeKey {
    LakeKey(parent.0.clone().join(name))
}

/// How to open an object store: its options (object_store's config keys, such as
/// `aws_region` or `azure_storage_account_name`, on top of the standard environment
/// variables) and how its requests are retried. `Debug` shows the option keys, never values.
#[derive(Clone, PartialEq, Eq)]
pub struct LakeOptions {
    pub options: BTreeMap<String, String>,
    pub max_retries: usize,
    pub retry_timeout: Duration,
}

impl fmt::Debug for LakeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masked: BTreeMap<&str, &str> = self
            .options
            .keys()
            .map(|k| (k.as_str(), crate::redact::MASK))
            .collect();
        f.debug_struct("LakeOptions")
            .field("options", &masked)
            .field("max_retries", &self.max_retries)
            .field("retry_timeout", &self.retry_timeout)
            .finish()
    }
}

impl Default for LakeOptions {
    fn default() -> Self {
        Self {
            options: BTreeMap::new(),
            max_retries: 3,
            retry_timeout: Duration::from_secs(120),
        }
    }
}

impl LakeOptions {
    fn retry(&self) -> RetryConfig {
        RetryConfig {
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
            ..RetryConfig::default()
        }
    }

    /// Each option parsed as the store's config key; an unknown key is an error naming it.
    fn keys<K: FromStr>(&self, root: &str, store: &str) -> Result<Vec<(K, &str)>, LakeError> {
        self.options
            .iter()
            .map(|(key, value)| {
                let parsed = key.parse::<K>().map_err(|_| LakeError::Open {
                    root: root.to_string(),
                    message: format!("lake option {key:?} is not a {store} setting"),
                })?;
                Ok((parsed, value.as_str()))
            })
            .collect()
    }
}

/// An opened lake root.
#[derive(Clone)]
pub struct Lake {
    /// The root as shown in messages and logs: redacted ([`crate::redact::url`]).
    root: String,
    /// What messages from the store must not repeat: option values, the root's secrets.
    secrets: Arc<Vec<String>>,
    store: Arc<dyn ObjectStore>,
}

impl fmt::Debug for Lake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lake({})", self.root)
    }
}

impl Lake {
    /// Opens a local path (created when missing) or an object-store URL. Cloud credentials
    /// come from the store's standard environment variables (`AWS_*`, `AZURE_*`, `GOOGLE_*`).
    pub fn open(root: &str, options: &LakeOptions) -> Result<Self, LakeError> {
        let shown = crate::redact::url(root);
        let secrets = crate::redact::secrets_of(root, options.options.values());
        let store: Arc<dyn ObjectStore> = match Url::parse(root) {
            // A Windows drive letter parses as a one-letter scheme: treat it as a path.
            Ok(url) if url.scheme().len() > 1 => {
                let opened = open_url(&shown, root, &url, options);
                opened.map_err(|e| e.redacted(&secrets))?
            }
            _ => Arc::new(open_local(&shown, FsPath::new(root))?),
        };
        Ok(Self {
            root: shown,
            secrets: Arc::new(secrets),
            store,
        })
    }

    /// Whether `root` is a local path that does not exist (which `open` would create).
    pub fn is_missing_local(root: &str) -> bool {
        let is_url = Url::parse(root).is_ok_and(|u| u.scheme().len() > 1 && u.scheme() != "file");
        let path = match Url::parse(root) {
            Ok(url) if url.scheme() == "file" => url.to_file_path().ok(),
            _ => Some(FsPath::new(root).to_path_buf()),
        };
        !is_url && path.is_some_and(|p| !p.exists())
    }

    /// A lake in memory, for tests.
    pub fn in_memory() -> Self {
        Self {
            root: "memory://".into(),
            secrets: Arc::new(Vec::new()),
            store: Arc::new(InMemory::new()),
        }
    }

    /// The root as given, redacted, for messages.
    pub fn root(&self) -> &str {
        &self.root
    }

    fn io_err(
        &self,
        op: &'static str,
        key: &LakeKey,
    ) -> impl FnOnce(object_store::Error) -> LakeError {
        let (root, key, secrets) = (self.root.clone(), key.clone(), Arc::clone(&self.secrets));
        move |source| LakeError::Io {
            root,
            op,
            key,
            message: crate::redact::text(&source.to_string(), secrets.iter().map(String::as_str)),
        }
    }

    /// Writes `bytes` at `key`. object_store guarantees a put is atomic on every backend
    /// (the local store writes a staging file and renames it), so no reader sees half a file.
    pub async fn put(&self, key: &LakeKey, bytes: impl Into<Bytes>) -> Result<(), LakeError> {
        crate::failpoint::before_put().await;
        let payload = PutPayload::from_bytes(bytes.into());
        let result = self.store.put(&key.0, payload).await;
        crate::failpoint::after_put();
        result.map_err(self.io_err("put", key))?;
        Ok(())
    }

    /// Writes `bytes` at `key` only if nothing is there yet, atomically (object_store's
    /// `PutMode::Create`: a conditional create on every backend). `false` when it exists.
    pub async fn put_if_absent(
        &self,
        key: &LakeKey,
        bytes: impl Into<Bytes>,
    ) -> Result<bool, LakeError> {
        crate::failpoint::before_put().await;
        let payload = PutPayload::from_bytes(bytes.into());
        let options = PutOptions::from(PutMode::Create);
        let result = self.store.put_opts(&key.0, payload, options).await;
        crate::failpoint::after_put();
        match result {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(self.io_err("create", key)(e)),
        }
    }

    /// Deletes `key`; nothing when it is already gone.
    pub async fn delete(&self, key: &LakeKey) -> Result<(), LakeError> {
        match self.store.delete(&key.0).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.io_err("delete", key)(e)),
        }
    }

    /// Reads `key`; `None` when it does not exist.
    pub async fn get(&self, key: &LakeKey) -> Result<Option<Bytes>, LakeError> {
        match self.store.get(&key.0).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(self.io_err("get", key))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.io_err("get", key)(e)),
        }
    }

    pub async fn exists(&self, key: &LakeKey) -> Result<bool, LakeError> {
        match self.store.head(&key.0).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.io_err("head", key)(e)),
        }
    }

    /// Every key under `prefix`, sorted.
    pub async fn list(&self, prefix: &LakeKey) -> Result<Vec<LakeKey>, LakeError> {
        let mut keys: Vec<LakeKey> = self
            .store
            .list(Some(&prefix.0))
            .map_ok(|meta| LakeKey(meta.location))
            .try_collect()
            .await
            .map_err(self.io_err("list", prefix))?;
        keys.sort();
        Ok(keys)
    }

    /// The values of the Hive partitions `name=<value>` directly under `prefix`, sorted.
    pub async fn partitions(&self, prefix: &LakeKey, name: &str) -> Result<Vec<String>, LakeError> {
        let listing = self
            .store
            .list_with_delimiter(Some(&prefix.0))
            .await
            .map_err(self.io_err("list", prefix))?;
        let wanted = format!("{name}=");
        let mut values: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename()?.strip_prefix(&wanted).map(str::to_string))
            .collect();
        values.sort();
        Ok(values)
    }

    /// Deletes every key under `prefix` (an incomplete org before it is fetched again).
    pub async fn delete_prefix(&self, prefix: &LakeKey) -> Result<(), LakeError> {
        for key in self.list(prefix).await? {
            self.delete(&key).await?;
        }
        Ok(())
    }
}

/// object_store rejects a plain-HTTP endpoint with only "builder error"; say what to do.
fn refuse_plain_http(root: &str, builder: &AmazonS3Builder) -> Result<(), LakeError> {
    let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
    let allowed = builder
        .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match endpoint {
        Some(endpoint) if endpoint.starts_with("http://") && !allowed => Err(LakeError::Open {
            root: root.to_string(),
            message: format!(
                "endpoint {endpoint} is plain HTTP: set AWS_ALLOW_HTTP=true (for a local test server only)"
            ),
        }),
        _ => Ok(()),
    }
}

fn open_local(root: &str, path: &FsPath) -> Result<LocalFileSystem, LakeError> {
    std::fs::create_dir_all(path).map_err(|source| LakeError::Create {
        root: root.to_string(),
        source,
    })?;
    LocalFileSystem::new_with_prefix(path).map_err(|e| LakeError::Open {
        root: root.to_string(),
        message: e.to_string(),
    })
}

impl LakeError {
    /// The error with `secrets` masked in its free text.
    fn redacted(self, secrets: &[String]) -> Self {
        let mask =
            |message: String| crate::redact::text(&message, secrets.iter().map(String::as_str));
        match self {
            Self::Open { root, message } => Self::Open {
                root,
                message: mask(message),
            },
            other => other,
        }
    }
}

/// Opens an object store. `root` is the redacted root for messages; `given` the real one.
fn open_url(
    root: &str,
    given: &str,
    url: &Url,
    options: &LakeOptions,
) -> Result<Arc<dyn ObjectStore>, LakeError> {
    let open_err = |e: object_store::Error| LakeError::Open {
        root: root.to_string(),
        message: e.to_string(),
    };
    let prefix = Path::from(url.path().trim_matches('/'));
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "file" => {
            let path = url.to_file_path().map_err(|()| LakeError::Open {
                root: root.to_string(),
                message: "not an absolute local path".into(),
            })?;
            return Ok(Arc::new(open_local(root, &path)?));
        }
        "memory" => Arc::new(InMemory::new()),
        "s3" | "s3a" => {
            let mut builder = AmazonS3Builder::from_env().with_url(given);
            for (key, value) in options.keys::<AmazonS3ConfigKey>(root, "s3")? {
                builder = builder.with_config(key, value);
            }
            refuse_plain_http(root, &builder)?;
            let store = builder.with_retry(options.retry()).build();
            Arc::new(PrefixStore::new(store.map_err(open_err)?, prefix))
        }
        "az" | "azure" | "abfs" | "abfss" | "adl" => {
            let mut builder = MicrosoftAzureBuilder::from_env().with_url(given);
            for (key, value) in options.keys::<AzureConfigKey>(root, "azure")? {
                builder = builder.with_config(key, value);
            }
            let store = builder.with_retry(options.retry()).build();
            Arc::new(PrefixStore::new(store.map_err(open_err)?, prefix))
        }
        "gs" => {
            let mut builder = GoogleCloudStorageBuilder::from_env().with_url(given);
            for (key, value) in options.keys::<GoogleConfigKey>(root, "gcs")? {
                builder = builder.with_config(key, value);
            }
            let store = builder.with_retry(options.retry()).build();
            Arc::new(PrefixStore::new(store.map_err(open_err)?, prefix))
        }
        scheme => {
            return Err(LakeError::UnsupportedScheme {
                root: root.to_string(),
                scheme: scheme.to_string(),
            })
        }
    };
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> SnapshotDate {
        "2021-03-04".parse().unwrap()
    }

    #[test]
    fn keys_follow_the_documented_layout() {
        let org: OrgLogin = "NHSDigital".parse().unwrap();
        assert_eq!(
            bronze::page(date(), &org, 2).as_str(),
            "bronze/github/repos/snapshot_date=2021-03-04/org=nhsdigital/page-0002.json"
        );
        assert_eq!(
            bronze::org_manifest(date(), &org).as_str(),
            "bronze/github/repos/snapshot_date=2021-03-04/org=nhsdigital/_manifest.json"
        );
        assert_eq!(
            silver::repos(date()).as_str(),
            "silver/repos/snapshot_date=2021-03-04/part-0.parquet"
        );
        let table = Output::GoldTable("org_repos_daily");
        assert_eq!(
            outputs::staged(date(), &table).as_str(),
            "staging/snapshot_date=2021-03-04/gold/org_repos_daily/part-0.parquet"
        );
        assert_eq!(
            outputs::published(date(), &table).as_str(),
            "gold/org_repos_daily/snapshot_date=2021-03-04/part-0.parquet"
        );
        let csv = Output::SiteFile("org_repos_agg.csv");
        assert_eq!(
            outputs::staged(date(), &csv).as_str(),
            "staging/snapshot_date=2021-03-04/site/org_repos_agg.csv"
        );
        assert_eq!(
            outputs::published(date(), &csv).as_str(),
            "site/org_repos_agg.csv"
        );
    }

    #[test]
    fn unknown_scheme_is_a_clear_error() {
        let err = Lake::open("ftp://host/x", &LakeOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("lake ftp://host/x: unsupported scheme \"ftp\""),
            "{err}"
        );
    }

    #[test]
    fn unknown_store_options_are_named() {
        let options = LakeOptions {
            options: [("aws_colour".to_string(), "blue".to_string())].into(),
            ..LakeOptions::default()
        };
        let err = Lake::open("s3://bucket/x", &options)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "lake s3://bucket/x: lake option \"aws_colour\" is not a s3 setting"
        );
    }

    #[tokio::test]
    async fn round_trip_in_memory() {
        let lake = Lake::in_memory();
        let key = silver::repos(date());
        assert_eq!(lake.get(&key).await.unwrap(), None);
        lake.put(&key, b"abc".to_vec()).await.unwrap();
        assert_eq!(lake.get(&key).await.unwrap().unwrap().as_ref(), b"abc");
        assert!(lake.exists(&key).await.unwrap());
        let parts = lake
            .partitions(&LakeKey::from_parts(["silver", "repos"]), "snapshot_date")
            .await
            .unwrap();
        assert_eq!(parts, ["2021-03-04"]);
    }
}
