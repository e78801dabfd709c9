//! The SIP service: the tokio driver of the pure `Endpoint`. One task owns the endpoint and the
//! UDP socket; TCP/TLS connections (`sip::transport`) feed it framed messages through an inbox.
//! The loop has the one driver shape: wait on socket, inbox or the endpoint's next deadline,
//! feed one input, drain the outputs. It also loads the station directory (and refreshes it),
//! restores stored bindings at start-up (expired ones dropped) and persists changed bindings
//! through the interaction log writer, coalesced once a second.
//!
//! Must not decide anything SIP: every answer comes from the endpoint.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::domain::{StationName, Timestamp};
use crate::interaction_log::InteractionLogHandle;
use crate::sip::endpoint::{ConnectionId, DropReason, Endpoint, EndpointConfig, Flow, Output};
use crate::sip::registrar::{Binding, Registrar, RegistrarConfig, RegistrarEvent};
use crate::sip::transport::{Inbound, StreamSettings, accept_loop};
use crate::store::stations::BindingRecord;
use crate::store::{Db, Mutation, StoreError, WriteItem};

/// Why the SIP service could not start.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    /// A socket could not be bound.
    #[error("cannot listen for SIP over {transport} on {addr}: {source}")]
    Bind {
        /// `UDP`, `TCP` or `TLS`.
        transport: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The store could not be read at start-up.
    #[error("cannot load stations or bindings: {0}")]
    Store(#[from] StoreError),
    /// No randomness for the nonce secret.
    #[error("cannot draw random bytes: {0}")]
    Random(String),
}

/// How the service runs.
#[derive(Debug, Clone)]
pub struct SipSettings {
    /// UDP and TCP address (port 0 picks a free one; read the bound one back).
    pub listen: SocketAddr,
    /// TLS address and rustls configuration, when configured.
    pub tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>,
    /// Endpoint limits and timers.
    pub endpoint: EndpointConfig,
    /// Registrar settings (realm, expiry bounds, throttle).
    pub registrar: RegistrarConfig,
    /// How often the station directory is reloaded from the store.
    pub directory_refresh: Duration,
    /// Open TCP/TLS connections at most.
    pub max_connections: usize,
    /// A connection silent this long is closed.
    pub idle_timeout: Duration,
}

impl SipSettings {
    /// Defaults around a listen address and realm.
    #[must_use]
    pub fn new(listen: SocketAddr, realm: &str) -> Self {
        Self {
            listen,
            tls: None,
            endpoint: EndpointConfig::default(),
            registrar: RegistrarConfig {
                realm: realm.to_owned(),
                ..RegistrarConfig::default()
            },
            directory_refresh: Duration::from_secs(5),
            max_connections: 1024,
            idle_timeout: Duration::from_secs(600),
        }
    }
}

/// The running service.
#[derive(Debug)]
pub struct SipService {
    /// Where UDP listens.
    pub udp_addr: SocketAddr,
    /// Where TCP listens.
    pub tcp_addr: SocketAddr,
    /// Where TLS listens, when configured.
    pub tls_addr: Option<SocketAddr>,
    task: JoinHandle<()>,
}

impl SipService {
    /// Waits until the service has stopped (after `shutdown` was cancelled) and written its
    /// last bindings.
    pub async fn stopped(self) {
        let _ = self.task.await;
    }
}

fn random<const N: usize>() -> Result<[u8; N], SipError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| SipError::Random(e.to_string()))?;
    Ok(buf)
}

/// Binds the sockets, loads stations and bindings, and starts serving until `shutdown`.
pub async fn start(
    settings: SipSettings,
    db: Db,
    log: InteractionLogHandle,
    shutdown: CancellationToken,
) -> Result<SipService, SipError> {
    let bind_err = |transport, addr| {
        move |source| SipError::Bind {
            transport,
            addr,
            source,
        }
    };
    let udp = UdpSocket::bind(settings.listen)
        .await
        .map_err(bind_err("UDP", settings.listen))?;
    let udp_addr = udp.local_addr().map_err(bind_err("UDP", settings.listen))?;
    let tcp = TcpListener::bind(udp_addr)
        .await
        .map_err(bind_err("TCP", udp_addr))?;
    let tcp_addr = tcp.local_addr().map_err(bind_err("TCP", udp_addr))?;

    let realm = settings.registrar.realm.clone();
    let mut registrar = Registrar::new(settings.registrar.clone(), random()?);
    registrar.set_directory(crate::stations::directory(&db.stations().await?, &realm));
    let wall = Timestamp::now();
    for (station, records) in group(db.station_bindings(wall).await?) {
        registrar.restore(
            station,
            records.iter().filter_map(to_binding).collect(),
            wall,
        );
    }
    let endpoint = Endpoint::new(
        settings.endpoint.clone(),
        registrar,
        u64::from_le_bytes(random()?),
    );

    let (inbox_tx, inbox) = mpsc::channel(4096);
    let streams = StreamSettings {
        limits: settings.endpoint.limits,
        idle_timeout: settings.idle_timeout,
        connections: Arc::new(Semaphore::new(settings.max_connections)),
        next_id: Arc::new(AtomicU64::new(1)),
        inbox: inbox_tx.clone(),
        shutdown: shutdown.clone(),
    };
    tokio::spawn(accept_loop(tcp, None, streams.clone()));
    let mut tls_addr = None;
    if let Some((addr, config)) = &settings.tls {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(bind_err("TLS", *addr))?;
        tls_addr = Some(listener.local_addr().map_err(bind_err("TLS", *addr))?);
        let mut config = (**config).clone();
        config.alpn_protocols.clear();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        tokio::spawn(accept_loop(listener, Some(acceptor), streams));
    }
    let (dir_tx, directory) = mpsc::channel(1);
    tokio::spawn(refresh_directory(
        db,
        realm,
        settings.directory_refresh,
        dir_tx,
        shutdown.clone(),
    ));
    let driver = Driver {
        endpoint,
        udp,
        connections: HashMap::new(),
        dirty: BTreeSet::new(),
        log,
    };
    let task = tokio::spawn(driver.run(inbox, directory, shutdown));
    tracing::info!(udp = %udp_addr, tcp = %tcp_addr, tls = ?tls_addr, "SIP listening");
    Ok(SipService {
        udp_addr,
        tcp_addr,
        tls_addr,
        task,
    })
}

fn group(rows: Vec<(StationName, BindingRecord)>) -> HashMap<StationName, Vec<BindingRecord>> {
    let mut out: HashMap<StationName, Vec<BindingRecord>> = HashMap::new();
    for (s, b) in rows {
        out.entry(s).or_default().push(b);
    }
    out
}

fn to_binding(r: &BindingRecord) -> Option<Binding> {
    Some(Binding {
        contact: r.contact.clone(),
        expires_at: r.expires_at,
        call_id: r.call_id.clone(),
        cseq: r.cseq,
        source: r.source.parse().ok()?,
    })
}

fn to_record(b: &Binding) -> BindingRecord {
    BindingRecord {
        contact: b.contact.clone(),
        expires_at: b.expires_at,
        call_id: b.call_id.clone(),
        cseq: b.cseq,
        source: b.source.to_string(),
    }
}

async fn refresh_directory(
    db: Db,
    realm: String,
    every: Duration,
    tx: mpsc::Sender<Vec<crate::sip::registrar::StationCredentials>>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match db.stations().await {
            Ok(s) => {
                if tx
                    .send(crate::stations::directory(&s, &realm))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot reload the station directory"),
        }
    }
}

/// The state the driver loop owns (one owner: no locks).
struct Driver {
    endpoint: Endpoint,
    udp: UdpSocket,
    connections: HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>,
    dirty: BTreeSet<StationName>,
    log: InteractionLogHandle,
}

/// Datagrams read in one go before the loop looks at its other inputs.
const UDP_BURST: usize = 64;

impl Driver {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Inbound>,
        mut directory: mpsc::Receiver<Vec<crate::sip::registrar::StationCredentials>>,
        shutdown: CancellationToken,
    ) {
        let mut buf = vec![0u8; 65_536];
        let mut flush = tokio::time::interval(Duration::from_secs(1));
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let deadline = self.endpoint.poll_timeout().map_or_else(
                || Instant::now() + Duration::from_secs(3600),
                Instant::from_std,
            );
            tokio::select! {
                () = shutdown.cancelled() => break,
                r = self.udp.recv_from(&mut buf) => {
                    if let Ok((n, from)) = r {
                        self.datagram(&buf[..n], from);
                        for _ in 0..UDP_BURST {
                            match self.udp.try_recv_from(&mut buf) {
                                Ok((n, from)) => self.datagram(&buf[..n], from),
                                Err(_) => break,
                            }
                        }
                    }
                }
                Some(msg) = inbox.recv() => self.inbound(msg),
                Some(dir) = directory.recv() => self.endpoint.registrar_mut().set_directory(dir),
                () = tokio::time::sleep_until(deadline) => {
                    self.endpoint.handle_timeout(Instant::now().into_std(), Timestamp::now());
                }
                _ = flush.tick() => self.flush_bindings().await,
            }
            self.drain().await;
        }
        self.flush_bindings().await;
    }

    fn datagram(&mut self, bytes: &[u8], from: SocketAddr) {
        self.endpoint.handle_message(
            Instant::now().into_std(),
            Timestamp::now(),
            Flow::Udp(from),
            bytes,
        );
    }

    fn inbound(&mut self, msg: Inbound) {
        match msg {
            Inbound::Opened { id, writer } => {
                self.connections.insert(id, writer);
            }
            Inbound::Closed { id } => {
                self.connections.remove(&id);
            }
            Inbound::Message { id, peer, bytes } => self.endpoint.handle_message(
                Instant::now().into_std(),
                Timestamp::now(),
                Flow::Stream { id, peer },
                &bytes,
            ),
        }
    }

    async fn drain(&mut self) {
        while let Some(out) = self.endpoint.poll_output() {
            match out {
                Output::Transmit { to, bytes } => self.transmit(to, bytes).await,
                Output::Dropped { from, reason } => match reason {
                    DropReason::Malformed(e) => {
                        tracing::debug!(peer = %from, error = %e, "SIP message dropped: malformed");
                    }
                    DropReason::StrayResponse => {
                        tracing::debug!(peer = %from, "SIP response dropped: no transaction");
                    }
                    DropReason::Unroutable => {
                        tracing::debug!(peer = %from, "SIP message dropped: nothing to match or route");
                    }
                },
                Output::Registrar(e) => self.registrar_event(e),
            }
        }
    }

    async fn transmit(&mut self, to: Flow, bytes: Vec<u8>) {
        match to {
            Flow::Udp(addr) => {
                if let Err(e) = self.udp.send_to(&bytes, addr).await {
                    tracing::debug!(peer = %addr, error = %e, "SIP UDP send failed");
                }
            }
            Flow::Stream { id, peer } => {
                let sent = self.connections.get(&id).map(|w| w.try_send(bytes).is_ok());
                if sent != Some(true) {
                    tracing::debug!(peer = %peer, connection = id.0, "SIP response dropped: connection gone or stuck");
                    self.connections.remove(&id);
                }
            }
        }
    }

    fn registrar_event(&mut self, e: RegistrarEvent) {
        match e {
            RegistrarEvent::BindingsChanged(station) => {
                self.dirty.insert(station);
            }
            RegistrarEvent::Authenticated {
                station,
                algorithm,
                source,
            } => {
                tracing::debug!(station = %station, algorithm = %algorithm, source = %source, "SIP station authenticated");
            }
            RegistrarEvent::AuthFailed { source, user } => {
                tracing::info!(source = %source, user = %user, "SIP authentication failed");
            }
            RegistrarEvent::GuessingSuspected {
                source,
                user,
                failures,
            } => {
                tracing::warn!(source = %source, user = %user, failures, "SIP password guessing suspected; slowing this source for this user");
            }
        }
    }

    async fn flush_bindings(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let now = Timestamp::now();
        let stations = std::mem::take(&mut self.dirty);
        let mutations = stations
            .into_iter()
            .map(|station| {
                let bindings = self
                    .endpoint
                    .registrar()
                    .bindings(&station, now)
                    .into_iter()
                    .map(to_record)
                    .collect();
                Mutation::PutBindings { station, bindings }
            })
            .collect();
        let item = WriteItem {
            events: Vec::new(),
            mutations,
        };
        // Soft state: a failed write is logged and the next change writes the station again.
        let log = self.log.clone();
        tokio::spawn(async move {
            if let Err(e) = log.commit(item).await {
                tracing::warn!(error = %e, "cannot store SIP bindings");
            }
        });
    }
}
