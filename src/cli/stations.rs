//! `switchyard stations ...`: add a station (a SIP device account) for an agent, list them,
//! set a station's SIP password. Works on the store directly; a running server picks changes
//! up within its directory refresh interval. Passwords come from standard input only.

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;
use crate::domain::{AgentLogin, StationName, Timestamp};
use crate::interaction_log::Actor;
use crate::stations::{self, NewStation};

/// `stations ...`
#[derive(Debug, Subcommand)]
pub enum StationsCommand {
    /// Add a station; its SIP password is read from standard input.
    ///
    /// Example: echo 'long-sip-secret' | switchyard stations add li.wei --agent li.wei --password-stdin
    Add {
        /// The station name, which is also its SIP user name (ASCII letters, digits, '.', '_', '-').
        name: String,
        /// The agent who sits at this station by default.
        #[arg(long)]
        agent: Option<String>,
        /// Read the SIP password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List stations and their default agents.
    List,
    /// Set a station's SIP password, read from standard input.
    SetPassword {
        /// The station name.
        name: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Runs a `stations` command against the store of `config`.
pub(super) async fn run(config: &Config, cmd: StationsCommand) -> anyhow::Result<()> {
    let (db, log, writer) = crate::app::open_store(config).await?;
    let now = Timestamp::now();
    let realm = &config.sip.realm;
    match cmd {
        StationsCommand::Add {
            name,
            agent,
            password_stdin: _,
        } => {
            let new = NewStation {
                name: StationName::parse(&name)?,
                agent: agent.as_deref().map(AgentLogin::parse).transpose()?,
                password: super::read_password()?,
            };
            let s = stations::add_station(&db, &log, new, realm, Actor::Cli, now)
                .await
                .context("cannot add the station")?;
            println!(
                "added station {} (SIP user {}, realm {realm})",
                s.name, s.name
            );
        }
        StationsCommand::List => {
            let agents = db.agents().await?;
            println!("{:<24} {:<16} ALGORITHMS", "STATION", "AGENT");
            for s in db.stations().await? {
                let agent = s
                    .agent
                    .and_then(|id| agents.iter().find(|a| a.id == id))
                    .map(|a| a.login.to_string())
                    .unwrap_or_else(|| "-".into());
                let algorithms: Vec<String> = s
                    .credentials
                    .iter()
                    .map(|c| format!("{}@{}", c.algorithm, c.realm))
                    .collect();
                println!(
                    "{:<24} {:<16} {}",
                    s.name.as_str(),
                    agent,
                    algorithms.join(",")
                );
            }
        }
        StationsCommand::SetPassword {
            name,
            password_stdin: _,
        } => {
            let name = StationName::parse(&name)?;
            let password = super::read_password()?;
            stations::set_password(&db, &log, &name, &password, realm, Actor::Cli, now)
                .await
                .context("cannot set the password")?;
            println!("SIP password of station {name} set");
        }
    }
    drop(log);
    writer.await?;
    db.close().await;
    Ok(())
}
