//! Turns `AcdEvent`s into interaction-log events (agent presence on the agent's subject, every
//! contact transition on the interaction's subject, offers with their explanation) and reads
//! the stored ones back into the `AcdEvent`s that statistics need at recovery.
//!
//! Pure mapping: no I/O, no clock. It decides nothing; the ACD has decided.

use std::time::Duration;

use crate::acd::{
    AcdEvent, AcdEventKind, Actor as AcdActor, Cause, EscalationAction, Explanation, OfferOutcome,
    OverflowTarget, Presence, Rule, Score,
};
use crate::domain::{QueueId, Timestamp};
use crate::interaction_log::{Actor, EventBody, NewEvent, StoredEvent, Subject};

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn actor(a: AcdActor) -> Actor {
    match a {
        AcdActor::Agent(id) | AcdActor::Supervisor(id) => Actor::Agent(id),
        AcdActor::Customer => Actor::Customer,
        AcdActor::System | AcdActor::Channel => Actor::System,
    }
}

/// The stable word for a cause.
#[must_use]
pub fn cause_word(c: Cause) -> String {
    match c {
        Cause::PresenceCommand => "presence_command".into(),
        Cause::Arrival => "arrival".into(),
        Cause::Routing => "routing".into(),
        Cause::OfferAccepted => "offer_accepted".into(),
        Cause::OfferTimeout => "offer_timeout".into(),
        Cause::OfferDeclined => "offer_declined".into(),
        Cause::AgentUnavailable => "agent_unavailable".into(),
        Cause::CustomerLeft => "customer_left".into(),
        Cause::CallbackRequested => "callback_requested".into(),
        Cause::ContactEnded => "contact_ended".into(),
        Cause::WrapUpDone => "wrap_up_done".into(),
        Cause::WrapUpTimer => "wrap_up_timer".into(),
        Cause::Escalation { step } => format!("escalation_step_{step}"),
        Cause::PreferredWindowEnded => "preferred_window_ended".into(),
        Cause::Recovery => "recovery".into(),
    }
}

fn reason(p: &Presence) -> Option<String> {
    match p {
        Presence::NotReady(r) => Some(r.as_str().to_owned()),
        Presence::LoggedOut | Presence::Ready => None,
    }
}

fn score(s: Score) -> String {
    match s {
        Score::IdleFor(d) => format!("idle {} ms", ms(d)),
        Score::Proficiency(p) => format!("proficiency sum {p}"),
        Score::OccupancyPerMille(o) => format!("occupancy {o}/1000"),
        Score::Turn(t) => format!("round-robin turn {t}"),
        Score::Contact { priority, waited } => {
            format!("priority {priority}, waited {} ms", ms(waited))
        }
    }
}

/// One line saying why: the rule, the step, the eligible counts and the deciding scores.
#[must_use]
pub fn explain(e: &Explanation) -> String {
    let rule = match e.rule {
        Rule::PreferredAgent => "preferred agent".to_owned(),
        Rule::Strategy(s) => format!("strategy {}", s.as_str()),
        Rule::CrossQueueOrder => "cross-queue order".to_owned(),
    };
    let runner = e.runner_up.map_or_else(
        || "no competitor".to_owned(),
        |s| format!("runner-up {}", score(s)),
    );
    format!(
        "{rule}; step {}; {} eligible agents, {} eligible contacts; winner {}; {runner}",
        e.step,
        e.eligible_agents,
        e.eligible_contacts,
        score(e.winner)
    )
}

fn overflow_word(t: OverflowTarget) -> String {
    match t {
        OverflowTarget::Queue(q) => format!("queue:{q}"),
        OverflowTarget::Voicemail => "voicemail".into(),
        OverflowTarget::Callback => "callback".into(),
    }
}

/// The stable word for an escalation action (`relax_proficiency:2`, `overflow:voicemail`).
#[must_use]
pub fn action_word(a: &EscalationAction) -> String {
    match a {
        EscalationAction::RelaxProficiency { by } => format!("relax_proficiency:{by}"),
        EscalationAction::WidenGroups(g) => format!(
            "widen_groups:{}",
            g.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
        EscalationAction::RaisePriority { by } => format!("raise_priority:{by}"),
        EscalationAction::Overflow(t) => format!("overflow:{}", overflow_word(*t)),
    }
}

/// The interaction-log event for an ACD event.
#[must_use]
pub fn to_log_event(e: &AcdEvent) -> NewEvent {
    let (subject, body) = match &e.kind {
        AcdEventKind::PresenceChanged { agent, from, to } => (
            Subject::Agent(*agent),
            EventBody::AcdPresenceChanged {
                from: from.as_str().to_owned(),
                to: to.as_str().to_owned(),
                reason: reason(to),
                cause: cause_word(e.cause),
            },
        ),
        AcdEventKind::Enqueued {
            interaction,
            queue,
            tier,
            priority,
            reserved_for,
            ..
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdQueued {
                queue: *queue,
                tier: *tier,
                priority: *priority,
                reserved_for: *reserved_for,
                restored_from: None,
            },
        ),
        AcdEventKind::Restored {
            interaction,
            queue,
            tier,
            priority,
            arrived,
            reserved_for,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdQueued {
                queue: *queue,
                tier: *tier,
                priority: *priority,
                reserved_for: *reserved_for,
                restored_from: Some(arrived.as_millis()),
            },
        ),
        AcdEventKind::Offered {
            offer,
            interaction,
            queue,
            agent,
            deadline,
            callback,
            explanation,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdOffered {
                queue: *queue,
                agent: *agent,
                offer: offer.to_string(),
                deadline: deadline.as_millis(),
                callback: *callback,
                explanation: explain(explanation),
            },
        ),
        AcdEventKind::Answered {
            interaction,
            queue,
            tier,
            agent,
            waited,
            sl_target,
            ..
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdAnswered {
                queue: *queue,
                tier: *tier,
                agent: *agent,
                waited_ms: ms(*waited),
                sl_target_ms: ms(*sl_target),
            },
        ),
        AcdEventKind::OfferEnded {
            offer,
            interaction,
            agent,
            outcome,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdOfferEnded {
                agent: *agent,
                offer: offer.to_string(),
                outcome: match outcome {
                    OfferOutcome::Missed => "missed",
                    OfferOutcome::Declined => "declined",
                    OfferOutcome::Withdrawn => "withdrawn",
                }
                .to_owned(),
            },
        ),
        AcdEventKind::Requeued { interaction, queue } => (
            Subject::Interaction(*interaction),
            EventBody::AcdRequeued { queue: *queue },
        ),
        AcdEventKind::Escalated {
            interaction,
            queue,
            step,
            action,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdEscalated {
                queue: *queue,
                step: *step,
                action: action_word(action),
            },
        ),
        AcdEventKind::Overflowed {
            interaction,
            from,
            to,
            tier,
            waited,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdOverflowed {
                from: *from,
                to: overflow_word(*to),
                tier: *tier,
                waited_ms: ms(*waited),
            },
        ),
        AcdEventKind::Abandoned {
            interaction,
            queue,
            tier,
            waited,
            sl_target,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdAbandoned {
                queue: *queue,
                tier: *tier,
                waited_ms: ms(*waited),
                sl_target_ms: ms(*sl_target),
            },
        ),
        AcdEventKind::CallbackRequested { interaction, queue } => (
            Subject::Interaction(*interaction),
            EventBody::AcdCallbackRequested { queue: *queue },
        ),
        AcdEventKind::WrapUpStarted {
            interaction,
            agent,
            until,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdWrapUpStarted {
                agent: *agent,
                until: until.as_millis(),
            },
        ),
        AcdEventKind::Completed {
            interaction,
            queue,
            tier,
            agent,
            handle_time,
        } => (
            Subject::Interaction(*interaction),
            EventBody::AcdCompleted {
                queue: *queue,
                tier: *tier,
                agent: *agent,
                handle_time_ms: ms(*handle_time),
            },
        ),
    };
    NewEvent::new(subject, e.at, actor(e.actor), body)
}

/// The `AcdEvent` a stored event stands for, when statistics count it (arrivals, answers,
/// abandons, overflows, completions); `None` for everything else.
#[must_use]
pub fn stats_event(e: &StoredEvent) -> Option<AcdEvent> {
    let Subject::Interaction(interaction) = e.subject else {
        return None;
    };
    let d = Duration::from_millis;
    let kind = match &e.body {
        EventBody::AcdQueued {
            queue,
            tier,
            priority,
            reserved_for,
            restored_from: None,
        } => AcdEventKind::Enqueued {
            interaction,
            queue: *queue,
            // The channel is not read by statistics.
            channel: crate::domain::Channel::Voice,
            tier: *tier,
            priority: *priority,
            reserved_for: *reserved_for,
        },
        EventBody::AcdAnswered {
            queue,
            tier,
            agent,
            waited_ms,
            sl_target_ms,
        } => AcdEventKind::Answered {
            offer: crate::domain::OfferId::generate(),
            interaction,
            queue: *queue,
            tier: *tier,
            agent: *agent,
            waited: d(*waited_ms),
            sl_target: d(*sl_target_ms),
        },
        EventBody::AcdAbandoned {
            queue,
            tier,
            waited_ms,
            sl_target_ms,
        } => AcdEventKind::Abandoned {
            interaction,
            queue: *queue,
            tier: *tier,
            waited: d(*waited_ms),
            sl_target: d(*sl_target_ms),
        },
        EventBody::AcdOverflowed {
            from,
            to,
            tier,
            waited_ms,
        } => AcdEventKind::Overflowed {
            interaction,
            from: *from,
            to: parse_overflow(to)?,
            tier: *tier,
            waited: d(*waited_ms),
        },
        EventBody::AcdCompleted {
            queue,
            tier,
            agent,
            handle_time_ms,
        } => AcdEventKind::Completed {
            interaction,
            queue: *queue,
            tier: *tier,
            agent: *agent,
            handle_time: d(*handle_time_ms),
        },
        _ => return None,
    };
    Some(AcdEvent {
        at: e.occurred_at,
        actor: AcdActor::System,
        cause: Cause::Recovery,
        kind,
    })
}

/// Reads an overflow target word back (`queue:<id>`, `voicemail`, `callback`).
#[must_use]
pub fn parse_overflow(word: &str) -> Option<OverflowTarget> {
    match word {
        "voicemail" => Some(OverflowTarget::Voicemail),
        "callback" => Some(OverflowTarget::Callback),
        _ => word
            .strip_prefix("queue:")
            .and_then(|q| q.parse::<QueueId>().ok())
            .map(OverflowTarget::Queue),
    }
}

/// The UTC midnight at or before `t` (the start of "today" for statistics).
#[must_use]
pub fn utc_day_start(t: Timestamp) -> Timestamp {
    const DAY_MS: i64 = 86_400_000;
    Timestamp::from_millis(t.as_millis() - t.as_millis().rem_euclid(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgentId, InteractionId, Tier};

    fn check(kind: AcdEventKind, expected_kind: &str, counted: bool) {
        let e = AcdEvent {
            at: Timestamp::from_millis(1_000),
            actor: AcdActor::Customer,
            cause: Cause::CustomerLeft,
            kind,
        };
        let log = to_log_event(&e);
        assert_eq!(log.body.kind(), expected_kind);
        let json = log.body.to_json();
        let body = EventBody::from_json(&json).expect("round trip");
        let stored = StoredEvent {
            id: log.id,
            subject: log.subject,
            seq: 1,
            occurred_at: log.occurred_at,
            recorded_at: log.occurred_at,
            actor: log.actor,
            schema_version: 1,
            idempotency_key: None,
            body,
        };
        let back = stats_event(&stored);
        assert_eq!(back.is_some(), counted, "{expected_kind}");
        if let Some(back) = back {
            let mut a = crate::acd::Stats::new(Timestamp::from_millis(0));
            let mut b = crate::acd::Stats::new(Timestamp::from_millis(0));
            a.handle_event(&e);
            b.handle_event(&back);
            let q = crate::acd::Scope::Tier(Tier::Gold);
            assert_eq!(a.today(q), b.today(q), "{expected_kind}");
        }
    }

    #[test]
    fn events_map_to_log_kinds_and_stats_survive_the_round_trip() {
        let i = InteractionId::generate();
        let q = QueueId::generate();
        let a = AgentId::generate();
        let s = Duration::from_secs;
        check(
            AcdEventKind::Enqueued {
                interaction: i,
                queue: q,
                channel: crate::domain::Channel::Chat,
                tier: Tier::Gold,
                priority: 30,
                reserved_for: None,
            },
            "acd_queued",
            true,
        );
        check(
            AcdEventKind::Restored {
                interaction: i,
                queue: q,
                tier: Tier::Gold,
                priority: 30,
                arrived: Timestamp::from_millis(5),
                reserved_for: None,
            },
            "acd_queued",
            false,
        );
        check(
            AcdEventKind::Answered {
                offer: crate::domain::OfferId::generate(),
                interaction: i,
                queue: q,
                tier: Tier::Gold,
                agent: a,
                waited: s(12),
                sl_target: s(20),
            },
            "acd_answered",
            true,
        );
        check(
            AcdEventKind::Abandoned {
                interaction: i,
                queue: q,
                tier: Tier::Gold,
                waited: s(30),
                sl_target: s(20),
            },
            "acd_abandoned",
            true,
        );
        check(
            AcdEventKind::Overflowed {
                interaction: i,
                from: q,
                to: OverflowTarget::Queue(QueueId::generate()),
                tier: Tier::Gold,
                waited: s(60),
            },
            "acd_overflowed",
            true,
        );
        check(
            AcdEventKind::Completed {
                interaction: i,
                queue: q,
                tier: Tier::Gold,
                agent: a,
                handle_time: s(200),
            },
            "acd_completed",
            true,
        );
        check(
            AcdEventKind::Requeued {
                interaction: i,
                queue: q,
            },
            "acd_requeued",
            false,
        );
    }

    #[test]
    fn overflow_words_read_back() {
        let q = QueueId::generate();
        for t in [
            OverflowTarget::Queue(q),
            OverflowTarget::Voicemail,
            OverflowTarget::Callback,
        ] {
            assert_eq!(parse_overflow(&overflow_word(t)), Some(t));
        }
        assert_eq!(parse_overflow("queue:nope"), None);
    }

    #[test]
    fn day_starts_at_utc_midnight() {
        assert_eq!(
            utc_day_start(Timestamp::from_millis(86_400_000 * 3 + 5)),
            Timestamp::from_millis(86_400_000 * 3)
        );
    }
}
