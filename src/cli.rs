//! The command line. With no command it serves; the other commands work directly on the store
//! of the data directory (creating and migrating it) or on the flows directory, with no server
//! running.

mod flows;
mod import;
mod prompts;
mod stations;

pub use flows::{FlowsCommand, SimulateArgs};
pub use stations::StationsCommand;

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::accounts::{self, NewAgent};
use crate::config::Config;
use crate::domain::role::parse_roles;
use crate::domain::skill::parse_skill_list;
use crate::domain::{AgentLogin, TeamName, Timestamp};
use crate::interaction_log::Actor;
use crate::store::agents::Capacity;

/// Switchyard: a self-hosted contact center (SIP front end, IVR, ACD, CTI, interaction log).
///
/// Run with no command to start the platform on embedded defaults: a SQLite store under
/// ./data, the HTTP API on 127.0.0.1:8080, demo agents and customers on first start.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./switchyard.toml when it exists).
    #[arg(long, global = true, value_name = "PATH", env = "SWITCHYARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory holding the SQLite store (overrides paths.data_dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the platform (the default).
    Serve(ServeArgs),
    /// Create the store if needed and apply pending migrations, then exit.
    Migrate,
    /// Manage agent accounts.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Manage stations (SIP device accounts with their own SIP passwords).
    #[command(subcommand)]
    Stations(StationsCommand),
    /// Import data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check and simulate IVR flows.
    #[command(subcommand)]
    Flows(FlowsCommand),
    /// IVR prompt files.
    #[command(subcommand)]
    Prompts(PromptsCommand),
}

/// `prompts ...`
#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// Render the prompt files the flows need and lack, with espeak-ng and sox (8 kHz mono
    /// 16-bit WAVs under DIR/prompts/); existing files are never changed.
    Render {
        /// The flows directory (default: paths.flows_dir, ./ivr_flows).
        dir: Option<PathBuf>,
    },
}

/// Options of `serve`.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// HTTP listen address, e.g. 127.0.0.1:8080 (overrides http.listen).
    #[arg(long, value_name = "ADDR")]
    pub http_listen: Option<SocketAddr>,
    /// SIP listen address, e.g. 127.0.0.1:5060 (overrides sip.listen).
    #[arg(long, value_name = "ADDR")]
    pub sip_listen: Option<SocketAddr>,
}

/// `agents ...`
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Add an agent; the password is read from standard input.
    ///
    /// Example: echo 's3cret-pass' | switchyard agents add li.wei --name "Li Wei"
    ///          --skills equities:8,funds:5,mandarin:9 --roles agent --team equities-desk --password-stdin
    Add {
        /// Login name (letters, digits, '.', '_', '-').
        login: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Skills with proficiency 1-10, e.g. equities:8,funds:5,mandarin:9 (languages are skills).
        #[arg(long, default_value = "")]
        skills: String,
        /// Roles: agent, supervisor, admin (comma-separated).
        #[arg(long, default_value = "agent")]
        roles: String,
        /// Team name (created if new).
        #[arg(long)]
        team: Option<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List agents.
    List,
    /// Set an agent's password, read from standard input.
    SetPassword {
        /// Login name.
        login: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import customers from a CSV file with a header row.
    ///
    /// Columns: name, external_id, phones, emails, accounts (lists separated by ';'),
    /// account_manager (login), risk_profile, preferred_channel, assets, turnover, commission
    /// (yuan); any other column becomes a free attribute. A row whose external_id exists
    /// updates that customer. Bad rows are reported by line and field; good rows are kept.
    Customers {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Loads the configuration for the command line: the file, `SWITCHYARD_*`, then flags.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let path = cli.config.clone().or_else(|| {
        let default = PathBuf::from("switchyard.toml");
        default.exists().then_some(default)
    });
    let env: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SWITCHYARD_"))
        .collect();
    let mut config = Config::load(path.as_deref(), &env)?;
    if let Some(dir) = &cli.data_dir {
        config.paths.data_dir = dir.clone();
    }
    if let Some(Command::Serve(args)) = &cli.command {
        if let Some(a) = args.http_listen {
            config.http.listen = a;
        }
        if let Some(a) = args.sip_listen {
            config.sip.listen = a;
        }
    }
    Ok(config)
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = load_config(&cli)?;
    crate::telemetry::init_logging(&config.log);
    match cli.command {
        None | Some(Command::Serve(_)) => crate::app::run(config, shutdown_signal()).await,
        Some(Command::Migrate) => {
            let (db, _log, _writer) = crate::app::open_store(&config).await?;
            println!("store at {} is migrated", config.store_url());
            db.close().await;
            Ok(())
        }
        Some(Command::Agents(cmd)) => agents(&config, cmd).await,
        Some(Command::Stations(cmd)) => stations::run(&config, cmd).await,
        Some(Command::Import(ImportCommand::Customers { file })) => {
            import::customers(&config, &file).await
        }
        Some(Command::Flows(cmd)) => flows::run(&config, cli.data_dir.is_some(), cmd).await,
        Some(Command::Prompts(PromptsCommand::Render { dir })) => {
            prompts::render(&dir.unwrap_or_else(|| config.paths.flows_dir.clone())).await
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    let password = text.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn agents(config: &Config, cmd: AgentsCommand) -> anyhow::Result<()> {
    let (db, log, writer) = crate::app::open_store(config).await?;
    let now = Timestamp::now();
    match cmd {
        AgentsCommand::Add {
            login,
            name,
            skills,
            roles,
            team,
            password_stdin: _,
        } => {
            let new = NewAgent {
                login: AgentLogin::parse(&login)?,
                display_name: name,
                roles: parse_roles(&roles)?,
                team: team.as_deref().map(TeamName::parse).transpose()?,
                skills: parse_skill_list(&skills).context("--skills")?,
                capacity: Capacity::default(),
                password: read_password()?,
            };
            let a = accounts::add_agent(&db, &log, new, Actor::Cli, now).await?;
            println!(
                "added agent {} ({})",
                a.login,
                a.roles
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        AgentsCommand::List => {
            let teams = db.teams().await?;
            println!(
                "{:<16} {:<24} {:<22} {:<16} SKILLS",
                "LOGIN", "NAME", "ROLES", "TEAM"
            );
            for a in db.agents().await? {
                let team = a
                    .team
                    .and_then(|t| teams.iter().find(|x| x.id == t))
                    .map(|t| t.name.to_string())
                    .unwrap_or_default();
                let roles = a
                    .roles
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let skills = a
                    .skills
                    .iter()
                    .map(|(s, p)| format!("{s}:{}", p.get()))
                    .collect::<Vec<_>>()
                    .join(",");
                println!(
                    "{:<16} {:<24} {:<22} {:<16} {}",
                    a.login, a.display_name, roles, team, skills
                );
            }
        }
        AgentsCommand::SetPassword {
            login,
            password_stdin: _,
        } => {
            let login = AgentLogin::parse(&login)?;
            accounts::set_password(&db, &log, &login, &read_password()?, Actor::Cli, now).await?;
            println!("password of {login} set");
        }
    }
    drop(log);
    writer.await?;
    db.close().await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
