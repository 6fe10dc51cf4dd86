//! Which store a lake root names (a local directory, S3, Azure, GCS or memory), opened with
//! its options and retry settings, and errors with the root's secrets masked.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path as FsPath;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ClientConfigKey, ObjectStore, RetryConfig};
use url::Url;

use super::LakeError;

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

pub(super) fn open_local(root: &str, path: &FsPath) -> Result<LocalFileSystem, LakeError> {
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
    pub(super) fn redacted(self, secrets: &[String]) -> Self {
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
pub(super) fn open_url(
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
