//! The `gridloop` binary: a thin shell over gridloop-core, gridloop-sync and gridloop-ui —
//! the command line, the headless sync node, the demo district and the workstation window.

mod cli;
mod commands;
mod demo;
mod drill;
mod emergency;
mod net;
mod output;
mod reports;
mod walkthrough;
mod window;

use clap::Parser;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GRIDLOOP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
