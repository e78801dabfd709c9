//! The authenticating registrar (RFC 3261 §10.3) as a pure state machine: digest checks against
//! stored HA1 values (never passwords), the binding table of every station (several contacts
//! each, Expires min/max, `Expires: 0` and `*`), and failed-authentication counting per
//! (source address, user) and per user that slows a guesser without slowing the other phones
//! behind the same NAT address.
//!
//! Pure: takes `now` and requests, returns responses, delays and events. Must not read the
//! clock, touch the store or log: the driver loads the station directory, persists bindings when
//! told (`RegistrarEvent::BindingsChanged`) and logs the events.

mod throttle;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use core::net::{IpAddr, SocketAddr};

use crate::domain::{StationName, Timestamp};
use crate::sip::digest::{self, Algorithm, Credentials, NonceKey, NonceStatus};
use crate::sip::message::{Contact, Message, Uri};

pub use throttle::{Throttle, ThrottleConfig};

/// Registrar settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// The digest realm (HA1 values are stored for this realm).
    pub realm: String,
    /// Shortest registration accepted (423 below it), seconds.
    pub min_expires: u32,
    /// Longest registration granted (longer ones are shortened), seconds.
    pub max_expires: u32,
    /// Granted when the request names no expiry, seconds.
    pub default_expires: u32,
    /// Contacts one station may hold at once.
    pub max_contacts: usize,
    /// How long a nonce is good for before the client is told `stale=true`.
    pub nonce_lifetime: Duration,
    /// Algorithms challenged with, one `WWW-Authenticate` each, in this order. The default is
    /// MD5 alone: baresip 1.0 (libre) gives up on a 401 that carries any SHA-256 challenge
    /// ("Function not implemented", measured), whatever the order. PJSIP 2.15 answers SHA-256
    /// when it is offered first.
    pub algorithms: Vec<Algorithm>,
    /// Failed-authentication counting and slowing.
    pub throttle: ThrottleConfig,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            realm: "switchyard".into(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_contacts: 10,
            nonce_lifetime: Duration::from_secs(300),
            algorithms: vec![Algorithm::Md5],
            throttle: ThrottleConfig::default(),
        }
    }
}

/// A station's stored digest secrets for the registrar's realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationCredentials {
    /// The station (its name is the SIP user name).
    pub station: StationName,
    /// HA1 per algorithm, lower-case hex.
    pub ha1: Vec<(Algorithm, String)>,
}

impl StationCredentials {
    fn ha1_for(&self, algorithm: Algorithm) -> Option<&str> {
        self.ha1
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, h)| h.as_str())
    }
}

/// One registered contact of a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI as the phone wrote it.
    pub contact: String,
    /// When it lapses.
    pub expires_at: Timestamp,
    /// Call-ID of the REGISTER that set it.
    pub call_id: String,
    /// CSeq of that REGISTER.
    pub cseq: u32,
    /// Where that REGISTER came from (the NAT mapping to reach the phone).
    pub source: SocketAddr,
}

/// Something the driver should log or carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrarEvent {
    /// A station's bindings changed: persist them.
    BindingsChanged(StationName),
    /// A station authenticated.
    Authenticated {
        /// The station.
        station: StationName,
        /// With which algorithm.
        algorithm: Algorithm,
        /// From where.
        source: IpAddr,
    },
    /// Credentials were wrong (or named no station).
    AuthFailed {
        /// Source address.
        source: IpAddr,
        /// The user name tried.
        user: String,
    },
    /// A (source, user) pair or a user crossed its failure limit: someone is guessing.
    GuessingSuspected {
        /// Source address.
        source: IpAddr,
        /// The user name tried.
        user: String,
        /// Failures of this pair within the window.
        failures: u32,
    },
}

/// The answer to one REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The response to send.
    pub response: Message,
    /// How long to hold it back (non-zero only for a throttled guesser).
    pub delay: Duration,
}

/// The registrar: directory, bindings, nonce key and throttle.
#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    nonces: NonceKey,
    directory: HashMap<String, StationCredentials>,
    bindings: HashMap<StationName, Vec<Binding>>,
    throttle: Throttle,
    events: Vec<RegistrarEvent>,
}

/// What authentication decided.
enum Auth {
    Station(StationName),
    Refused(Box<Reply>),
}

/// An HA1 for unknown users, so that they cost the same work as known ones.
const DECOY_HA1: &str = "00000000000000000000000000000000";

impl Registrar {
    /// A registrar with an empty directory; `secret` keys the nonces (random, from the driver).
    #[must_use]
    pub fn new(config: RegistrarConfig, secret: [u8; 32]) -> Self {
        Self {
            nonces: NonceKey::new(secret, config.nonce_lifetime),
            throttle: Throttle::new(config.throttle.clone()),
            config,
            directory: HashMap::new(),
            bindings: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// Replaces the station directory (the driver reloads it from the store).
    pub fn set_directory(&mut self, stations: Vec<StationCredentials>) {
        self.directory = stations
            .into_iter()
            .map(|s| (s.station.as_str().to_owned(), s))
            .collect();
    }

    /// Restores bindings loaded at start-up, dropping those already expired at `now`.
    pub fn restore(&mut self, station: StationName, bindings: Vec<Binding>, now: Timestamp) {
        let live: Vec<Binding> = bindings
            .into_iter()
            .filter(|b| b.expires_at > now)
            .collect();
        if !live.is_empty() {
            self.bindings.insert(station, live);
        }
    }

    /// The live bindings of a station.
    #[must_use]
    pub fn bindings(&self, station: &StationName, now: Timestamp) -> Vec<&Binding> {
        self.bindings
            .get(station)
            .map(|v| v.iter().filter(|b| b.expires_at > now).collect())
            .unwrap_or_default()
    }

    /// Drops lapsed bindings (and stale throttle counters); call now and then.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let mut changed = Vec::new();
        self.bindings.retain(|station, list| {
            let before = list.len();
            list.retain(|b| b.expires_at > now);
            if list.len() != before {
                changed.push(station.clone());
            }
            !list.is_empty()
        });
        self.events
            .extend(changed.into_iter().map(RegistrarEvent::BindingsChanged));
        self.throttle.prune(now);
    }

    /// The next event for the driver.
    pub fn poll_event(&mut self) -> Option<RegistrarEvent> {
        if self.events.is_empty() {
            None
        } else {
            Some(self.events.remove(0))
        }
    }

    /// Answers a REGISTER (already checked by `check_request`) from `source`.
    pub fn handle_register(
        &mut self,
        request: &Message,
        source: SocketAddr,
        now: Timestamp,
    ) -> Reply {
        let reply = |response| Reply {
            response,
            delay: Duration::ZERO,
        };
        let Ok(to) = request.to() else {
            return reply(Message::response_to(request, 400, "Malformed To Header"));
        };
        let Some(aor_user) = to.uri.as_sip().and_then(|u| u.user.clone()) else {
            let reason = match to.uri {
                Uri::Sip(_) => "Address Of Record Has No User",
                _ => "Address Of Record Must Be sip Or sips",
            };
            return reply(Message::response_to(request, 400, reason));
        };
        let station = match self.authenticate(request, source.ip(), now) {
            Auth::Station(station) => station,
            Auth::Refused(reply) => return *reply,
        };
        if station.as_str() != aor_user {
            return reply(Message::response_to(request, 403, "Forbidden"));
        }
        reply(self.update_bindings(request, &station, source, now))
    }

    fn challenge(&self, request: &Message, now: Timestamp, stale: bool) -> Message {
        let nonce = self.nonces.issue(now);
        let mut m = Message::response_to(request, 401, "Unauthorized");
        for &algorithm in &self.config.algorithms {
            m.headers.push(
                "WWW-Authenticate",
                &digest::challenge_value(&self.config.realm, &nonce, algorithm, stale),
            );
        }
        m
    }

    /// The station the request authenticates as, or the reply to send instead.
    fn authenticate(&mut self, request: &Message, source: IpAddr, now: Timestamp) -> Auth {
        let plain = |response| {
            Auth::Refused(Box::new(Reply {
                response,
                delay: Duration::ZERO,
            }))
        };
        let headers = request.challenges("Authorization").unwrap_or_default();
        let ours = headers.iter().find_map(|c| {
            Credentials::from_challenge(c)
                .ok()
                .filter(|cr| cr.realm == self.config.realm)
        });
        let Some(creds) = ours else {
            return plain(self.challenge(request, now, false));
        };
        match self.nonces.check(creds.nonce, now) {
            NonceStatus::Fresh => {}
            NonceStatus::Stale => return plain(self.challenge(request, now, true)),
            NonceStatus::Forged => return plain(self.challenge(request, now, false)),
        }
        let user = creds.username.to_owned();
        if let Some(delay) = self.throttle.refuse(source, &user, now) {
            return Auth::Refused(Box::new(Reply {
                response: Message::response_to(request, 403, "Forbidden"),
                delay,
            }));
        }
        let method = request.method().map(|m| m.as_str()).unwrap_or("REGISTER");
        let known = self.directory.get(&user);
        let ha1 = known
            .and_then(|s| s.ha1_for(creds.algorithm))
            .unwrap_or(DECOY_HA1);
        let good = creds.verify(ha1, method);
        match known {
            Some(station) if good => {
                let station = station.station.clone();
                self.throttle.succeeded(source, &user);
                self.events.push(RegistrarEvent::Authenticated {
                    station: station.clone(),
                    algorithm: creds.algorithm,
                    source,
                });
                Auth::Station(station)
            }
            _ => {
                self.events.push(RegistrarEvent::AuthFailed {
                    source,
                    user: user.clone(),
                });
                if let Some(failures) = self.throttle.failed(source, &user, now) {
                    self.events.push(RegistrarEvent::GuessingSuspected {
                        source,
                        user,
                        failures,
                    });
                }
                plain(self.challenge(request, now, false))
            }
        }
    }

    fn update_bindings(
        &mut self,
        request: &Message,
        station: &StationName,
        source: SocketAddr,
        now: Timestamp,
    ) -> Message {
        let header_expires = match request.expires() {
            Ok(e) => e,
            Err(_) => return Message::response_to(request, 400, "Malformed Expires Header"),
        };
        let (Ok(call_id), Ok(cseq)) = (request.call_id(), request.cseq()) else {
            return Message::response_to(request, 400, "Malformed Call-ID Or CSeq");
        };
        let mut list = self.bindings.get(station).cloned().unwrap_or_default();
        list.retain(|b| b.expires_at > now);
        let before = list.clone();
        match request.contacts() {
            Err(_) => return Message::response_to(request, 400, "Malformed Contact Header"),
            Ok(None) => {}
            Ok(Some(Contact::Any)) => {
                if header_expires != Some(0) {
                    return Message::response_to(request, 400, "Contact * Needs Expires 0");
                }
                if list
                    .iter()
                    .any(|b| b.call_id == call_id && b.cseq >= cseq.seq)
                {
                    return Message::response_to(request, 500, "Out Of Order Request");
                }
                list.clear();
            }
            Ok(Some(Contact::Addresses(addrs))) => {
                for addr in &addrs {
                    let expires = addr
                        .param("expires")
                        .flatten()
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
                        .or(header_expires)
                        .unwrap_or(self.config.default_expires);
                    if expires > 0 && expires < self.config.min_expires {
                        return Message::response_to(request, 423, "Interval Too Brief")
                            .with_header("Min-Expires", &self.config.min_expires.to_string());
                    }
                    let contact = addr.uri.to_string();
                    let existing = list.iter().position(|b| b.contact == contact);
                    if let Some(i) = existing {
                        let b = &list[i];
                        if b.call_id == call_id && b.cseq >= cseq.seq {
                            return Message::response_to(request, 500, "Out Of Order Request");
                        }
                        list.remove(i);
                    }
                    if expires == 0 {
                        continue;
                    }
                    if list.len() >= self.config.max_contacts {
                        return Message::response_to(request, 403, "Too Many Contacts");
                    }
                    let granted = expires.min(self.config.max_expires);
                    list.push(Binding {
                        contact,
                        expires_at: now.plus(Duration::from_secs(granted.into())),
                        call_id: call_id.to_owned(),
                        cseq: cseq.seq,
                        source,
                    });
                }
            }
        }
        let mut ok = Message::response_to(request, 200, "OK");
        for b in &list {
            let left = b.expires_at.since(now).as_secs().max(1);
            ok.headers
                .push("Contact", &format!("<{}>;expires={left}", b.contact));
        }
        if list != before {
            self.events
                .push(RegistrarEvent::BindingsChanged(station.clone()));
        }
        if list.is_empty() {
            self.bindings.remove(station);
        } else {
            self.bindings.insert(station.clone(), list);
        }
        ok
    }
}
