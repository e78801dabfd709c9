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
use crate::sip::service::SipSettings;
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
    /// Where SIP listens over UDP.
    pub sip_udp: SocketAddr,
    /// Where SIP listens over TCP.
    pub sip_tcp: SocketAddr,
    /// Where SIP listens over TLS, when configured.
    pub sip_tls: Option<SocketAddr>,
    /// What to print once.
    pub notes: StartupNotes,
    /// The store (for tests and tools).
    pub db: Db,
    /// The IVR flows in force (reloaded on `SIGHUP` and through the API).
    pub flows: crate::ivr::loader::FlowLibrary,
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

/// Seeds an empty store (no queues) with the configuration's queues, or the demo brokerage
/// when the demo is enabled and the configuration seeds none. Returns the demo sign-ins.
pub async fn seed_if_empty(
    config: &Config,
    db: &Db,
    log: &InteractionLogHandle,
    now: Timestamp,
) -> anyhow::Result<Vec<DemoLogin>> {
    if db.count_queues().await? != 0 {
        return Ok(Vec::new());
    }
    for q in &config.seed_queues {
        let team = match &q.team {
            Some(t) => Some(crate::accounts::ensure_team(db, log, t, Actor::System, now).await?),
            None => None,
        };
        demo::put_queue(
            log,
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
        return Ok(demo::seed(db, log, &config.site.dial_plan, &config.sip.realm, now).await?);
    }
    Ok(Vec::new())
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
    let notes = StartupNotes {
        admin_password,
        demo_logins: seed_if_empty(&config, &db, &log, now).await?,
    };
    let flows = crate::ivr_host::start(&config, &db)
        .await
        .context("the IVR flows are invalid; the server does not start")?;
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
    let config = Arc::new(config);
    let tls = match &tls_files {
        Some(files) => Some(crate::tls::server_config(files)?),
        None => None,
    };
    // SIP starts last among the fallible steps, so a failed start leaves nothing running.
    let shutdown = CancellationToken::new();
    let mut sip_settings = SipSettings::new(config.sip.listen, &config.sip.realm);
    sip_settings.registrar.algorithms = config
        .sip
        .digest_algorithms
        .iter()
        .filter_map(|a| crate::sip::digest::Algorithm::parse(a))
        .collect();
    if let Some(files) = &config.sip.tls {
        sip_settings.tls = Some((config.sip.tls_listen, crate::tls::server_config(files)?));
    }
    let sip =
        crate::sip::service::start(sip_settings, db.clone(), log.clone(), shutdown.clone()).await?;
    let (sip_udp, sip_tcp, sip_tls) = (sip.udp_addr, sip.tcp_addr, sip.tls_addr);
    let state = ApiState::new(db.clone(), log, config.clone(), metrics)
        .with_flows(flows.clone())
        .with_acd(acd.handle);
    let app = http::router(state).into_make_service_with_connect_info::<http::PeerAddr>();
    let stop = shutdown.clone();
    let sighup =
        crate::ivr_host::reload_on_sighup(flows.clone(), config, db.clone(), shutdown.clone());
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
        sighup.await.context("the flow reload task panicked")?;
        // The router (and its ACD handle) is gone now: the ACD's events are committed.
        acd_logger.await.context("the ACD event logger panicked")?;
        // The router and the SIP service (and their log handles) are gone now: the writer
        // drains and stops.
        sip.stopped().await;
        writer.await.context("the log writer panicked")?;
        Ok(())
    });
    Ok(Running {
        http_addr,
        scheme,
        sip_udp,
        sip_tcp,
        sip_tls,
        notes,
        db,
        flows,
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
    println!(
        "  SIP:       udp/tcp {}{}",
        running.sip_udp,
        running
            .sip_tls
            .map(|a| format!(", tls {a}"))
            .unwrap_or_default()
    );
    if let Some(p) = &running.notes.admin_password {
        println!("  admin password (shown once, stored hashed): {p}");
    }
    if !running.notes.demo_logins.is_empty() {
        println!("  demo brokerage seeded; sign-ins (shown once, stored hashed):");
        println!(
            "    {:<10} {:<11} {:<18} SIP PASSWORD (station = login)",
            "LOGIN", "ROLE", "PASSWORD"
        );
        for l in &running.notes.demo_logins {
            println!(
                "    {:<10} {:<11} {:<18} {}",
                l.login, l.role, l.password, l.station_password
            );
        }
    }
    println!("Press Ctrl-C to stop.");
}
