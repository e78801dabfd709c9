//! The bridge between the ACD and the rest of the platform: builds the ACD's configuration
//! from the store (agents with skills, teams and capacity; queues with their routing settings),
//! rebuilds today's statistics and the waiting contacts from the interaction log, starts the
//! ACD service, and writes every `AcdEvent` to the interaction log (awaited, never dropped).
//!
//! It makes no routing decision (`acd` does) and writes no SQL (`store` does); it is wiring
//! and may do I/O. Priorities: the IVR's `enqueue` priority (1-9, 9 first) and the ACD's tier
//! priorities (diamond 40 ... standard 10) both serve the higher number first; contacts enter
//! the ACD by tier, so the tier table alone sets the order.

pub mod log;
pub mod settings;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::acd::{
    AcdConfig, AcdEvent, AcdHandle, AcdServiceError, AgentProfile, ChannelRules, NewContact,
    QueueConfig, ReasonCode, Stats, Strategy,
};
use crate::domain::{
    AgentId, Channel, InteractionId, QueueId, SkillRequirement, TeamId, TeamName, Tier, Timestamp,
};
use crate::interaction_log::{Actor, EventBody, InteractionLogHandle, NewEvent, Subject};
use crate::store::agents::AgentRecord;
use crate::store::queues::QueueRecord;
use crate::store::{Db, StoreError, WriteItem};

/// Not-ready reason codes offered until the store configures others.
pub const DEFAULT_REASON_CODES: [&str; 5] = ["break", "lunch", "training", "meeting", "coaching"];

/// How long an offer rings before ring-no-answer, until queues configure it.
pub const DEFAULT_OFFER_TIMEOUT: Duration = Duration::from_secs(20);

/// Maximum wrap-up time, until queues configure it.
pub const DEFAULT_WRAP_UP: Duration = Duration::from_secs(60);

/// The rolling statistics window (15 minutes), replayed from the log at start-up.
const ROLLING_MS: i64 = 15 * 60 * 1000;

/// Why the ACD could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AcdBridgeError {
    /// The store could not be read.
    #[error("cannot read the ACD's configuration or history from the store: {0}")]
    Store(#[from] StoreError),
    /// The ACD refused the stored configuration or a restored contact.
    #[error("the ACD refused the stored state: {0}")]
    Acd(#[from] AcdServiceError),
    /// A stored escalation step cannot be read.
    #[error(transparent)]
    Steps(#[from] settings::StepTextError),
    /// The interaction log writer has stopped.
    #[error("the interaction log writer has stopped")]
    LogClosed,
}

/// What recovery did at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Contacts put back in their place, oldest first.
    pub restored: Vec<InteractionId>,
    /// Contacts closed because their call or session was gone.
    pub closed: Vec<InteractionId>,
}

/// The running ACD and the task that logs its events.
#[derive(Debug)]
pub struct AcdBridge {
    /// The handle every edge uses.
    pub handle: AcdHandle,
    /// What recovery did.
    pub recovery: Recovery,
    /// Ends once every handle is gone and every event has been committed.
    pub logger: JoinHandle<()>,
    /// How many ACD events the logger has committed so far (a flush point: wait until it
    /// reaches the number of events seen on `AcdHandle::subscribe`).
    pub committed: watch::Receiver<u64>,
}

fn strategy(word: &str) -> Strategy {
    match word {
        "most_skilled" => Strategy::MostSkilled,
        "least_occupied" => Strategy::LeastOccupied,
        "round_robin" => Strategy::RoundRobin,
        _ => Strategy::LongestIdle,
    }
}

/// The ACD's view of a stored queue (agent groups empty: any agent with the skills).
#[must_use]
pub fn queue_config(q: &QueueRecord) -> QueueConfig {
    QueueConfig {
        id: q.id,
        name: q.name.clone(),
        channel: q.channel,
        required: q
            .required_skills
            .iter()
            .map(|(skill, min)| SkillRequirement {
                skill: skill.clone(),
                min: *min,
            })
            .collect(),
        agent_groups: Vec::new(),
        strategy: strategy(&q.strategy),
        steps: Vec::new(),
        offer_timeout: DEFAULT_OFFER_TIMEOUT,
        wrap_up: DEFAULT_WRAP_UP,
    }
}

fn cap(v: i64) -> u8 {
    u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)
}

/// The ACD's view of a stored agent.
#[must_use]
pub fn agent_profile(a: &AgentRecord, teams: &HashMap<TeamId, TeamName>) -> AgentProfile {
    let rules = ChannelRules {
        capacity: [
            cap(a.capacity.voice),
            cap(a.capacity.email),
            cap(a.capacity.chat),
            cap(a.capacity.email),
        ],
        ..ChannelRules::default()
    };
    AgentProfile {
        id: a.id,
        login: a.login.clone(),
        skills: a.skills.iter().cloned().collect(),
        groups: a
            .team
            .and_then(|t| teams.get(&t).cloned())
            .into_iter()
            .collect(),
        member_of: Vec::new(),
        rules,
    }
}

/// Every stored queue with its stored ACD settings (defaults where none are stored).
pub async fn queue_configs(db: &Db) -> Result<Vec<QueueConfig>, AcdBridgeError> {
    let settings: HashMap<QueueId, _> = db
        .queue_acd_settings()
        .await?
        .into_iter()
        .map(|r| (r.queue, r))
        .collect();
    let mut out = Vec::new();
    for q in db.queues().await? {
        let mut c = queue_config(&q);
        if let Some(r) = settings.get(&q.id) {
            settings::apply(&mut c, r)?;
        }
        out.push(c);
    }
    Ok(out)
}

/// ACD-wide settings from the store's skill catalogue.
pub async fn acd_config(db: &Db) -> Result<AcdConfig, AcdBridgeError> {
    let reason_codes = DEFAULT_REASON_CODES
        .iter()
        .map(|c| ReasonCode::parse(c).expect("default reason codes are well formed"))
        .collect();
    Ok(AcdConfig {
        known_skills: db.skills().await?.into_iter().collect(),
        reason_codes,
        ..AcdConfig::default()
    })
}

/// Pushes the store's agents and queues into a running ACD (start-up and after changes).
pub async fn sync(db: &Db, acd: &AcdHandle) -> Result<(), AcdBridgeError> {
    let teams: HashMap<TeamId, TeamName> = db
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    for a in db.agents().await? {
        acd.upsert_agent(agent_profile(&a, &teams)).await?;
    }
    acd.set_known_skills(db.skills().await?.into_iter().collect())
        .await?;
    acd.configure_queues(queue_configs(db).await?).await?;
    Ok(())
}

/// Starts the ACD from the store at `wall_now`: configuration, today's statistics, agents
/// (all logged out, so none is reserved), queues, and the contacts that were waiting.
pub async fn start(
    db: &Db,
    log: InteractionLogHandle,
    wall_now: Timestamp,
) -> Result<AcdBridge, AcdBridgeError> {
    let config = acd_config(db).await?;
    let day_start = log::utc_day_start(wall_now);
    let history = db
        .events_between(
            day_start.min(Timestamp::from_millis(wall_now.as_millis() - ROLLING_MS)),
            wall_now.plus(Duration::from_millis(1)),
            Some("interaction"),
            i64::MAX,
        )
        .await?;
    let mut stats = Stats::new(day_start);
    for e in &history {
        if let Some(a) = log::stats_event(e) {
            stats.handle_event(&a);
        }
    }
    let (tx, rx) = mpsc::channel(1024);
    let (count, committed) = watch::channel(0);
    let logger = tokio::spawn(forward(rx, log.clone(), count));
    let handle = crate::acd::spawn(config, wall_now, stats, tx);
    sync(db, &handle).await?;
    let channels: BTreeMap<QueueId, Channel> = db
        .queues()
        .await?
        .iter()
        .map(|q| (q.id, q.channel))
        .collect();
    let recovery = recover(&history, &channels, &handle, &log, wall_now).await?;
    Ok(AcdBridge {
        handle,
        recovery,
        logger,
        committed,
    })
}

/// Commits ACD events in batches, in order; each batch is awaited until durable.
async fn forward(
    mut rx: mpsc::Receiver<AcdEvent>,
    log: InteractionLogHandle,
    committed: watch::Sender<u64>,
) {
    while let Some(first) = rx.recv().await {
        let mut events = vec![log::to_log_event(&first)];
        while events.len() < 256 {
            match rx.try_recv() {
                Ok(e) => events.push(log::to_log_event(&e)),
                Err(_) => break,
            }
        }
        let n = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let item = WriteItem {
            events,
            mutations: Vec::new(),
        };
        match log.commit(item).await {
            Ok(_) => committed.send_modify(|c| *c += n),
            Err(e) => {
                tracing::error!(error = %e, "ACD events could not be written to the interaction log");
            }
        }
    }
}

/// A contact the log shows still in the ACD.
#[derive(Debug, Clone)]
struct Open {
    queue: QueueId,
    tier: Tier,
    arrived: Timestamp,
    reserved_for: Option<AgentId>,
}

/// Contacts still in the ACD according to the log, oldest arrival first.
fn open_contacts(history: &[crate::interaction_log::StoredEvent]) -> Vec<(InteractionId, Open)> {
    let mut open: BTreeMap<InteractionId, Open> = BTreeMap::new();
    for e in history {
        let Subject::Interaction(id) = e.subject else {
            continue;
        };
        match &e.body {
            EventBody::AcdQueued {
                queue,
                tier,
                reserved_for,
                restored_from,
                ..
            } => {
                let arrived = restored_from.map_or(e.occurred_at, Timestamp::from_millis);
                open.insert(
                    id,
                    Open {
                        queue: *queue,
                        tier: *tier,
                        arrived,
                        reserved_for: *reserved_for,
                    },
                );
            }
            EventBody::AcdOverflowed { to, .. } => match log::parse_overflow(to) {
                Some(crate::acd::OverflowTarget::Queue(q)) => {
                    if let Some(o) = open.get_mut(&id) {
                        o.queue = q;
                    }
                }
                _ => {
                    open.remove(&id);
                }
            },
            EventBody::AcdAnswered { .. }
            | EventBody::AcdAbandoned { .. }
            | EventBody::AcdCompleted { .. }
            | EventBody::AcdClosedAtRecovery { .. } => {
                open.remove(&id);
            }
            _ => {}
        }
    }
    let mut v: Vec<_> = open.into_iter().collect();
    v.sort_by_key(|(id, o)| (o.arrived, *id));
    v
}

/// Puts back contacts whose session survives a restart (email, chat, form) in their place and
/// closes those whose call died with the process (voice), with a reason in the log.
async fn recover(
    history: &[crate::interaction_log::StoredEvent],
    channels: &BTreeMap<QueueId, Channel>,
    acd: &AcdHandle,
    log: &InteractionLogHandle,
    now: Timestamp,
) -> Result<Recovery, AcdBridgeError> {
    let mut done = Recovery::default();
    let mut closing = Vec::new();
    for (id, o) in open_contacts(history) {
        let reason = match channels.get(&o.queue) {
            None => Some("queue_removed"),
            Some(Channel::Voice) => Some("call_lost_at_restart"),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            closing.push(NewEvent::new(
                Subject::Interaction(id),
                now,
                Actor::System,
                EventBody::AcdClosedAtRecovery {
                    queue: o.queue,
                    reason: reason.to_owned(),
                },
            ));
            done.closed.push(id);
            continue;
        }
        let contact = NewContact {
            interaction: id,
            queue: o.queue,
            tier: o.tier,
            account_manager: o.reserved_for,
        };
        acd.restore(contact, o.arrived).await?;
        done.restored.push(id);
    }
    if !closing.is_empty() {
        log.commit(WriteItem {
            events: closing,
            mutations: Vec::new(),
        })
        .await
        .map_err(|_| AcdBridgeError::LogClosed)?;
    }
    Ok(done)
}

/// Reason codes an agent may give for not ready.
#[must_use]
pub fn reason_codes() -> BTreeSet<String> {
    DEFAULT_REASON_CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect()
}
