//! `ohs`: parses the command line, sets up logging, runs, and turns the outcome into an
//! exit code and one line on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use indicatif::ProgressStyle;
use open_health_stats::cli::{self, Cli, LogFormat};
use open_health_stats::exit::Failure;
use tracing_indicatif::IndicatifLayer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

fn main() -> ExitCode {
    open_health_stats::memory::tune_malloc();
    let cli = Cli::parse_args();
    let format = cli.global.log_format;
    init_tracing(format, cli.global.verbose, cli.global.quiet);
    if format == LogFormat::Json {
        open_health_stats::exit::report_failures_as_json();
    }
    report_panics_in_one_line(format);
    let outcome = std::panic::catch_unwind(|| {
        let runtime = tokio::runtime::Runtime::new()
            .map_err(|e| Failure::bug(anyhow::anyhow!("cannot start the async runtime: {e}")))?;
        runtime.block_on(cli::run(cli))
    });
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(&e),
        // The hook has already printed the one-line report.
        Err(_) => ExitCode::from(1),
    }
}

/// A bug becomes one line on stderr (and exit 1), never a backtrace: in JSON log mode, one
/// JSON event.
fn report_panics_in_one_line(format: LogFormat) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        let line = format!(
            "internal error (a bug, please report it): {}{place}; the log above shows what ran before it",
            message.replace('\n', " ")
        );
        match format {
            LogFormat::Json => tracing::error!(exit_code = 1, error = %line, "run failed"),
            LogFormat::Text => {
                tracing::error!(panic = %message, "internal error");
                eprintln!("ohs: {line}");
            }
        }
    }));
}

/// Prints the error as one line: `ohs: <what failed>`, or with `--log-format json` one JSON
/// event, so every line on stderr is JSON.
fn fail(failure: &Failure) -> ExitCode {
    open_health_stats::exit::report(failure.code, &failure.error.to_string());
    ExitCode::from(failure.code as u8)
}

fn init_tracing(format: LogFormat, verbose: u8, quiet: u8) {
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (0, 1) => "warn",
        (0, _) => "error",
        (1, _) => "debug",
        _ => "trace",
    };
    // -v and -q say what this run wants: they beat RUST_LOG, which is read only without them.
    let asked = verbose > 0 || quiet > 0;
    let from_env = (!asked)
        .then(|| EnvFilter::try_from_default_env().ok())
        .flatten();
    let mut filter = from_env.unwrap_or_else(|| EnvFilter::new(level));
    // HTTP internals stay quiet at every level: their debug output can carry request headers.
    // delta-rs reports what it hands back as an error too (a table with no log yet is one):
    // ohs says what went wrong once, naming the table. polars' SQL parser traces every token
    // it reads at debug (2,400 lines a transform), which buried ohs's own and slowed -v runs.
    for quiet_target in [
        "hyper=warn",
        "hyper_util=warn",
        "reqwest=warn",
        "h2=warn",
        "rustls=warn",
        "deltalake_core=off",
        "delta_kernel=off",
        "buoyant_kernel=off",
        "sqlparser=warn",
    ] {
        if let Ok(directive) = quiet_target.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .init(),
        LogFormat::Text => {
            // One progress line per span (stage, org) on a terminal; plain lines otherwise.
            let progress = IndicatifLayer::new().with_progress_style(
                ProgressStyle::with_template(
                    "{span_child_prefix}{spinner} {span_name}{{{span_fields}}} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let lines = fmt::layer()
                .with_target(false)
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(progress.get_stderr_writer());
            registry.with(lines).with(progress).init()
        }
    }
}
