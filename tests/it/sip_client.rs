//! A minimal SIP phone for the integration tests: REGISTER with digest authentication over UDP,
//! written against our own message and digest modules, with every wait bounded.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use switchyard::config::Config;
use switchyard::domain::{StationName, Timestamp};
use switchyard::interaction_log::Actor;
use switchyard::sip::digest::{Algorithm, Credentials, ha1};
use switchyard::sip::message::{Challenge, Limits, Message, Transport, parse};
use switchyard::stations::{NewStation, add_station};

/// Creates stations (name, password) in the store of `config` before the server starts.
pub(crate) async fn seed_stations(config: &Config, stations: &[(&str, &str)]) {
    let (db, log, writer) = switchyard::app::open_store(config).await.expect("store");
    for (name, password) in stations {
        let new = NewStation {
            name: StationName::parse(name).expect("valid name"),
            agent: None,
            password: (*password).to_owned(),
        };
        add_station(
            &db,
            &log,
            new,
            &config.sip.realm,
            Actor::Cli,
            Timestamp::now(),
        )
        .await
        .expect("station added");
    }
    drop(log);
    writer.await.expect("writer");
    db.close().await;
}

/// A UDP phone registering one user.
pub(crate) struct Phone {
    sock: UdpSocket,
    server: SocketAddr,
    user: String,
    call_id: String,
    cseq: u32,
}

/// What one REGISTER exchange ended with.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The final status (0 when nothing came back in time).
    pub(crate) status: u16,
    /// How long the authenticated request took to be answered.
    pub(crate) elapsed: Duration,
    /// The final response.
    pub(crate) response: Option<Message>,
}

impl Phone {
    pub(crate) async fn bind(local: &str, server: SocketAddr, user: &str) -> Self {
        let sock = UdpSocket::bind(local).await.expect("bind the phone");
        let port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
        Self {
            sock,
            server,
            user: user.to_owned(),
            call_id: format!("{user}-{port}@test"),
            cseq: 0,
        }
    }

    fn request(&mut self, extra: &str) -> Vec<u8> {
        self.cseq += 1;
        let local = self.sock.local_addr().expect("bound");
        format!(
            "REGISTER sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};rport;branch=z9hG4bK{port}x{seq}\r\n\
             From: <sip:{user}@{ip}>;tag=t{seq}\r\nTo: <sip:{user}@{ip}>\r\nCall-ID: {cid}\r\n\
             CSeq: {seq} REGISTER\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n",
            server = self.server,
            ip = self.server.ip(),
            user = self.user,
            cid = self.call_id,
            seq = self.cseq,
            port = local.port(),
        )
        .into_bytes()
    }

    async fn exchange(&self, bytes: &[u8], wait: Duration) -> Option<Message> {
        self.sock.send_to(bytes, self.server).await.expect("send");
        let mut buf = vec![0u8; 65_536];
        let (n, _) = tokio::time::timeout(wait, self.sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        parse(&buf[..n], Transport::Udp, &Limits::default()).ok()
    }

    /// REGISTER, answer the challenge with `password`, return the final answer. `extra` holds
    /// header lines (Contact, Expires).
    pub(crate) async fn register(
        &mut self,
        password: &str,
        extra: &str,
        wait: Duration,
    ) -> Outcome {
        let first = self.request(extra);
        let Some(challenge) = self.exchange(&first, Duration::from_secs(5)).await else {
            return Outcome {
                status: 0,
                elapsed: Duration::ZERO,
                response: None,
            };
        };
        if challenge.status() != Some(401) {
            return Outcome {
                status: challenge.status().unwrap_or(0),
                elapsed: Duration::ZERO,
                response: Some(challenge),
            };
        }
        let nonce = challenge
            .challenges("WWW-Authenticate")
            .ok()
            .and_then(|c| c.first().and_then(|c| c.param("nonce")).map(str::to_owned))
            .unwrap_or_default();
        let auth = authorization(
            &self.user,
            password,
            &nonce,
            &format!("sip:{}", self.server),
        );
        let second = self.request(&format!("{auth}{extra}"));
        let start = Instant::now();
        let response = self.exchange(&second, wait).await;
        Outcome {
            status: response.as_ref().and_then(Message::status).unwrap_or(0),
            elapsed: start.elapsed(),
            response,
        }
    }
}

/// An MD5 `Authorization` header line for the default realm.
fn authorization(user: &str, password: &str, nonce: &str, uri: &str) -> String {
    let realm = "switchyard";
    let params: Vec<(String, String)> = [
        ("username", user),
        ("realm", realm),
        ("nonce", nonce),
        ("uri", uri),
        ("cnonce", "0a4f113b"),
        ("nc", "00000001"),
        ("qop", "auth"),
        ("response", "-"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let c = Challenge {
        scheme: "Digest".into(),
        params,
    };
    let response = Credentials::from_challenge(&c)
        .map(|cr| cr.expected_response(&ha1(Algorithm::Md5, user, realm, password), "REGISTER"))
        .unwrap_or_default();
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", algorithm=MD5, cnonce=\"0a4f113b\", nc=00000001, qop=auth\r\n"
    )
}

/// Contact URIs of a 200 to REGISTER.
pub(crate) fn contacts(m: &Option<Message>) -> Vec<String> {
    m.as_ref()
        .map(|m| m.headers.all("Contact").map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A test configuration on temporary directories with every listener on port 0.
pub(crate) fn config(dir: &Path) -> Config {
    super::sip_wire::config(dir)
}
