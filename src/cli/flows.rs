//! `switchyard flows check [DIR]` and `switchyard flows simulate FLOW --caller ... --digits ...`.
//!
//! Thin: checking and simulating are `ivr_host`'s and `ivr`'s; this reads the arguments,
//! opens the store when one is needed and prints. Exit status 1 on any problem.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::domain::{FlowName, PhoneNumber, Timestamp};
use crate::ivr::loader::LoadError;
use crate::ivr::simulate::parse_inputs;
use crate::ivr_host::{self, SimulationRequest};

/// `flows ...`
#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Check every flow of a directory and report every problem with file:line:column and node.
    ///
    /// Queue names are checked against the store of --data-dir when given (or when the
    /// configuration names a store), else against the queues the configuration and the demo
    /// data seed. Exit status 1 on any problem.
    Check {
        /// The flows directory (default: paths.flows_dir, ./ivr_flows).
        dir: Option<PathBuf>,
    },
    /// Run a flow without telephony against the customer database and print the path taken,
    /// the prompts played and the final action.
    ///
    /// Example: switchyard flows simulate brokerage --caller +8613800138000 --digits 2,1
    Simulate(SimulateArgs),
}

/// Options of `flows simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The flow: its file stem (`brokerage` for ivr_flows/brokerage.toml).
    pub flow: String,
    /// The calling number (E.164, or as the site dials it); omit for a withheld number.
    #[arg(long)]
    pub caller: Option<String>,
    /// Keys pressed whenever the flow waits for input: `1,#,2`, `123456#`; `-` stays silent once.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub digits: String,
    /// The number dialled (default: the flow's first number).
    #[arg(long)]
    pub dialled: Option<String>,
    /// When the call arrives, RFC 3339 (default: now), read in the site's time zone.
    #[arg(long)]
    pub at: Option<String>,
    /// The flows directory (default: paths.flows_dir).
    #[arg(long, value_name = "DIR")]
    pub flows_dir: Option<PathBuf>,
}

/// Runs a `flows` command.
pub(super) async fn run(
    config: &Config,
    data_dir_given: bool,
    cmd: FlowsCommand,
) -> anyhow::Result<()> {
    match cmd {
        FlowsCommand::Check { dir } => {
            let dir = dir.unwrap_or_else(|| config.paths.flows_dir.clone());
            check(config, data_dir_given, &dir).await
        }
        FlowsCommand::Simulate(args) => simulate(config, args).await,
    }
}

async fn check(config: &Config, use_store: bool, dir: &Path) -> anyhow::Result<()> {
    let around = if use_store || config.store_url.is_some() {
        let (db, log, writer) = crate::app::open_store(config).await?;
        let around = ivr_host::surroundings(config, Some(&db)).await;
        drop(log);
        writer.await.context("the log writer stopped")?;
        db.close().await;
        around?
    } else {
        ivr_host::surroundings(config, None).await?
    };
    match ivr_host::load_dir(dir, around).await {
        Ok(set) => {
            let names: Vec<String> = set.names().map(ToString::to_string).collect();
            println!(
                "{}: {} flow(s) valid: {}",
                dir.display(),
                names.len(),
                names.join(", ")
            );
            Ok(())
        }
        Err(ivr_host::HostError::Load(LoadError::Invalid { errors, .. })) => {
            for e in &errors {
                println!("{e}");
            }
            bail!(
                "{} problem(s) in the flows of {}",
                errors.len(),
                dir.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn simulate(config: &Config, args: SimulateArgs) -> anyhow::Result<()> {
    let name = FlowName::parse(&args.flow).context("FLOW")?;
    let caller = args
        .caller
        .as_deref()
        .map(|c| PhoneNumber::parse(c, &config.site.dial_plan))
        .transpose()
        .context("--caller")?;
    let inputs = parse_inputs(&args.digits).context("--digits")?;
    let at = args
        .at
        .as_deref()
        .map(|t| {
            t.parse::<jiff::Timestamp>()
                .map(|ts| Timestamp::from_millis(ts.as_millisecond()))
        })
        .transpose()
        .context("--at must be an RFC 3339 time such as 2026-11-23T21:00:00+08:00")?;
    let (db, log, writer) = crate::app::open_store(config).await?;
    crate::app::seed_if_empty(config, &db, &log, Timestamp::now()).await?;
    drop(log);
    writer.await.context("the log writer stopped")?;
    let dir = args
        .flows_dir
        .unwrap_or_else(|| config.paths.flows_dir.clone());
    let around = ivr_host::surroundings(config, Some(&db)).await?;
    let set = ivr_host::load_dir(&dir, around).await?;
    let flow = set.get(&name).with_context(|| {
        let known: Vec<String> = set.names().map(ToString::to_string).collect();
        format!(
            "no flow {name} in {} (flows: {})",
            dir.display(),
            known.join(", ")
        )
    })?;
    let request = SimulationRequest {
        caller,
        dialled: args.dialled,
        at,
        inputs,
    };
    let sim = ivr_host::simulate(flow, request, config, &db).await?;
    db.close().await;
    println!("{sim}");
    Ok(())
}
