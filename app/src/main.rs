//! The `gridloop` binary: a thin shell over gridloop-core, gridloop-sync and gridloop-ui —
//! the command line, the headless sync node, the demo district and the workstation window.
//!
//! This file parses the command line and dispatches it; nothing imports it. The modules, each
//! importing only those listed before it:
//!
//! | module | concept | may import |
//! |---|---|---|
//! | `cli` | the command line (命令行): clap types | — |
//! | `output` | terminal output: tables, the case detail, times, progress bars | — |
//! | `common` | data directory, opening the engine or replica, times, the operator | `output` |
//! | `demo` | the live demo district (演示区): its nodes and driver | `common` |
//! | `commands` | one module per family of subcommands | `cli`, `output`, `common`, `demo` |
//! | `window` | the workstation window (工作台) and its `Network` | `common`, `demo`, `commands` |

#[macro_use]
mod output;
mod cli;
mod commands;
mod common;
mod demo;
mod window;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command, DistrictCmd, DrillCmd};
use commands::{
    act, bulk, case, district, drill, emergency, node, repair, report, sync_node, walkthrough,
};
use common::{control, data_dir, now, parse_time};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GRIDLOOP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(code) = forwarded(&cli) {
        return std::process::ExitCode::from(code);
    }
    std::process::ExitCode::from(execute(cli))
}

/// Runs one command line here; its exit code (2 after an error, said once).
fn execute(cli: Cli) -> u8 {
    let zh = cli.lang == "zh";
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            say_err!("error: {}", error_text(&e, zh));
            2
        }
    }
}

/// A store command while a node runs on its data directory: handed to the node over its
/// control socket, and what the node printed printed here. `None` when no node listens.
fn forwarded(cli: &Cli) -> Option<u8> {
    if !cli.command.as_ref().is_some_and(Command::uses_store) {
        return None;
    }
    let dir = data_dir(cli.data.as_deref()).ok()?;
    let req = control::Request {
        args: std::env::args().skip(1).collect(),
        cwd: std::env::current_dir().unwrap_or_default(),
    };
    match control::forward(&dir, &req) {
        Ok(None) => None,
        Ok(Some(reply)) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
            let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
            Some(reply.code)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Some(2)
        }
    }
}

/// What a running node does with a command the CLI hands it: parse it as this program would,
/// refuse what is not a store command, run it on the node's data directory with its output
/// captured.
fn control_handler(dir: std::path::PathBuf) -> control::Handler {
    std::sync::Arc::new(move |req: control::Request| {
        let args = std::iter::once("gridloop".to_string()).chain(req.args);
        let mut cli = match Cli::try_parse_from(args) {
            Ok(cli) => cli,
            Err(e) => {
                return control::Reply {
                    stderr: e.to_string(),
                    code: 2,
                    ..Default::default()
                };
            }
        };
        match cli.command.as_mut() {
            Some(c) if c.uses_store() => c.rebase(&req.cwd),
            _ => {
                return control::Reply {
                    stderr: "error: only commands on the store are run by the node\n".into(),
                    code: 2,
                    ..Default::default()
                };
            }
        }
        cli.data = Some(dir.clone());
        let (code, stdout, stderr) = output::captured(|| execute(cli));
        control::Reply {
            stdout,
            stderr,
            code,
        }
    })
}

/// The error chain as one line, a refusal (拒绝原因) in Chinese when asked for. A link
/// whose text the link before it already ends with (an error that prints its source) is
/// said once, not twice.
fn error_text(e: &anyhow::Error, zh: bool) -> String {
    let links = e
        .chain()
        .map(|link| {
            if !zh {
                return link.to_string();
            }
            let refusal = link
                .downcast_ref::<gridloop_core::workflow::Refusal>()
                .or_else(
                    || match link.downcast_ref::<gridloop_core::engine::EngineError>() {
                        Some(gridloop_core::engine::EngineError::Refused(r)) => Some(r),
                        _ => None,
                    },
                );
            match refusal {
                Some(r) => format!("{}（规则 `{}`）", r.message_zh(), r.rule_id()),
                None => link.to_string(),
            }
        })
        .collect::<Vec<_>>();
    said_once(&links)
}

/// Joins an error chain's texts with ": ", leaving out each text the one before it already
/// ends with.
fn said_once(links: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for l in links {
        if out.last().is_some_and(|prev| prev.ends_with(l.as_str())) {
            continue;
        }
        out.push(l);
    }
    out.join(": ")
}

/// Runs one command line.
fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(cli.data.as_deref())?;
    let at = now(cli.now.as_deref())?;
    let Some(command) = cli.command else {
        let listen = "0.0.0.0:7447".parse().expect("valid address");
        return window::open_node(&dir, listen);
    };
    match command {
        Command::Init {
            unit,
            role,
            node,
            config,
        } => node::init(&dir, &unit, &role, node.as_deref(), config.as_deref()),
        Command::New(args) => case::new_case(&dir, args, at),
        Command::Report(args) => report::run(&dir, args, at),
        Command::Emergency { plans, cmd } => emergency::run(&dir, plans.as_deref(), cmd, at),
        Command::Drill { cmd } => match cmd {
            DrillCmd::Check { scenario } => drill::drill_check(&scenario),
            DrillCmd::Run {
                scenario,
                speed,
                keep,
                json,
            } => drill::run(&scenario, speed, keep.as_deref(), json),
            DrillCmd::Purge {
                before,
                note,
                as_,
                dry_run,
            } => drill::purge(&dir, before.as_deref(), &note, as_.as_deref(), dry_run, at),
            DrillCmd::Report { scenario, json } => {
                drill::drill_report(&dir, scenario.as_deref(), json)
            }
        },
        Command::List(args) => case::list(&dir, args, at),
        Command::Show { case, json } => case::show(&dir, &case, json, at),
        Command::Act { case, as_, mv } => act::act(&dir, &case, as_.as_deref(), mv, at),
        Command::RaiseOrders => act::raise_orders(&dir, at),
        Command::Import { file } => bulk::import(&dir, &file),
        Command::ImportOrders { file, as_ } => bulk::import_orders(&dir, &file, as_.as_deref()),
        Command::Export { file } => bulk::export(&dir, &file),
        Command::Generate {
            cases,
            days,
            seed,
            workers,
        } => bulk::generate(&dir, cases, days, seed, workers, at),
        Command::Walkthrough { keep } => walkthrough::run(keep.as_deref()),
        Command::Status => node::status(&dir, at),
        Command::District { cmd } => match cmd {
            DistrictCmd::Check { config } => district::district_check(&config),
            DistrictCmd::Create { dir, config, relay } => {
                district::district_create(&dir, &config, relay)
            }
            DistrictCmd::Config {
                dir,
                config,
                effective,
            } => district::district_config(
                &dir,
                &config,
                effective.as_deref().map(parse_time).transpose()?,
            ),
            DistrictCmd::Enrol {
                dir,
                node,
                key,
                unit,
                role,
                addr,
                link,
                import,
            } => district::district_enrol(
                &dir,
                district::Enrolment {
                    node,
                    key,
                    unit,
                    roles: role,
                    addrs: addr,
                    links: link,
                    import,
                },
            ),
            DistrictCmd::Revoke { dir, node, from } => {
                district::district_revoke(&dir, &node, from.as_deref().map(parse_time).transpose()?)
            }
        },
        Command::Identity => node::identity(&dir),
        Command::Repair { resync } => repair::repair(&dir, resync),
        Command::Join {
            roster,
            role,
            config,
        } => node::join(&dir, &roster, role.as_deref(), config.as_deref()),
        Command::Node {
            listen,
            mdns,
            quiet,
        } => sync_node::run_node(&dir, listen, mdns, quiet, control_handler(dir.clone())),
        Command::Peers => sync_node::peers(&dir),
        Command::Demo {
            headless,
            history,
            seconds,
            keep,
        } => {
            if headless {
                commands::demo::run_headless(keep.as_deref(), history, seconds)
            } else {
                window::open_demo(keep, history)
            }
        }
    }
}
