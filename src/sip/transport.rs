//! SIP over TCP and TLS: accepting connections (with a limit), TLS handshakes (rustls through
//! `crate::tls`), framing each byte stream into messages with `message::frame_stream`, and
//! writing what the endpoint sends back on the same connection (connection reuse, RFC 3261
//! §18.2.2). A stream that can never frame (a missing or absurd Content-Length, an oversized
//! head) is closed with a `debug` log; so is a connection idle for too long.
//!
//! The only SIP code besides `sip::service` that touches sockets. Must not interpret
//! messages: every framed message goes to the service's inbox.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::sip::endpoint::ConnectionId;
use crate::sip::message::{Limits, frame_stream};

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages waiting to be written on one connection before it counts as stuck and is closed.
const WRITE_QUEUE: usize = 256;

/// What connections tell the service.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A connection is up; responses for it go to `writer`.
    Opened {
        id: ConnectionId,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// One framed message.
    Message {
        id: ConnectionId,
        peer: SocketAddr,
        bytes: Vec<u8>,
    },
    /// The connection is gone.
    Closed { id: ConnectionId },
}

/// Settings shared by every stream listener.
#[derive(Debug, Clone)]
pub(crate) struct StreamSettings {
    pub(crate) limits: Limits,
    pub(crate) idle_timeout: Duration,
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) next_id: Arc<AtomicU64>,
    pub(crate) inbox: mpsc::Sender<Inbound>,
    pub(crate) shutdown: CancellationToken,
}

/// Accepts TCP (or, with `tls`, TLS) connections until shutdown.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: StreamSettings,
) {
    loop {
        let accepted = tokio::select! {
            () = settings.shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "SIP stream listener: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = settings.connections.clone().try_acquire_owned() else {
            tracing::warn!(peer = %peer, "SIP connection limit reached; closing the new connection");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let settings = settings.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve(stream, peer, settings).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => serve(s, peer, settings).await,
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "SIP TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %peer, "SIP TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
}

/// Runs one connection: a writer task for responses and this reader loop.
async fn serve<S>(stream: S, peer: SocketAddr, settings: StreamSettings)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let id = ConnectionId(settings.next_id.fetch_add(1, Ordering::Relaxed));
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    if settings
        .inbox
        .send(Inbound::Opened { id, writer: tx })
        .await
        .is_err()
    {
        return;
    }
    let write_task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    let reason = read_messages(&mut reader, id, peer, &settings).await;
    tracing::debug!(peer = %peer, connection = id.0, reason, "SIP connection closed");
    let _ = settings.inbox.send(Inbound::Closed { id }).await;
    // The service drops its writer handle on `Closed`, which ends the write task.
    let _ = write_task.await;
}

async fn read_messages<R: AsyncRead + Unpin>(
    reader: &mut R,
    id: ConnectionId,
    peer: SocketAddr,
    settings: &StreamSettings,
) -> &'static str {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            match frame_stream(&buf, &settings.limits) {
                Ok(Some(n)) => {
                    let bytes: Vec<u8> = buf.drain(..n).collect();
                    let msg = Inbound::Message { id, peer, bytes };
                    if settings.inbox.send(msg).await.is_err() {
                        return "service stopped";
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(peer = %peer, error = %e, "SIP stream cannot be framed");
                    return "unframeable stream";
                }
            }
        }
        let read = tokio::select! {
            () = settings.shutdown.cancelled() => return "shutdown",
            r = tokio::time::timeout(settings.idle_timeout, reader.read(&mut chunk)) => r,
        };
        match read {
            Err(_) => return "idle",
            Ok(Err(_)) => return "read error",
            Ok(Ok(0)) => return "closed by peer",
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
