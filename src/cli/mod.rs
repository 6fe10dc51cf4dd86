//! The `ohs` command line: its flags (`args.rs`), dispatch to the stages under their leases,
//! and `ohs validate`. Each error says its own exit code ([`crate::exit`]).

use tracing::{info, info_span, Instrument};

use crate::config::{Config, ConfigError, OrgConfig, RunSettings, Shard};
use crate::exit::{ExitCode, Failure};
use crate::extract;
use crate::lake::{Lake, LakeError};
use crate::lease::{Holder, Leases, Part};
use crate::publish::{self, RunInfo};
use crate::report;
use crate::status;
use crate::transform;

mod args;

pub use args::{Cli, Command, GlobalArgs, LogFormat};

/// How long the leases' release may take after a storage failure.
const RELEASE_AFTER_STORAGE_FAILURE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let started_at = chrono::Utc::now();
    crate::failpoint::at_start();
    let settings = Config::load(&cli.global.config)?.resolve(cli.overrides())?;
    if let Command::Validate { online, .. } = cli.command {
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
    // After a storage failure the store may be gone: the leases get a few seconds, not
    // another round of its retries, and one line says what was left to expire.
    let limit = match &outcome {
        Err(failure) if failure.code == ExitCode::Storage => Some(RELEASE_AFTER_STORAGE_FAILURE),
        _ => None,
    };
    leases.release_within(limit).await;
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
        Command::Run { refetch, .. } => {
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
                "run complete: published gold/ and site/ (org_repos_agg.csv, index.html, orgs/)"
            );
        }
        Command::Extract { refetch, shard, .. } => {
            leases.acquire(lake, &org_parts(settings, shard)).await?;
            extract_stage(settings, lake, refetch, shard).await?
        }
        Command::Transform {
            all_snapshots: false,
            ..
        } => {
            leases.acquire(lake, &[Part::Snapshot(date)]).await?;
            let bronze = crate::lake::leases::bronze_snapshot(date);
            leases.require_none_held_under(lake, &bronze).await?;
            transform_stage(settings, lake).await?
        }
        Command::Transform {
            all_snapshots: true,
            ..
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
                report::run(lake, &target, summary.snapshot_date, web, None)
                    .instrument(span)
                    .await?;
            }
            info!(snapshots = built.len(), "rebuilt every complete snapshot");
        }
        Command::Publish { all_snapshots, .. } => {
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
        Command::Report { .. } => {
            leases.acquire(lake, &[Part::Snapshot(date)]).await?;
            report_stage(settings, lake, None).await?
        }
        Command::Status { json, .. } => {
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
    let transformed = transform::run(settings, lake).instrument(span).await?;
    report_stage(settings, lake, Some(transformed.gold)).await
}

/// The page of the run's snapshot, from the gold tables `handed` over by the transform that
/// just staged them, or else read from staging.
async fn report_stage(
    settings: &RunSettings,
    lake: &Lake,
    handed: Option<report::StagedGold>,
) -> Result<(), Failure> {
    let span = info_span!("stage", stage = "report", snapshot_date = %settings.snapshot_date);
    let target = publish_target(settings, lake)?;
    report::run(
        lake,
        &target,
        settings.snapshot_date,
        &settings.config.github.web,
        handed,
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
/// With `online`, GitHub accepts the token and each org's forge knows it.
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
