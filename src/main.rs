//! `ohs`: parses the command line, sets up logging, runs, and turns the outcome into an
//! exit code and one line on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use indicatif::ProgressStyle;
use open_health_stats::cli::{self, Cli, LogFormat};
use tracing_indicatif::IndicatifLayer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.global.log_format;
    init_tracing(format, cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                format,
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
            )
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, &e),
    }
}

/// Prints the error as one line (and one JSON event with `--log-format json`).
fn fail(format: LogFormat, error: &anyhow::Error) -> ExitCode {
    let code = cli::exit_code(error);
    let message = error.to_string().replace('\n', " ");
    if format == LogFormat::Json {
        tracing::error!(exit_code = code, error = %message, "run failed");
    }
    eprintln!("ohs: {message}");
    ExitCode::from(code)
}

fn init_tracing(format: LogFormat, verbose: u8, quiet: u8) {
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (0, 1) => "warn",
        (0, _) => "error",
        (1, _) => "debug",
        _ => "trace",
    };
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // HTTP internals stay quiet at every level: their debug output can carry request headers.
    for quiet_target in [
        "hyper=warn",
        "hyper_util=warn",
        "reqwest=warn",
        "h2=warn",
        "rustls=warn",
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
