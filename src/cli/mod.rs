//! The `ohs` command line: every flag documented where it is defined, dispatch to the
//! stages, and the mapping from failures to exit codes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing::{info, info_span, Instrument};

use crate::config::{Config, ConfigError, OrgConfig, Overrides, RunSettings, Shard};
use crate::exit::Failure;
use crate::extract;
use crate::lake::{Lake, LakeError};
use crate::lease::{Holder, Leases, Part};
use crate::publish::{self, RunInfo};
use crate::report;
use crate::status;
use crate::transform;

const EXIT_CODES: &str = "\
Exit codes:
  0  the snapshot is complete and published (or the stage asked for succeeded)
  1  anything else (a bug: please report it)
  2  usage or configuration error (a bad token, an unknown org, a missing org): fix, then rerun
  3  source error: GitHub API or network; retrying later may help
  4  data error: an invalid page or schema; nothing was published
  5  storage error: the lake could not be read or written
  6  another run holds a lease on what this run would write: nothing was written; retry later";

/// Measures the use of open-source code in NHS and healthcare GitHub organisations.
/// The flags that only some subcommands use, and which: given on the command line to another,
/// they are a usage error rather than silently ignored (from `OHS_*` variables they are fine,
/// as an orchestrator sets one environment for every step). `--config`, `--lake` and the
/// logging flags apply everywhere.
const SCOPED_FLAGS: [(&str, &[&str]); 6] = [
    (
        "snapshot_date",
        &["run", "extract", "transform", "publish", "report"],
    ),
    ("orgs", &["run", "extract", "transform", "validate"]),
    ("github_api", &["run", "extract", "validate"]),
    ("gitlab_api", &["run", "extract", "transform", "validate"]),
    ("offline", &["run", "extract"]),
    (
        "publish_target",
        &[
            "run",
            "transform",
            "publish",
            "report",
            "status",
            "validate",
        ],
    ),
];

impl Cli {
    /// The command line, refusing a flag given to a subcommand that does not use it.
    pub fn parse_args() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().get_matches();
        let cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if let Some((name, given)) = matches.subcommand() {
            for (flag, used_by) in SCOPED_FLAGS {
                let on_command_line =
                    given.value_source(flag) == Some(clap::parser::ValueSource::CommandLine);
                if on_command_line && !used_by.contains(&name) {
                    let flag = flag.replace('_', "-");
                    let message = format!(
                        "--{flag} does not apply to `ohs {name}`; it is for: {}",
                        used_by.join(", ")
                    );
                    Self::command()
                        .error(clap::error::ErrorKind::ArgumentConflict, message)
                        .exit();
                }
            }
        }
        cli
    }
}

#[derive(Parser)]
#[command(name = "ohs", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every subcommand takes; each flag also reads an `OHS_*` variable. No `Debug`:
/// `--lake` and `--publish-target` may carry a secret.
#[derive(Args)]
pub struct GlobalArgs {
    /// The pipeline configuration file.
    #[arg(
        long,
        global = true,
        env = "OHS_CONFIG",
        value_name = "FILE",
        default_value = "pipeline.toml"
    )]
    pub config: PathBuf,
    /// The lake root: a path, or an s3://, az://, abfss://, gs:// or file:// URL [default: lake.root].
    #[arg(long, global = true, env = "OHS_LAKE", value_name = "PATH_OR_URL")]
    pub lake: Option<String>,
    /// The snapshot's date, YYYY-MM-DD, not in the future [default: today in UTC].
    #[arg(
        long,
        global = true,
        env = "OHS_SNAPSHOT_DATE",
        value_name = "YYYY-MM-DD"
    )]
    pub snapshot_date: Option<String>,
    /// Comma-separated logins that replace the configured organisations for this run.
    #[arg(long, global = true, env = "OHS_ORGS", value_name = "LOGINS")]
    pub orgs: Option<String>,
    /// The GitHub REST API base URL [default: github.api].
    #[arg(long, global = true, env = "OHS_GITHUB_API", value_name = "URL")]
    pub github_api: Option<String>,
    /// The default GitLab instance's REST API base URL [default: gitlab.api].
    #[arg(long, global = true, env = "OHS_GITLAB_API", value_name = "URL")]
    pub gitlab_api: Option<String>,
    /// Publish to this root instead of the lake (a path or object-store URL) [default: publish.target].
    #[arg(
        long,
        global = true,
        env = "OHS_PUBLISH_TARGET",
        value_name = "PATH_OR_URL"
    )]
    pub publish_target: Option<String>,
    /// Read recorded pages DIR/<login>/page-N.json instead of calling the API.
    #[arg(long, global = true, env = "OHS_OFFLINE", value_name = "DIR")]
    pub offline: Option<PathBuf>,
    /// Log lines as human-readable text or as JSON for orchestrators.
    #[arg(long, global = true, env = "OHS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log output (-v debug, -vv trace); beats RUST_LOG.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every stage: extract, transform, report, then publish (page and data together).
    #[command(
        after_help = "Example:\n  GITHUB_TOKEN=... ohs run --orgs nhsx,nhsuk --lake s3://bucket/ohs --snapshot-date 2024-11-03"
    )]
    Run {
        /// Fetch every org again, even those already complete for this snapshot.
        #[arg(long)]
        refetch: bool,
    },
    /// Fetch the run's organisations (or a shard of them) from the GitHub API into bronze,
    /// adding them to the snapshot.
    #[command(
        after_help = "Example:\n  ohs extract --shard 2/4 --snapshot-date 2024-11-03 --lake az://lake/ohs"
    )]
    Extract {
        /// Fetch every org again, even those already complete for this snapshot.
        #[arg(long)]
        refetch: bool,
        /// Extract only the I-th of N stable shares of the orgs (an org's share depends on
        /// its login alone), so N parallel tasks extract disjoint sets; then run transform
        /// and publish once.
        #[arg(long, env = "OHS_SHARD", value_name = "I/N")]
        shard: Option<Shard>,
    },
    /// Build silver, gold, the site CSV and the page from every org of a complete bronze
    /// snapshot (no network).
    #[command(
        after_help = "Example:\n  ohs transform --snapshot-date 2024-11-03 --lake az://lake/ohs"
    )]
    Transform {
        /// Rebuild every snapshot that is complete in bronze, not just --snapshot-date.
        #[arg(long)]
        all_snapshots: bool,
    },
    /// Publish a transformed snapshot's gold tables and site files, complete or not at all:
    /// one Delta commit per gold table, then the snapshot's manifest, then the site.
    #[command(
        after_help = "Example:\n  ohs publish --snapshot-date 2024-11-03 --lake az://lake/ohs"
    )]
    Publish {
        /// Publish every staged snapshot (after `ohs transform --all-snapshots`), with one
        /// Delta commit per gold table for all of them, not --snapshot-date alone.
        #[arg(long)]
        all_snapshots: bool,
    },
    /// Render the snapshot's HTML page again from its staged gold tables (transform does).
    #[command(
        after_help = "Example:\n  ohs report --snapshot-date 2024-11-03 && ohs publish --snapshot-date 2024-11-03"
    )]
    Report,
    /// List the snapshots in the lake, complete or not, and what a rerun would do (writes nothing).
    #[command(
        after_help = "Example:\n  ohs status --json --lake s3://bucket/ohs | jq '.snapshots[-1].rerun'"
    )]
    Status {
        /// One JSON object on stdout (the snapshots and what the site shows), for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Check the configuration, the lake and the publish target without writing anything.
    #[command(
        after_help = "Example:\n  GITHUB_TOKEN=... GITLAB_TOKEN=... ohs validate --online --config pipeline.toml"
    )]
    Validate {
        /// Also ask GitHub: the token works (`GET /rate_limit`, which costs nothing) and every
        /// organisation of the run exists (`GET /orgs/{org}`, one request each).
        #[arg(long)]
        online: bool,
    },
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            lake: self.lake.clone(),
            snapshot_date: self.snapshot_date.clone(),
            orgs: self.orgs.clone(),
            github_api: self.github_api.clone(),
            gitlab_api: self.gitlab_api.clone(),
            offline: self.offline.clone(),
            publish_target: self.publish_target.clone(),
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let started_at = chrono::Utc::now();
    crate::failpoint::at_start();
    let settings = Config::load(&cli.global.config)?.resolve(cli.global.overrides())?;
    if let Command::Validate { online } = cli.command {
        return validate(&settings, online).await;
    }
    let lake = Lake::open(&settings.config.lake_root, &settings.config.lake_options)?;
    let run_info = RunInfo {
        run_id: format!(
            "{}-{}",
            started_at.format("%Y%m%dT%H%M%S%.3fZ"),
            std::process::id()
        ),
        started_at,
        config_sha256: settings.config.sha256.clone(),
    };
    let mut leases = Leases::new(
        Holder::this_process(&run_info.run_id, started_at),
        settings.config.lease,
    );
    let outcome = dispatch(cli.command, &settings, &lake, &run_info, &mut leases).await;
    leases.release().await;
    outcome
}

/// Runs one command, taking the leases on what it writes first, in one order (orgs, the
/// snapshot, the site), so that a run that would collide with another fails before it
/// writes anything.
async fn dispatch(
    command: Command,
    settings: &RunSettings,
    lake: &Lake,
    run_info: &RunInfo,
    leases: &mut Leases,
) -> Result<(), Failure> {
    let date = settings.snapshot_date;
    match command {
        Command::Run { refetch } => {
            let target = publish_target(settings, lake)?;
            leases.acquire(lake, &org_parts(settings, None)).await?;
            leases.acquire(lake, &[Part::Snapshot(date)]).await?;
            leases.acquire(&target, &[Part::Site]).await?;
            extract_stage(settings, lake, refetch, None).await?;
            transform_stage(settings, lake).await?;
            publish_stage(settings, lake, &target, run_info).await?;
            info!(
                snapshot_date = %date,
                lake = lake.root(),
                "run complete: published gold/ and site/ (org_repos_agg.csv, index.html)"
            );
        }
        Command::Extract { refetch, shard } => {
            leases.acquire(lake, &org_parts(settings, shard)).await?;
            extract_stage(settings, lake, refetch, shard).await?
        }
        Command::Transform {
            all_snapshots: false,
        } => {
            leases.acquire(lake, &[Part::Snapshot(date)]).await?;
            let bronze = crate::lake::leases::bronze_snapshot(date);
            leases.require_none_held_under(lake, &bronze).await?;
            transform_stage(settings, lake).await?
        }
        Command::Transform {
            all_snapshots: true,
        } => {
            let dates = transform::bronze_snapshots(lake).await?;
            let parts: Vec<Part> = dates.iter().copied().map(Part::Snapshot).collect();
            leases.acquire(lake, &parts).await?;
            for date in dates {
                let bronze = crate::lake::leases::bronze_snapshot(date);
                leases.require_none_held_under(lake, &bronze).await?;
            }
            let span = info_span!("stage", stage = "transform", snapshots = "all");
            let built = transform::run_all(settings, lake).instrument(span).await?;
            // Each rebuilt snapshot's page, from its own new tables.
            let web = &settings.config.github.web;
            let target = publish_target(settings, lake)?;
            for summary in &built {
                let span =
                    info_span!("stage", stage = "report", snapshot_date = %summary.snapshot_date);
                report::run(lake, &target, summary.snapshot_date, web)
                    .instrument(span)
                    .await?;
            }
            info!(snapshots = built.len(), "rebuilt every complete snapshot");
        }
        Command::Publish { all_snapshots } => {
            let target = publish_target(settings, lake)?;
            let dates = if all_snapshots {
                crate::formats::staged::snapshot_dates(lake).await?
            } else {
                vec![date]
            };
            let parts: Vec<Part> = dates.iter().copied().map(Part::Snapshot).collect();
            leases.acquire(lake, &parts).await?;
            leases.acquire(&target, &[Part::Site]).await?;
            let span = info_span!("stage", stage = "publish", snapshots = dates.len());
            publish::run_all(lake, &target, &dates, run_info)
                .instrument(span)
                .await?;
        }
        Command::Report => {
            leases.acquire(lake, &[Part::Snapshot(date)]).await?;
            report_stage(settings, lake).await?
        }
        Command::Status { json } => {
            let target = publish_target(settings, lake)?;
            let statuses = status::snapshots(lake, &target).await?;
            let site = status::site_snapshot(&target).await?;
            let tables = status::gold_tables(&target).await?;
            if json {
                println!("{}", status::to_json(&statuses, site.as_deref(), &tables));
            } else {
                print!("{}", status::render(&statuses, site.as_deref(), &tables));
            }
        }
        Command::Validate { .. } => unreachable!("handled before the lake is opened"),
    }
    Ok(())
}

/// The bronze leases of the orgs the run extracts, in login order.
fn org_parts(settings: &RunSettings, shard: Option<Shard>) -> Vec<Part> {
    let mut parts: Vec<Part> = extract::selected_orgs(settings, shard)
        .into_iter()
        .map(|org| Part::org_bronze(settings.snapshot_date, &org.login))
        .collect();
    parts.sort();
    parts
}

async fn extract_stage(
    settings: &RunSettings,
    lake: &Lake,
    refetch: bool,
    shard: Option<Shard>,
) -> Result<(), Failure> {
    let span = info_span!("stage", stage = "extract", snapshot_date = %settings.snapshot_date);
    extract::run(settings, lake, refetch, shard)
        .instrument(span)
        .await?;
    Ok(())
}

/// Transform, then the page of that build: `ohs transform` then `ohs publish` publishes the
/// page with the tables it was drawn from.
async fn transform_stage(settings: &RunSettings, lake: &Lake) -> Result<(), Failure> {
    let span = info_span!("stage", stage = "transform", snapshot_date = %settings.snapshot_date);
    transform::run(settings, lake).instrument(span).await?;
    report_stage(settings, lake).await
}

async fn report_stage(settings: &RunSettings, lake: &Lake) -> Result<(), Failure> {
    let span = info_span!("stage", stage = "report", snapshot_date = %settings.snapshot_date);
    let target = publish_target(settings, lake)?;
    report::run(
        lake,
        &target,
        settings.snapshot_date,
        &settings.config.github.web,
    )
    .instrument(span)
    .await?;
    Ok(())
}

fn publish_target(settings: &RunSettings, lake: &Lake) -> Result<Lake, LakeError> {
    Ok(match &settings.config.publish_target {
        Some(root) => Lake::open(root, &settings.config.lake_options)?,
        None => lake.clone(),
    })
}

/// `ohs validate`: the configuration parsed (or we would not be here); the lake and target
/// open and can be listed. A local lake that does not exist yet is reported, not created.
/// With `online`, GitHub accepts the token and knows every org of the run.
async fn validate(settings: &RunSettings, online: bool) -> Result<(), Failure> {
    let config = &settings.config;
    println!(
        "config {}: ok ({} organisations)",
        config.path.display(),
        config.orgs.len()
    );
    let roots = std::iter::once(("lake", &config.lake_root))
        .chain(config.publish_target.iter().map(|t| ("publish target", t)));
    for (what, root) in roots {
        let shown = crate::redact::url(root);
        if Lake::is_missing_local(root) {
            println!("{what} {shown}: does not exist yet; the first run creates it");
            continue;
        }
        let store = Lake::open(root, &config.lake_options)?;
        let snapshots = crate::bronze::snapshot_dates(&store).await?;
        println!("{what} {shown}: ok ({} bronze snapshots)", snapshots.len());
    }
    if online {
        validate_online(settings).await?;
    }
    Ok(())
}

/// `ohs validate --online`: the token, then each org; a missing org is a configuration error.
async fn validate_online(settings: &RunSettings) -> Result<(), Failure> {
    let github = &settings.config.github;
    let orgs: Vec<&OrgConfig> = settings.orgs.iter().collect();
    let clients = extract::Clients::new(settings, &orgs)?;
    let (remaining, limit) = clients.github.rate_limit().await?;
    let budget = match (remaining, limit) {
        (Some(remaining), Some(limit)) => format!("{remaining} of {limit} requests left this hour"),
        _ => "no budget reported".to_string(),
    };
    let who = if settings.token.is_some() {
        "GITHUB_TOKEN accepted"
    } else {
        "no GITHUB_TOKEN"
    };
    println!(
        "github {}: ok ({who}, {budget})",
        crate::redact::url(github.api.as_str())
    );
    let mut missing = Vec::new();
    for org in &settings.orgs {
        let forge = org.login.forge().name();
        if clients.org_exists(settings, org).await? {
            println!("org {}: ok", org.login);
        } else {
            println!("org {}: not found on {forge}", org.login);
            missing.push(format!("{} on {forge}", org.login));
        }
    }
    if !missing.is_empty() {
        return Err(ConfigError::Flag {
            flag: "--orgs",
            message: format!(
                "not found: {} (check the logins in {} or --orgs)",
                missing.join(", "),
                settings.config.path.display()
            ),
        }
        .into());
    }
    Ok(())
}

async fn publish_stage(
    settings: &RunSettings,
    lake: &Lake,
    target: &Lake,
    run: &RunInfo,
) -> Result<(), Failure> {
    let span = info_span!("stage", stage = "publish", snapshot_date = %settings.snapshot_date);
    publish::run(lake, target, settings.snapshot_date, run)
        .instrument(span)
        .await?;
    Ok(())
}
