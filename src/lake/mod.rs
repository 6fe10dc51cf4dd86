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
//! bronze/github/repos/snapshot_date=S/org=<login>/graphql-0001.json GraphQL answers, as received
//! bronze/github/repos/snapshot_date=S/org=<login>/_manifest.json    the org is complete
//! bronze/github/{license,languages}/snapshot_date=S/org=<login>/responses.json
//!                                                                    per-repository answers
//! bronze/gitlab/projects/snapshot_date=S/...                         a GitLab group, laid out
//! bronze/gitlab/{license,languages}/snapshot_date=S/...              as a GitHub org above
//! silver/{repos,orgs,repo_languages,licence_texts}/snapshot_date=S/part-0.parquet
//! staging/snapshot_date=S/<output>                                  built, not yet published
//! gold/<table>/_delta_log/                                          a Delta table's commits
//! gold/<table>/snapshot_date=S/part-<sha256>.parquet                published, named by its bytes
//! gold/_builds/snapshot_date=S/build=B/<table>.parquet              a build's own tables
//! gold/_manifests/snapshot_date=S/_manifest.json                    written last by publish
//! site/snapshot_date=S/build=B/<file>, .../orgs/<slug>.html          a build's site and root files
//! site/org_repos_agg.csv, site/index.html, site/_manifest.json       the latest snapshot
//! site/orgs/<slug>.html                                              its organisation pages
//! datapackage.json, manifest.schema.json, build.schema.json          what describes the rest
//! _leases/{bronze/snapshot_date=S/org=<login>,snapshot/snapshot_date=S,site}/<n>.json
//!                                                                    who is writing what
//! ```
//!
//! `<login>` is the lower-case login, as GitHub logins are case-insensitive; a GitLab
//! group's is `<host>+<full path>` with `/` written `+` (`gitlab.com+nhsbsa`), and its
//! `org.json` is `GET /groups/:id`. A snapshot's orgs are the members under both forges.

use std::fmt;
use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

mod keys;
mod local;
mod open;

pub use keys::{bronze, leases, outputs, silver, LakeKey, Output};
pub use open::LakeOptions;
use open::{open_local, open_url};

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

/// Objects [`Lake::get_many`] reads at once from a remote store.
const GETS_IN_FLIGHT: usize = 8;

/// `work` (a local lake's file system calls) on tokio's blocking threads; a panic in it
/// resumes here.
async fn on_blocking_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// An opened lake root.
#[derive(Clone)]
pub struct Lake {
    /// The root as shown in messages and logs: redacted ([`crate::redact::url`]).
    root: String,
    /// What messages from the store must not repeat: option values, the root's secrets.
    secrets: Arc<Vec<String>>,
    store: Arc<dyn ObjectStore>,
    /// The same store when the lake is a local directory, for its fast paths ([`local`]).
    local: Option<Arc<LocalFileSystem>>,
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
        let (store, local): (Arc<dyn ObjectStore>, _) = match Url::parse(root) {
            // A Windows drive letter parses as a one-letter scheme: treat it as a path.
            Ok(url) if url.scheme().len() > 1 => {
                let opened = open_url(&shown, root, &url, options);
                (opened.map_err(|e| e.redacted(&secrets))?, None)
            }
            _ => {
                let local = Arc::new(open_local(&shown, FsPath::new(root))?);
                (Arc::clone(&local) as Arc<dyn ObjectStore>, Some(local))
            }
        };
        Ok(Self {
            root: shown,
            secrets: Arc::new(secrets),
            store,
            local,
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
            local: None,
        }
    }

    /// The store under the lake root, for delta-rs, which reads and writes each gold table's
    /// log through it ([`crate::delta`]).
    pub(crate) fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    /// `text` (a store's message) with every secret of this lake masked.
    pub(crate) fn redact(&self, text: &str) -> String {
        crate::redact::text(text, self.secrets.iter().map(String::as_str))
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
            Err(object_store::Error::NotImplemented { .. }) => {
                Err(LakeError::NoConditionalCreate {
                    root: self.root.clone(),
                })
            }
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

    /// Reads each of `keys`, in order; `None` for each that does not exist. A local lake
    /// reads them all in one blocking task, as a task per small file costs more than its read;
    /// other stores read a few at a time.
    pub async fn get_many(&self, keys: Vec<LakeKey>) -> Result<Vec<Option<Bytes>>, LakeError> {
        let Some(local) = self.local.clone() else {
            let gets = futures::stream::iter(keys).map(|key| async move { self.get(&key).await });
            return gets.buffered(GETS_IN_FLIGHT).try_collect().await;
        };
        let lake = self.clone();
        on_blocking_thread(move || {
            let read = local::read_many(&local, keys.iter().map(|key| &key.0));
            (keys.iter().zip(read))
                .map(|(key, bytes)| bytes.map_err(lake.io_err("get", key)))
                .collect()
        })
        .await
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
        let walked = match self.local.clone() {
            Some(local) => {
                let key = prefix.0.clone();
                on_blocking_thread(move || local::list(&local, &key)).await
            }
            None => Ok(None),
        };
        let walked = walked.map_err(self.io_err("list", prefix))?;
        let mut keys: Vec<LakeKey> = match walked {
            Some(keys) => keys.into_iter().map(LakeKey).collect(),
            None => (self.store.list(Some(&prefix.0)))
                .map_ok(|meta| LakeKey(meta.location))
                .try_collect()
                .await
                .map_err(self.io_err("list", prefix))?,
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SnapshotDate;

    fn date() -> SnapshotDate {
        "2021-03-04".parse().unwrap()
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
