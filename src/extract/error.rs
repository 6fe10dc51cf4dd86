//! Why extract failed, and the exit code of each cause.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::domain::{Forge, OrgLogin};
use crate::lake::LakeError;

/// Why extract failed. Every message names the org and the URL or page.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("extract: http client: {0}")]
    Client(String),
    #[error("extract: {0}")]
    Setup(String),
    #[error("extract: org {org}: GET {url}: {reason} after {attempts} attempts")]
    Exhausted {
        org: OrgLogin,
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("extract: org {org}: GET {url}: {reason} after {attempts} attempts")]
    InvalidResponse {
        org: OrgLogin,
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("extract: GET {url}: 401 Unauthorized: {}", if *with_token { format!("{} rejected {} (wrong, expired or revoked): set a valid token", forge.name(), forge.token_var()) } else { format!("{} requires a token: set {}", forge.name(), forge.token_var()) })]
    Unauthorized {
        url: String,
        forge: Forge,
        with_token: bool,
    },
    #[error("extract: org {org}: not found on {} (404 at GET {url}): check the login in the configuration or --orgs", org.forge().name())]
    OrgNotFound { org: OrgLogin, url: String },
    #[error("extract: org {org}: GET {url}: 403 Forbidden without a rate limit ({message}): the token is blocked, or not authorised for the org's SAML single sign-on (authorise it in the token's settings), or lacks access")]
    Forbidden {
        org: OrgLogin,
        url: String,
        message: String,
    },
    #[error("extract: org {org}: {what} {url} is not on the API's origin {api}: not requested, so the token goes nowhere else")]
    ForeignOrigin {
        org: OrgLogin,
        what: &'static str,
        url: String,
        api: String,
    },
    #[error("extract: org {org}: GET {url}: rate limited {} (beyond max_wait_secs = {max_wait_secs}): run again after that time", match retry_at { Some(at) => format!("until {}", at.format("%Y-%m-%dT%H:%M:%SZ")), None => "for longer than any date can say".to_string() })]
    RateLimited {
        org: OrgLogin,
        url: String,
        retry_at: Option<DateTime<Utc>>,
        max_wait_secs: u64,
    },
    #[error("extract: org {org}: GET {url}: HTTP {status}: {message}")]
    Status {
        org: OrgLogin,
        url: String,
        status: u16,
        message: String,
    },
    #[error("extract: org {org}: page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("extract: org {org}: GET {url}: {message}")]
    Unexpected {
        org: OrgLogin,
        url: String,
        message: String,
    },
    #[error("extract: org {org}: GET {url}: response of {bytes} bytes is over max_response_bytes = {limit}")]
    TooLarge {
        org: OrgLogin,
        url: String,
        bytes: u64,
        limit: u64,
    },
    #[error("extract: offline directory {dir}: {message}")]
    ReplayDir { dir: PathBuf, message: String },
    #[error("extract: org {org}: no recorded pages in {dir}")]
    ReplayMissing { org: OrgLogin, dir: PathBuf },
    #[error("extract: org {org}: {path}: {message}")]
    Replay {
        org: OrgLogin,
        path: PathBuf,
        message: String,
    },
    #[error("extract: {0}")]
    Lake(#[from] LakeError),
}

impl crate::exit::HasExitCode for ExtractError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Data, Source, Usage};
        match self {
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
            Self::InvalidPage { .. }
            | Self::InvalidResponse { .. }
            | Self::TooLarge { .. }
            | Self::Unexpected { .. } => Data,
            Self::ReplayDir { .. }
            | Self::ReplayMissing { .. }
            | Self::Unauthorized { .. }
            | Self::OrgNotFound { .. }
            | Self::Forbidden { .. }
            | Self::Setup(_) => Usage,
            Self::Client(_)
            | Self::Exhausted { .. }
            | Self::ForeignOrigin { .. }
            | Self::RateLimited { .. }
            | Self::Status { .. }
            | Self::Replay { .. } => Source,
        }
    }
}
