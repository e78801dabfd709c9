//! The one task that owns the ACD: it feeds commands from `AcdHandle`s and its own timers
//! into `AcdCore` one at a time, folds the events into `Stats`, and sends every event to the
//! interaction-log writer (a bounded channel, awaited, never dropped) and to a broadcast for
//! live views (lagging viewers may miss events; the log never does).
//!
//! The only part of `acd` that uses tokio and reads the clock. It converts tokio time to the
//! core's `Timestamp` at the boundary: wall-clock at start-up plus monotonic time elapsed,
//! so the core's time never jumps backwards and `#[tokio::test(start_paused = true)]`
//! controls it all. It makes no routing decision of its own.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{
    AgentId, AgentLogin, InteractionId, OfferId, QueueId, SkillName, Tier, Timestamp,
};

use super::agent::{AgentProfile, Presence};
use super::core::{AcdConfig, AcdCore, AcdError, NewContact};
use super::event::{AcdEvent, Actor};
use super::queue::QueueConfig;
use super::stats::{Counters, Scope, Stats};
use super::view::{AgentView, QueueLive};

/// Why a command to the ACD service failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdServiceError {
    /// The service task has stopped.
    #[error("the ACD service has stopped")]
    Stopped,
    /// The ACD refused the command.
    #[error(transparent)]
    Refused(#[from] AcdError),
}

/// A queue's configuration, live picture and statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueReport {
    /// Waiting contacts, agents by state, configuration.
    pub live: QueueLive,
    /// Today's counters for the queue.
    pub today: Counters,
    /// Today's counters per tier.
    pub today_by_tier: Vec<(Tier, Counters)>,
    /// Service level over the last 15 minutes.
    pub rolling_service_level: Option<f64>,
    /// Service level over the last 15 minutes per tier.
    pub rolling_by_tier: Vec<(Tier, Option<f64>)>,
}

type Reply<T> = oneshot::Sender<Result<T, AcdError>>;

enum Command {
    ConfigureQueues(Vec<QueueConfig>, Reply<()>),
    UpsertAgent(AgentProfile, Reply<()>),
    Enqueue(NewContact, Reply<()>),
    Restore(NewContact, Timestamp, Reply<()>),
    Hangup(InteractionId, Reply<()>),
    Cancel(InteractionId, Reply<()>),
    Callback(InteractionId, Reply<()>),
    Presence(AgentId, Presence, Actor, Reply<()>),
    Answer(AgentId, OfferId, Reply<()>),
    Reject(AgentId, OfferId, Reply<()>),
    ContactEnded(AgentId, InteractionId, Reply<()>),
    WrapUpDone(AgentId, InteractionId, Reply<()>),
    StartDay(Timestamp, Reply<()>),
    KnownSkills(BTreeSet<SkillName>, Reply<()>),
    QueueStats(QueueStatsRequest, oneshot::Sender<QueueStatsAnswer>),
    Queue(QueueId, oneshot::Sender<Option<QueueReport>>),
    Queues(oneshot::Sender<Vec<QueueReport>>),
    Agent(AgentLogin, oneshot::Sender<Option<AgentView>>),
}

/// A cheap, cloneable handle to the ACD service; methods are named for commands.
#[derive(Debug, Clone)]
pub struct AcdHandle {
    commands: mpsc::Sender<Command>,
    live: broadcast::Sender<AcdEvent>,
}

/// Converts between tokio's monotonic time and the core's timestamps.
#[derive(Debug, Clone, Copy)]
struct Clock {
    origin: Instant,
    wall_origin: Timestamp,
}

impl Clock {
    fn now(&self) -> Timestamp {
        self.wall_origin
            .plus(Instant::now().duration_since(self.origin))
    }

    fn instant_of(&self, t: Timestamp) -> Instant {
        self.origin + t.since(self.wall_origin)
    }
}

/// Starts the ACD service task. `wall_now` is the wall clock at start-up (the service then
/// advances it with monotonic time); `stats` holds today's figures so far (empty, or
/// rebuilt by replaying today's stored events through [`Stats::handle_event`] at recovery);
/// `log` receives every event in order (the interaction-log writer).
pub fn spawn(
    config: AcdConfig,
    wall_now: Timestamp,
    stats: Stats,
    log: mpsc::Sender<AcdEvent>,
) -> AcdHandle {
    let (commands, inbox) = mpsc::channel(1024);
    let (live, _) = broadcast::channel(4096);
    let core = AcdCore::new(config, Box::new(OfferId::generate));
    let clock = Clock {
        origin: Instant::now(),
        wall_origin: wall_now,
    };
    let service = Service {
        core,
        stats,
        clock,
        log,
        live: live.clone(),
    };
    tokio::spawn(service.run(inbox));
    AcdHandle { commands, live }
}

struct Service {
    core: AcdCore,
    stats: Stats,
    clock: Clock,
    log: mpsc::Sender<AcdEvent>,
    live: broadcast::Sender<AcdEvent>,
}

impl Service {
    async fn run(mut self, mut inbox: mpsc::Receiver<Command>) {
        loop {
            let deadline = self.core.poll_timeout().map(|t| self.clock.instant_of(t));
            let far = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    let events = self.core.handle_timeout(self.clock.now());
                    self.emit(events).await;
                }
            }
        }
    }

    /// Folds events into statistics and sends them on; the log send is awaited.
    async fn emit(&mut self, events: Vec<AcdEvent>) {
        for e in events {
            self.stats.handle_event(&e);
            // No live viewer is not an error: the broadcast is only for views.
            let _ = self.live.send(e.clone());
            if self.log.send(e).await.is_err() {
                tracing::error!("interaction log writer has stopped; ACD events are not logged");
            }
        }
    }

    async fn apply(&mut self, result: Result<Vec<AcdEvent>, AcdError>, reply: Reply<()>) {
        let result = match result {
            Ok(events) => {
                self.emit(events).await;
                Ok(())
            }
            Err(e) => {
                // Timers fired before the command was refused; their events still go out.
                let fired = self.core.poll_events();
                self.emit(fired).await;
                Err(e)
            }
        };
        // The caller may have given up waiting; the command took effect regardless.
        let _ = reply.send(result);
    }

    fn report(&self, queue: QueueId, now: Timestamp) -> Option<QueueReport> {
        let live = self.core.queue_live(queue, now, &self.stats)?;
        Some(QueueReport {
            live,
            today: self.stats.today(Scope::Queue(queue)),
            today_by_tier: Tier::ALL
                .into_iter()
                .map(|t| (t, self.stats.today(Scope::QueueTier(queue, t))))
                .collect(),
            rolling_service_level: self.stats.rolling_service_level(Scope::Queue(queue), now),
            rolling_by_tier: Tier::ALL
                .into_iter()
                .map(|t| {
                    let scope = Scope::QueueTier(queue, t);
                    (t, self.stats.rolling_service_level(scope, now))
                })
                .collect(),
        })
    }

    async fn handle(&mut self, command: Command) {
        let now = self.clock.now();
        // Fire what is due first, so that queries never show a lapsed reservation even when
        // the command won the race against the timer in `select!`.
        let fired = self.core.handle_timeout(now);
        self.emit(fired).await;
        let core = &mut self.core;
        let (result, reply) = match command {
            Command::ConfigureQueues(q, r) => (core.configure_queues(now, q), r),
            Command::UpsertAgent(p, r) => (Ok(core.upsert_agent(now, p)), r),
            Command::Enqueue(c, r) => (core.handle_enqueue(now, c), r),
            Command::Restore(c, arrived, r) => (core.handle_restore(now, c, arrived), r),
            Command::Hangup(i, r) => (core.handle_hangup(now, i), r),
            Command::Cancel(i, r) => (core.handle_cancel(now, i), r),
            Command::Callback(i, r) => (core.handle_callback_request(now, i), r),
            Command::Presence(a, p, actor, r) => (core.handle_presence(now, a, p, actor), r),
            Command::Answer(a, o, r) => (core.handle_answer(now, a, o), r),
            Command::Reject(a, o, r) => (core.handle_reject(now, a, o), r),
            Command::ContactEnded(a, i, r) => (core.handle_contact_ended(now, a, i), r),
            Command::WrapUpDone(a, i, r) => (core.handle_wrap_up_done(now, a, i), r),
            Command::StartDay(t, r) => {
                self.stats.start_day(t);
                (Ok(Vec::new()), r)
            }
            Command::KnownSkills(skills, r) => {
                core.set_known_skills(skills);
                (Ok(Vec::new()), r)
            }
            Command::QueueStats(q, r) => {
                let _ = r.send(core.answer_queue_stats(&q, now, &self.stats));
                return;
            }
            Command::Queue(q, r) => {
                let _ = r.send(self.report(q, now));
                return;
            }
            Command::Queues(r) => {
                let ids: Vec<QueueId> = core.queue_configs().map(|q| q.id).collect();
                let _ = r.send(
                    ids.into_iter()
                        .filter_map(|q| self.report(q, now))
                        .collect(),
                );
                return;
            }
            Command::Agent(login, r) => {
                let _ = r.send(core.agent_view(&login));
                return;
            }
        };
        self.apply(result, reply).await;
    }
}

impl AcdHandle {
    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, AcdServiceError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| AcdServiceError::Stopped)?;
        rx.await.map_err(|_| AcdServiceError::Stopped)
    }

    async fn command(
        &self,
        make: impl FnOnce(Reply<()>) -> Command,
    ) -> Result<(), AcdServiceError> {
        Ok(self.call(make).await??)
    }

    /// Live events for supervisors' views (a viewer that lags may miss some).
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<AcdEvent> {
        self.live.subscribe()
    }

    /// Replaces the queue set (validated; every problem reported).
    pub async fn configure_queues(&self, queues: Vec<QueueConfig>) -> Result<(), AcdServiceError> {
        self.command(|r| Command::ConfigureQueues(queues, r)).await
    }

    /// Adds or updates an agent's profile.
    pub async fn upsert_agent(&self, profile: AgentProfile) -> Result<(), AcdServiceError> {
        self.command(|r| Command::UpsertAgent(profile, r)).await
    }

    /// Queues a contact.
    pub async fn enqueue(&self, contact: NewContact) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Enqueue(contact, r)).await
    }

    /// Re-admits a contact after a restart with its original arrival time (recovery; call
    /// oldest first, before new arrivals).
    pub async fn restore(
        &self,
        contact: NewContact,
        arrived: Timestamp,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Restore(contact, arrived, r))
            .await
    }

    /// The customer left: abandon while waiting or offered (except a call-back, which keeps
    /// its place), end of conversation if answered.
    pub async fn hangup(&self, interaction: InteractionId) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Hangup(interaction, r)).await
    }

    /// Withdraws a contact that is not yet answered (a cancelled call-back, a chat closed
    /// by the channel); it counts as abandoned.
    pub async fn cancel(&self, interaction: InteractionId) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Cancel(interaction, r)).await
    }

    /// The customer asked for a call-back and keeps their place.
    pub async fn request_callback(
        &self,
        interaction: InteractionId,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Callback(interaction, r)).await
    }

    /// Changes an agent's presence (ready, not ready with a reason, logged out).
    pub async fn set_presence(
        &self,
        agent: AgentId,
        to: Presence,
        actor: Actor,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Presence(agent, to, actor, r))
            .await
    }

    /// The agent accepts an offer.
    pub async fn answer(&self, agent: AgentId, offer: OfferId) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Answer(agent, offer, r)).await
    }

    /// The agent declines an offer.
    pub async fn reject(&self, agent: AgentId, offer: OfferId) -> Result<(), AcdServiceError> {
        self.command(|r| Command::Reject(agent, offer, r)).await
    }

    /// The conversation ended; wrap-up starts.
    pub async fn contact_ended(
        &self,
        agent: AgentId,
        interaction: InteractionId,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::ContactEnded(agent, interaction, r))
            .await
    }

    /// The agent finished after-contact work.
    pub async fn wrap_up_done(
        &self,
        agent: AgentId,
        interaction: InteractionId,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::WrapUpDone(agent, interaction, r))
            .await
    }

    /// A new statistics day starts at `day_start`.
    pub async fn start_day(&self, day_start: Timestamp) -> Result<(), AcdServiceError> {
        self.command(|r| Command::StartDay(day_start, r)).await
    }

    /// Replaces the skill catalogue queues are checked against (skills appear as agents get
    /// them); takes effect at the next `configure_queues`.
    pub async fn set_known_skills(
        &self,
        skills: BTreeSet<SkillName>,
    ) -> Result<(), AcdServiceError> {
        self.command(|r| Command::KnownSkills(skills, r)).await
    }

    /// The IVR's question about a queue.
    pub async fn queue_stats(
        &self,
        request: QueueStatsRequest,
    ) -> Result<QueueStatsAnswer, AcdServiceError> {
        self.call(|r| Command::QueueStats(request, r)).await
    }

    /// One queue's report.
    pub async fn queue(&self, queue: QueueId) -> Result<Option<QueueReport>, AcdServiceError> {
        self.call(|r| Command::Queue(queue, r)).await
    }

    /// Every queue's report (a snapshot).
    pub async fn snapshot(&self) -> Result<Vec<QueueReport>, AcdServiceError> {
        self.call(Command::Queues).await
    }

    /// One agent's view.
    pub async fn agent(&self, login: AgentLogin) -> Result<Option<AgentView>, AcdServiceError> {
        self.call(|r| Command::Agent(login, r)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::event::{AcdEventKind, OfferOutcome};
    use crate::acd::queue::Strategy;
    use crate::acd::testkit::{aid, cid, profile, qid, queue};
    use crate::domain::{Channel, QueueName};

    async fn started(log_capacity: usize) -> (AcdHandle, mpsc::Receiver<AcdEvent>) {
        let (log, log_rx) = mpsc::channel(log_capacity);
        let acd = spawn(
            AcdConfig::default(),
            Timestamp::from_millis(1_000_000),
            Stats::new(Timestamp::from_millis(0)),
            log,
        );
        let q = queue(0, Channel::Voice, &[], Strategy::LongestIdle);
        acd.configure_queues(vec![q]).await.expect("valid queue");
        acd.upsert_agent(profile(0, &[], &[])).await.expect("agent");
        (acd, log_rx)
    }

    async fn next_offer(log: &mut mpsc::Receiver<AcdEvent>) -> (OfferId, Timestamp) {
        loop {
            let e = log.recv().await.expect("service running");
            if let AcdEventKind::Offered {
                offer, deadline, ..
            } = e.kind
            {
                return (offer, deadline);
            }
        }
    }

    fn contact(n: usize) -> NewContact {
        NewContact {
            interaction: cid(n),
            queue: qid(0),
            tier: Tier::Gold,
            account_manager: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ring_no_answer_fires_on_the_service_timer() {
        let (acd, mut log) = started(64).await;
        acd.set_presence(aid(0), Presence::Ready, Actor::Agent(aid(0)))
            .await
            .expect("ready");
        acd.enqueue(contact(1)).await.expect("enqueue");
        let (offer, deadline) = next_offer(&mut log).await;
        assert_eq!(deadline, Timestamp::from_millis(1_010_000));
        // No command: the service's own timer expires the offer at the deadline.
        let e = log.recv().await.expect("event");
        assert_eq!(e.at, deadline);
        assert!(matches!(
            e.kind,
            AcdEventKind::OfferEnded { outcome: OfferOutcome::Missed, offer: o, .. } if o == offer
        ));
        assert!(matches!(
            acd.answer(aid(0), offer).await,
            Err(AcdServiceError::Refused(_))
        ));
        let report = acd.queue(qid(0)).await.expect("running").expect("queue");
        assert_eq!(report.live.waiting.len(), 1);
        assert_eq!(report.live.waiting[0].position, 1);
        assert_eq!(report.today.offered, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn answered_contact_completes_on_the_wrap_up_timer_and_counts() {
        let (acd, mut log) = started(64).await;
        let mut live = acd.subscribe();
        acd.set_presence(aid(0), Presence::Ready, Actor::Agent(aid(0)))
            .await
            .expect("ready");
        acd.enqueue(contact(1)).await.expect("enqueue");
        let (offer, _) = next_offer(&mut log).await;
        tokio::time::advance(Duration::from_secs(3)).await;
        acd.answer(aid(0), offer).await.expect("answer");
        tokio::time::advance(Duration::from_secs(60)).await;
        acd.contact_ended(aid(0), cid(1)).await.expect("end");
        // Wrap-up is 5 s; waiting on the log lets paused time run to the timer.
        let done = loop {
            let e = log.recv().await.expect("event");
            if let AcdEventKind::Completed { handle_time, .. } = e.kind {
                break handle_time;
            }
        };
        assert_eq!(done, Duration::from_secs(65));
        let reports = acd.snapshot().await.expect("running");
        let today = reports[0].today;
        assert_eq!(
            (today.answered, today.answered_in_target, today.handled),
            (1, 1, 1)
        );
        assert_eq!(today.asa(), Some(Duration::from_secs(3)));
        assert_eq!(reports[0].rolling_service_level, Some(1.0));
        assert_eq!(reports[0].rolling_by_tier[1], (Tier::Gold, Some(1.0)));
        assert_eq!(reports[0].rolling_by_tier[0], (Tier::Diamond, None));
        let answer = acd
            .queue_stats(QueueStatsRequest {
                queue: QueueName::parse("q0").expect("name"),
            })
            .await
            .expect("running");
        assert_eq!(
            (answer.known, answer.agents_ready, answer.waiting),
            (true, 1, 0)
        );
        assert!(matches!(
            live.recv().await.map(|e| e.kind),
            Ok(AcdEventKind::PresenceChanged { .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_query_at_the_deadline_never_shows_the_lapsed_offer() {
        let (acd, mut log) = started(64).await;
        acd.set_presence(aid(0), Presence::Ready, Actor::Agent(aid(0)))
            .await
            .expect("ready");
        acd.enqueue(contact(1)).await.expect("enqueue");
        next_offer(&mut log).await;
        tokio::spawn(async move { while log.recv().await.is_some() {} });
        for _ in 0..20 {
            // Step to exactly the deadline and ask at once, many times over.
            tokio::time::advance(Duration::from_secs(10)).await;
            let report = acd.queue(qid(0)).await.expect("running").expect("queue");
            assert_eq!(
                report.live.waiting[0].state,
                crate::acd::view::WaitingState::Waiting
            );
            acd.set_presence(aid(0), Presence::Ready, Actor::Agent(aid(0)))
                .await
                .expect("back to ready");
            let agent = acd
                .agent(AgentLogin::parse("agent0").expect("login"))
                .await
                .expect("running")
                .expect("agent");
            assert_eq!(agent.slots.len(), 1, "offered again at once");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_log_writer_slows_the_acd_but_loses_nothing() {
        let (acd, mut log) = started(1).await;
        let producer = tokio::spawn(async move {
            for n in 0..50 {
                acd.enqueue(contact(n)).await.expect("enqueue");
            }
            acd
        });
        let mut enqueued = 0;
        while enqueued < 50 {
            if let Some(AcdEventKind::Enqueued { .. }) = log.recv().await.map(|e| e.kind) {
                enqueued += 1;
            }
        }
        let acd = producer.await.expect("producer");
        let agent = acd
            .agent(AgentLogin::parse("agent0").expect("login"))
            .await
            .expect("running")
            .expect("agent");
        assert_eq!(agent.presence, Presence::LoggedOut);
    }
}
