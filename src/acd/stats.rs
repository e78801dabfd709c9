//! Live statistics folded from `AcdEvent`s, per queue and per tier: offered, answered and
//! abandoned counts, service level (rolling 15 minutes and today), ASA, AHT and abandon
//! rate. Formulas are written down in `docs/acd.md`; each is a method here.
//!
//! Pure: no I/O, no clock. "Today" starts at a boundary the caller passes in
//! ([`Stats::start_day`]); rolling windows are measured back from the `now` a query gives.
//! This file does not look at the core's state (`acd::view` does: waiting contacts, agents).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::domain::{QueueId, Tier, Timestamp};

use super::event::{AcdEvent, AcdEventKind};
use super::queue::OverflowTarget;

/// The rolling service-level window.
pub const ROLLING_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Counts and sums for one (queue, tier) over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Contacts that arrived (or overflowed in).
    pub offered: u64,
    /// Contacts answered by an agent.
    pub answered: u64,
    /// Answered within their tier's service-level target.
    pub answered_in_target: u64,
    /// Contacts whose customer left before an answer.
    pub abandoned: u64,
    /// Abandoned after waiting longer than the target.
    pub abandoned_after_target: u64,
    /// Contacts that overflowed out to another queue, voicemail or call-back.
    pub overflowed: u64,
    /// Sum of waits of answered contacts.
    pub answer_wait: Duration,
    /// Contacts completed (wrap-up done).
    pub handled: u64,
    /// Sum of handle times (answer to end of wrap-up) of completed contacts.
    pub handle_time: Duration,
}

fn div(total: Duration, n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::from_millis(u64::try_from(total.as_millis()).unwrap_or(u64::MAX) / n))
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
    (den > 0).then(|| num as f64 / den as f64)
}

impl Counters {
    /// Service level: answered in target / (answered + abandoned after target).
    #[must_use]
    pub fn service_level(&self) -> Option<f64> {
        ratio(
            self.answered_in_target,
            self.answered + self.abandoned_after_target,
        )
    }

    /// Average speed of answer: total wait of answered contacts / answered.
    #[must_use]
    pub fn asa(&self) -> Option<Duration> {
        div(self.answer_wait, self.answered)
    }

    /// Average handle time: total handle time / completed contacts.
    #[must_use]
    pub fn aht(&self) -> Option<Duration> {
        div(self.handle_time, self.handled)
    }

    /// Abandon rate: abandoned / (answered + abandoned).
    #[must_use]
    pub fn abandon_rate(&self) -> Option<f64> {
        ratio(self.abandoned, self.answered + self.abandoned)
    }

    fn add(&mut self, other: &Counters) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.answered_in_target += other.answered_in_target;
        self.abandoned += other.abandoned;
        self.abandoned_after_target += other.abandoned_after_target;
        self.overflowed += other.overflowed;
        self.answer_wait += other.answer_wait;
        self.handled += other.handled;
        self.handle_time += other.handle_time;
    }
}

/// An answered or abandoned contact, kept for the rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    at: Timestamp,
    queue: QueueId,
    tier: Tier,
    answered: bool,
    /// Answered in target, or abandoned after target.
    counted: bool,
}

/// Which contacts a figure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One queue, every tier.
    Queue(QueueId),
    /// One tier, every queue.
    Tier(Tier),
    /// One tier in one queue.
    QueueTier(QueueId, Tier),
}

impl Scope {
    fn covers(self, queue: QueueId, tier: Tier) -> bool {
        match self {
            Scope::Queue(q) => q == queue,
            Scope::Tier(t) => t == tier,
            Scope::QueueTier(q, t) => q == queue && t == tier,
        }
    }
}

/// Today's counters and the rolling window, folded from events.
#[derive(Debug, Clone)]
pub struct Stats {
    day_start: Timestamp,
    today: BTreeMap<(QueueId, Tier), Counters>,
    recent: VecDeque<Outcome>,
}

impl Stats {
    /// Empty statistics for the day starting at `day_start`.
    #[must_use]
    pub fn new(day_start: Timestamp) -> Self {
        Self {
            day_start,
            today: BTreeMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// Starts a new day: today's counters restart from zero (the rolling window goes on).
    pub fn start_day(&mut self, day_start: Timestamp) {
        if day_start > self.day_start {
            self.day_start = day_start;
            self.today.clear();
        }
    }

    /// When the current day started.
    #[must_use]
    pub fn day_start(&self) -> Timestamp {
        self.day_start
    }

    /// Folds one event in. Events before the day start count only in the rolling window.
    pub fn handle_event(&mut self, e: &AcdEvent) {
        let today = e.at >= self.day_start;
        match &e.kind {
            AcdEventKind::Enqueued { queue, tier, .. } => {
                if let Some(c) = self.counters(today, *queue, *tier) {
                    c.offered += 1;
                }
            }
            AcdEventKind::Answered {
                queue,
                tier,
                waited,
                sl_target,
                ..
            } => {
                let within = waited <= sl_target;
                if let Some(c) = self.counters(today, *queue, *tier) {
                    c.answered += 1;
                    c.answered_in_target += u64::from(within);
                    c.answer_wait += *waited;
                }
                self.push(e.at, *queue, *tier, true, within);
            }
            AcdEventKind::Abandoned {
                queue,
                tier,
                waited,
                sl_target,
                ..
            } => {
                let late = waited > sl_target;
                if let Some(c) = self.counters(today, *queue, *tier) {
                    c.abandoned += 1;
                    c.abandoned_after_target += u64::from(late);
                }
                self.push(e.at, *queue, *tier, false, late);
            }
            AcdEventKind::Overflowed { from, to, tier, .. } => {
                if let Some(c) = self.counters(today, *from, *tier) {
                    c.overflowed += 1;
                }
                if let OverflowTarget::Queue(q) = to
                    && let Some(c) = self.counters(today, *q, *tier)
                {
                    c.offered += 1;
                }
            }
            AcdEventKind::Completed {
                queue,
                tier,
                handle_time,
                ..
            } => {
                if let Some(c) = self.counters(today, *queue, *tier) {
                    c.handled += 1;
                    c.handle_time += *handle_time;
                }
            }
            _ => {}
        }
        self.prune(e.at);
    }

    fn counters(&mut self, today: bool, queue: QueueId, tier: Tier) -> Option<&mut Counters> {
        today.then(|| self.today.entry((queue, tier)).or_default())
    }

    fn push(&mut self, at: Timestamp, queue: QueueId, tier: Tier, answered: bool, counted: bool) {
        self.recent.push_back(Outcome {
            at,
            queue,
            tier,
            answered,
            counted,
        });
    }

    fn prune(&mut self, now: Timestamp) {
        while self
            .recent
            .front()
            .is_some_and(|o| now.since(o.at) > ROLLING_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    /// Today's counters summed over a scope.
    #[must_use]
    pub fn today(&self, scope: Scope) -> Counters {
        let mut sum = Counters::default();
        for ((q, t), c) in &self.today {
            if scope.covers(*q, *t) {
                sum.add(c);
            }
        }
        sum
    }

    /// Service level over the 15 minutes before `now`:
    /// answered in target / (answered + abandoned after target) in the window.
    #[must_use]
    pub fn rolling_service_level(&self, scope: Scope, now: Timestamp) -> Option<f64> {
        let (mut num, mut den) = (0, 0);
        for o in self.recent.iter().filter(|o| {
            scope.covers(o.queue, o.tier) && now.since(o.at) <= ROLLING_WINDOW && o.at <= now
        }) {
            if o.answered {
                den += 1;
                num += u64::from(o.counted);
            } else if o.counted {
                den += 1;
            }
        }
        ratio(num, den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::event::{Actor, Cause};
    use crate::acd::testkit::{aid, cid, id, qid};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000)
    }

    fn ev(secs: i64, kind: AcdEventKind) -> AcdEvent {
        AcdEvent {
            at: at(secs),
            actor: Actor::System,
            cause: Cause::Routing,
            kind,
        }
    }

    fn enq(n: usize, secs: i64, tier: Tier) -> AcdEvent {
        ev(
            secs,
            AcdEventKind::Enqueued {
                interaction: cid(n),
                queue: qid(0),
                channel: crate::domain::Channel::Voice,
                tier,
                priority: 10,
                reserved_for: None,
            },
        )
    }

    fn answered(n: usize, secs: i64, waited: u64, tier: Tier) -> AcdEvent {
        ev(
            secs,
            AcdEventKind::Answered {
                offer: id(1),
                interaction: cid(n),
                queue: qid(0),
                tier,
                agent: aid(0),
                waited: Duration::from_secs(waited),
                sl_target: Duration::from_secs(20),
            },
        )
    }

    fn abandoned(n: usize, secs: i64, waited: u64) -> AcdEvent {
        ev(
            secs,
            AcdEventKind::Abandoned {
                interaction: cid(n),
                queue: qid(0),
                tier: Tier::Gold,
                waited: Duration::from_secs(waited),
                sl_target: Duration::from_secs(20),
            },
        )
    }

    fn completed(n: usize, secs: i64, handle: u64) -> AcdEvent {
        ev(
            secs,
            AcdEventKind::Completed {
                interaction: cid(n),
                queue: qid(0),
                tier: Tier::Gold,
                agent: aid(0),
                handle_time: Duration::from_secs(handle),
            },
        )
    }

    #[test]
    fn formulas_over_a_small_day() {
        let mut s = Stats::new(at(0));
        let events = [
            enq(1, 0, Tier::Gold),
            enq(2, 0, Tier::Gold),
            enq(3, 0, Tier::Gold),
            enq(4, 0, Tier::Gold),
            enq(5, 0, Tier::Diamond),
            answered(1, 10, 10, Tier::Gold),
            answered(2, 30, 30, Tier::Gold),
            abandoned(3, 5, 5),
            abandoned(4, 40, 40),
            completed(1, 200, 190),
            completed(2, 130, 100),
        ];
        for e in &events {
            s.handle_event(e);
        }
        let gold = s.today(Scope::Tier(Tier::Gold));
        assert_eq!((gold.offered, gold.answered, gold.abandoned), (4, 2, 2));
        // 1 in target / (2 answered + 1 abandoned after target).
        assert_eq!(gold.service_level(), Some(1.0 / 3.0));
        assert_eq!(gold.asa(), Some(Duration::from_secs(20)));
        assert_eq!(gold.aht(), Some(Duration::from_secs(145)));
        assert_eq!(gold.abandon_rate(), Some(0.5));
        assert_eq!(s.today(Scope::Queue(qid(0))).offered, 5);
        assert_eq!(s.today(Scope::QueueTier(qid(0), Tier::Diamond)).answered, 0);
        assert_eq!(s.today(Scope::Tier(Tier::Diamond)).service_level(), None);
        assert_eq!(
            s.rolling_service_level(Scope::Queue(qid(0)), at(200)),
            Some(1.0 / 3.0)
        );
        // 15 minutes later the window is empty; today still counts.
        assert_eq!(
            s.rolling_service_level(Scope::Queue(qid(0)), at(200 + 15 * 60)),
            None
        );
        s.start_day(at(86_400));
        assert_eq!(s.today(Scope::Queue(qid(0))), Counters::default());
    }
}
