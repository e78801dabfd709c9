//! The composition root: opens the store, starts the log writer, makes sure the admin account
//! (and, on an empty store, the seed or demo data) exists, serves HTTP, and shuts down in
//! order (stop accepting, finish requests, drain the log writer).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::demo::{self, DemoLogin};
use crate::domain::Timestamp;
use crate::http::{self, ApiState};
use crate::interaction_log::{Actor, InteractionLogHandle};
use crate::store::Db;

/// What start-up has to tell the operator once.
#[derive(Debug, Clone, Default)]
pub struct StartupNotes {
    /// The admin password, when it was generated now.
    pub admin_password: Option<String>,
    /// Demo sign-ins, when the demo brokerage was seeded now.
    pub demo_logins: Vec<DemoLogin>,
}

/// A running platform.
#[derive(Debug)]
pub struct Running {
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
    /// `http`, or `https` when a certificate is configured.
    pub scheme: &'static str,
    /// What to print once.
    pub notes: StartupNotes,
    /// The store (for tests and tools).
    pub db: Db,
    shutdown: CancellationToken,
    server: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops serving and waits until the log writer has committed everything it was given.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.server.await.context("the server task panicked")?
    }
}

/// Opens the store and starts the log writer for `config`.
pub async fn open_store(
    config: &Config,
) -> anyhow::Result<(Db, InteractionLogHandle, JoinHandle<()>)> {
    std::fs::create_dir_all(&config.paths.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.paths.data_dir.display()
        )
    })?;
    let url = config.store_url();
    let db = Db::open(&url)
        .await
        .with_context(|| format!("cannot open the store at {url}"))?;
    let (log, writer) = InteractionLogHandle::spawn(db.clone());
    Ok((db, log, writer))
}

/// Starts the platform and returns once it is listening.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&config.paths.recordings_dir).with_context(|| {
        format!(
            "cannot create the recordings directory {}",
            config.paths.recordings_dir.display()
        )
    })?;
    let metrics = crate::telemetry::init_metrics();
    let (db, log, writer) = open_store(&config).await?;
    let now = Timestamp::now();
    let admin_env = std::env::var("SWITCHYARD_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let admin_password =
        crate::accounts::ensure_admin(&db, &log, admin_env.as_deref(), now).await?;
    let mut notes = StartupNotes {
        admin_password,
        demo_logins: Vec::new(),
    };
    if db.count_queues().await? == 0 {
        for q in &config.seed_queues {
            let team = match &q.team {
                Some(t) => {
                    Some(crate::accounts::ensure_team(&db, &log, t, Actor::System, now).await?)
                }
                None => None,
            };
            demo::put_queue(
                &log,
                q.name.clone(),
                &q.display_name,
                q.channel,
                team,
                q.skills.clone(),
                now,
            )
            .await?;
        }
        if config.demo && config.seed_queues.is_empty() {
            notes.demo_logins = demo::seed(&db, &log, &config.site.dial_plan, now).await?;
        }
    }
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    let tls_files = config.http.tls.clone();
    let scheme = if tls_files.is_some() { "https" } else { "http" };
    let acd = crate::acd_bridge::start(&db, log.clone(), Timestamp::now())
        .await
        .context("cannot start the ACD")?;
    let acd_logger = acd.logger;
    let state = ApiState::new(db.clone(), log, Arc::new(config), metrics).with_acd(acd.handle);
    let tls = match &tls_files {
        Some(files) => Some(crate::tls::server_config(files)?),
        None => None,
    };
    let app = http::router(state).into_make_service_with_connect_info::<http::PeerAddr>();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let server = tokio::spawn(async move {
        match tls {
            Some(tls) => {
                let listener = crate::tls::TlsListener::new(listener, tls)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await?;
            }
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await?
            }
        }
        // The router (and its ACD handle) is gone now: the ACD's events are committed.
        acd_logger.await.context("the ACD event logger panicked")?;
        // The router (and its log handle) is gone now: the writer drains and stops.
        writer.await.context("the log writer panicked")?;
        Ok(())
    });
    Ok(Running {
        http_addr,
        scheme,
        notes,
        db,
        shutdown,
        server,
    })
}

/// Runs until `signal` completes, printing the start-up notes once.
pub async fn run(config: Config, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
    let running = start(config).await?;
    print_notes(&running);
    signal.await;
    tracing::info!("shutting down");
    running.stop().await
}

fn print_notes(running: &Running) {
    println!("Switchyard {} is running.", env!("CARGO_PKG_VERSION"));
    println!(
        "  HTTP API:  {}://{}/api/v1  (OpenAPI document at /api/v1/openapi.json)",
        running.scheme, running.http_addr
    );
    if let Some(p) = &running.notes.admin_password {
        println!("  admin password (shown once, stored hashed): {p}");
    }
    if !running.notes.demo_logins.is_empty() {
        println!("  demo brokerage seeded; sign-ins (shown once, stored hashed):");
        for l in &running.notes.demo_logins {
            println!("    {:<10} {:<11} {}", l.login, l.role, l.password);
        }
    }
    println!("Press Ctrl-C to stop.");
}
