//! The command line's flags: those every subcommand takes (`--config`, `--lake`, logging),
//! and each subcommand's own, so that `ohs <subcommand> --help` lists exactly what applies
//! and a flag given to a subcommand that does not use it is refused by the parser. Every
//! flag also reads an `OHS_*` variable; a subcommand ignores the variables of flags it does
//! not take, as an orchestrator sets one environment for every step. (A flag that stands for
//! a `pipeline.toml` key, such as `--github-api`, shares that key's `OHS_<SECTION>_<KEY>`
//! variable, which sets the key for every subcommand, as each such variable does.)

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Overrides, Shard};

const EXIT_CODES: &str = "\
Exit codes:
  0  the snapshot is complete and published (or the stage asked for succeeded)
  1  anything else (a bug: please report it)
  2  usage or configuration error (a bad token, an unknown org, a missing org): fix, then rerun
  3  source error: the GitHub or GitLab API, or the network; retrying later may help
  4  data error: an invalid page or schema; nothing was published
  5  storage error: the lake could not be read or written
  6  another run holds a lease on what this run would write: nothing was written; retry later";

/// Measures the use of open-source code in NHS and healthcare organisations on GitHub and GitLab.
#[derive(Parser)]
#[command(name = "ohs", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line, parsed (printing help or a usage error and exiting when asked).
    pub fn parse_args() -> Self {
        Self::parse()
    }

    /// What the command line varies from the configuration.
    pub fn overrides(&self) -> Overrides {
        let mut overrides = Overrides {
            lake: self.global.lake.clone(),
            ..Overrides::default()
        };
        self.command.apply(&mut overrides);
        overrides
    }
}

/// Settings every subcommand takes. No `Debug`: `--lake` may carry a secret.
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

/// A group of flags some subcommands take, as overrides of the configuration.
trait Apply {
    fn apply(&self, overrides: &mut Overrides);
}

/// Defines a group of one flag (`--<field>`, read from `$env` too) and how it overrides the
/// configuration's field of the same name. No `Debug`: a root may carry a secret.
macro_rules! flag {
    ($group:ident, $field:ident: $ty:ty, $env:literal, $value:literal, $doc:literal) => {
        #[derive(Args)]
        pub struct $group {
            #[doc = $doc]
            #[arg(long, env = $env, value_name = $value)]
            $field: Option<$ty>,
        }

        impl Apply for $group {
            fn apply(&self, o: &mut Overrides) {
                o.$field.clone_from(&self.$field);
            }
        }
    };
}

flag!(DateFlag, snapshot_date: String, "OHS_SNAPSHOT_DATE", "YYYY-MM-DD",
    "The snapshot's date, YYYY-MM-DD, not in the future [default: today in UTC].");
flag!(OrgsFlag, orgs: String, "OHS_ORGS", "LOGINS",
    "Comma-separated logins that replace the configured organisations for this run.");
flag!(GithubApiFlag, github_api: String, "OHS_GITHUB_API", "URL",
    "The GitHub REST API base URL [default: github.api].");
flag!(GitlabApiFlag, gitlab_api: String, "OHS_GITLAB_API", "URL",
    "The default GitLab instance's REST API base URL [default: gitlab.api].");
flag!(OfflineFlag, offline: PathBuf, "OHS_OFFLINE", "DIR",
    "Read recorded pages DIR/<login>/page-N.json instead of calling the API.");
flag!(TargetFlag, publish_target: String, "OHS_PUBLISH_TARGET", "PATH_OR_URL",
    "Publish to this root instead of the lake (a path or object-store URL) [default: publish.target].");

/// Where a run's organisations come from: the API (or a recording) and which orgs.
#[derive(Args)]
pub struct SourceFlags {
    #[command(flatten)]
    orgs: OrgsFlag,
    #[command(flatten)]
    github_api: GithubApiFlag,
    #[command(flatten)]
    gitlab_api: GitlabApiFlag,
    #[command(flatten)]
    offline: OfflineFlag,
    /// Ask every kept repository's per-repository answers again, even those the listing shows
    /// unchanged since they were last asked [default: extract.refresh_details].
    #[arg(long)]
    refresh_details: bool,
}

impl Apply for SourceFlags {
    fn apply(&self, o: &mut Overrides) {
        self.orgs.apply(o);
        self.github_api.apply(o);
        self.gitlab_api.apply(o);
        self.offline.apply(o);
        o.refresh_details |= self.refresh_details;
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every stage: extract, transform, report, then publish (page and data together).
    #[command(
        after_help = "Example:\n  GITHUB_TOKEN=... ohs run --orgs nhsx,nhsuk --lake s3://bucket/ohs --snapshot-date 2024-11-03"
    )]
    Run {
        /// Fetch every org again, even those already complete for this snapshot.
        #[arg(long)]
        refetch: bool,
        #[command(flatten)]
        date: DateFlag,
        #[command(flatten)]
        source: SourceFlags,
        #[command(flatten)]
        target: TargetFlag,
    },
    /// Fetch the run's organisations (or a shard of them) from their forges' APIs into bronze,
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
        #[command(flatten)]
        date: DateFlag,
        #[command(flatten)]
        source: SourceFlags,
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
        #[command(flatten)]
        date: DateFlag,
        #[command(flatten)]
        orgs: OrgsFlag,
        #[command(flatten)]
        gitlab_api: GitlabApiFlag,
        #[command(flatten)]
        target: TargetFlag,
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
        #[command(flatten)]
        date: DateFlag,
        #[command(flatten)]
        target: TargetFlag,
    },
    /// Render the snapshot's HTML page again from its staged gold tables (transform does).
    #[command(
        after_help = "Example:\n  ohs report --snapshot-date 2024-11-03 && ohs publish --snapshot-date 2024-11-03"
    )]
    Report {
        #[command(flatten)]
        date: DateFlag,
        #[command(flatten)]
        target: TargetFlag,
    },
    /// List the snapshots in the lake, complete or not, what a rerun would do, and each gold
    /// table's Delta version (writes nothing).
    #[command(
        after_help = "Example:\n  ohs status --json --lake s3://bucket/ohs | jq '.snapshots[-1].rerun'"
    )]
    Status {
        /// One JSON object on stdout (the snapshots and what the site shows), for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: TargetFlag,
    },
    /// Check the configuration, the lake and the publish target without writing anything.
    #[command(
        after_help = "Example:\n  GITHUB_TOKEN=... GITLAB_TOKEN=... ohs validate --online --config pipeline.toml"
    )]
    Validate {
        /// Also ask the forges: GitHub's token works (`GET /rate_limit`, which costs nothing) and
        /// every organisation of the run exists on its forge (`GET /orgs/{org}`,
        /// `GET /groups/:id`; one request each).
        #[arg(long)]
        online: bool,
        #[command(flatten)]
        orgs: OrgsFlag,
        #[command(flatten)]
        github_api: GithubApiFlag,
        #[command(flatten)]
        gitlab_api: GitlabApiFlag,
        #[command(flatten)]
        target: TargetFlag,
    },
}

impl Command {
    /// Each flag group this subcommand takes, applied in turn.
    fn apply(&self, o: &mut Overrides) {
        let groups: Vec<&dyn Apply> = match self {
            Self::Run {
                date,
                source,
                target,
                ..
            } => vec![date, source, target],
            Self::Extract { date, source, .. } => vec![date, source],
            Self::Transform {
                date,
                orgs,
                gitlab_api,
                target,
                ..
            } => vec![date, orgs, gitlab_api, target],
            Self::Publish { date, target, .. } | Self::Report { date, target } => {
                vec![date, target]
            }
            Self::Status { target, .. } => vec![target],
            Self::Validate {
                orgs,
                github_api,
                gitlab_api,
                target,
                ..
            } => vec![orgs, github_api, gitlab_api, target],
        };
        for group in groups {
            group.apply(o);
        }
    }
}
