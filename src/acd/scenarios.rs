//! Scenario and regression tests of the ACD core: the classic races (two agents freeing at
//! once, hang-up during the offer, answer at the deadline, a third chat but no call), the
//! account manager window, escalation, overflow, cross-queue order, call-back in queue and
//! the strategies.
//!
//! Test-only; drives `AcdCore` on a virtual clock through `testkit::World`.

use std::time::Duration;

use crate::domain::{Channel, Tier};

use super::agent::{AgentError, Presence, ReasonCode};
use super::core::AcdError;
use super::event::{AcdEventKind, OfferOutcome, Rule};
use super::queue::{EscalationAction, OverflowTarget, Strategy};
use super::testkit::{World, aid, cid, profile, queue, step};

fn voice_world(agents: usize) -> World {
    let q = queue(0, Channel::Voice, &[("equities", 5)], Strategy::LongestIdle);
    let profiles = (0..agents)
        .map(|n| profile(n, &[("equities", 7)], &[]))
        .collect();
    World::new(vec![q], profiles)
}

#[test]
fn two_agents_freeing_at_the_same_instant_get_one_contact_between_them() {
    let mut w = voice_world(2);
    w.ready(0).expect("ready");
    w.ready(1).expect("ready");
    w.busy(0, 1, 0);
    w.busy(1, 2, 0);
    w.end(0, cid(1)).expect("end");
    w.end(1, cid(2)).expect("end");
    w.enqueue(3, 0, Tier::Standard, None).expect("enqueue");
    let mut offers = w.wrap_up_done(0, cid(1)).expect("done");
    offers.extend(w.wrap_up_done(1, cid(2)).expect("done"));
    assert_eq!(World::offered(&offers), [(cid(3), aid(0))]);
    assert!(w.slots_of(1).is_empty(), "the other agent stays free");
    assert!(w.core.agents[1].agent.can_take(Channel::Voice));
}

#[test]
fn caller_hanging_up_during_the_offer_releases_agent_and_contact_at_once() {
    let mut w = voice_world(1);
    w.ready(0).expect("ready");
    w.enqueue(1, 0, Tier::Gold, None).expect("enqueue");
    assert_eq!(w.offers_of(0).len(), 1);
    let ev = w.hangup(1).expect("hangup");
    let kinds: Vec<_> = ev.iter().map(|e| &e.kind).collect();
    assert!(matches!(
        kinds[0],
        AcdEventKind::OfferEnded {
            outcome: OfferOutcome::Withdrawn,
            ..
        }
    ));
    assert!(matches!(kinds[1], AcdEventKind::Abandoned { .. }));
    assert!(w.slots_of(0).is_empty());
    assert!(w.core.contacts.is_empty());
    // The stale offer timer fires later and changes nothing: no ring-no-answer.
    assert!(w.advance(60_000).is_empty());
    assert_eq!(*w.core.agents[0].agent.presence(), Presence::Ready);
}

#[test]
fn answer_at_the_deadline_is_too_late_and_the_contact_is_back_in_place() {
    for (late_ms, answered) in [(9_999, true), (10_000, false), (10_001, false)] {
        let mut w = voice_world(2);
        w.ready(0).expect("ready");
        w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
        w.enqueue(2, 0, Tier::Standard, None).expect("enqueue");
        let (_, offer) = w.offers_of(0)[0];
        w.now = crate::domain::Timestamp::from_millis(w.now.as_millis() + late_ms);
        let got = w.answer(0, offer);
        assert_eq!(got.is_ok(), answered, "answer {late_ms} ms after the offer");
        if answered {
            continue;
        }
        assert_eq!(
            got,
            Err(AcdError::Agent(AgentError::NoSuchOffer {
                agent: aid(0),
                offer
            }))
        );
        assert_eq!(
            *w.core.agents[0].agent.presence(),
            Presence::NotReady(ReasonCode::missed_offer())
        );
        // Back in its original place: ahead of contact 2, so the next agent gets it first.
        let ev = w.ready(1).expect("ready");
        assert_eq!(World::offered(&ev)[0], (cid(1), aid(1)));
    }
}

#[test]
fn an_agent_on_two_of_three_chats_is_offered_a_third_chat_but_no_call() {
    let voice = queue(0, Channel::Voice, &[("equities", 5)], Strategy::LongestIdle);
    let chat = queue(1, Channel::Chat, &[("equities", 5)], Strategy::LongestIdle);
    let mut w = World::new(vec![voice, chat], vec![profile(0, &[("equities", 7)], &[])]);
    w.ready(0).expect("ready");
    w.busy(0, 1, 1);
    w.busy(0, 2, 1);
    w.enqueue(3, 0, Tier::Diamond, None).expect("voice");
    assert!(w.offers_of(0).is_empty(), "an open chat blocks voice");
    let ev = w.enqueue(4, 1, Tier::Standard, None).expect("chat");
    assert_eq!(World::offered(&ev), [(cid(4), aid(0))]);
    let ev = w.enqueue(5, 1, Tier::Standard, None).expect("chat");
    assert!(
        World::offered(&ev).is_empty(),
        "three chats is the capacity"
    );
}

#[test]
fn account_manager_gets_the_customer_alone_then_the_pool() {
    let mut w = voice_world(2);
    w.ready(0).expect("ready");
    w.presence(
        1,
        Presence::NotReady(ReasonCode::parse("break").expect("code")),
    )
    .expect("not ready");
    // Manager 1 is logged in but on a break: agent 0 is free, yet the contact waits for 1.
    let ev = w.enqueue(1, 0, Tier::Diamond, Some(1)).expect("enqueue");
    assert!(matches!(
        ev[0].kind,
        AcdEventKind::Enqueued { reserved_for: Some(m), .. } if m == aid(1)
    ));
    assert!(World::offered(&ev).is_empty());
    let ev = w.ready(1).expect("ready");
    assert_eq!(World::offered(&ev), [(cid(1), aid(1))]);
    assert!(matches!(
        &ev.last().map(|e| &e.kind),
        Some(AcdEventKind::Offered { explanation, .. }) if explanation.rule == Rule::PreferredAgent
    ));
    let (_, offer) = w.offers_of(1)[0];
    w.answer(1, offer).expect("answer");
    // A second customer of manager 1, who is now busy: the window ends, the pool serves.
    w.enqueue(2, 0, Tier::Diamond, Some(1)).expect("enqueue");
    assert!(w.offers_of(0).is_empty());
    let ev = w.advance(15_000);
    assert_eq!(World::offered(&ev), [(cid(2), aid(0))]);
    // A logged-out manager is skipped at once.
    let ev = w
        .enqueue(3, 0, Tier::Diamond, Some(7))
        .expect("unknown manager");
    assert!(matches!(
        ev[0].kind,
        AcdEventKind::Enqueued {
            reserved_for: None,
            ..
        }
    ));
}

#[test]
fn escalation_relaxes_skills_then_overflows() {
    let mut q0 = queue(0, Channel::Voice, &[("equities", 8)], Strategy::LongestIdle);
    q0.steps = vec![
        step(10, EscalationAction::RelaxProficiency { by: 2 }),
        step(
            30,
            EscalationAction::Overflow(OverflowTarget::Queue(super::testkit::qid(1))),
        ),
    ];
    let q1 = queue(1, Channel::Voice, &[("bonds", 5)], Strategy::LongestIdle);
    let agents = vec![
        profile(0, &[("equities", 6)], &[]),
        profile(1, &[("bonds", 5)], &[]),
    ];
    let mut w = World::new(vec![q0, q1], agents);
    w.ready(0).expect("ready");
    w.ready(1).expect("ready");
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    assert!(w.offers_of(0).is_empty(), "6 < 8: not eligible yet");
    let ev = w.advance(10_000);
    assert_eq!(World::offered(&ev), [(cid(1), aid(0))]);
    // Agent 0 misses it; at 30 s it overflows to the bonds queue and agent 1; contact 2
    // overflows too, and waits there behind it.
    w.enqueue(2, 0, Tier::Standard, None).expect("enqueue");
    let ev = w.advance(30_000);
    assert_eq!(World::offered(&ev), [(cid(1), aid(1))]);
    assert_eq!(w.core.contacts[&cid(2)].queue, 1);
    assert_eq!(
        *w.core.agents[0].agent.presence(),
        Presence::NotReady(ReasonCode::missed_offer())
    );
}

#[test]
fn overflow_to_voicemail_leaves_the_acd() {
    let mut q0 = queue(0, Channel::Voice, &[("equities", 8)], Strategy::LongestIdle);
    q0.steps = vec![step(
        60,
        EscalationAction::Overflow(OverflowTarget::Voicemail),
    )];
    let mut w = World::new(vec![q0], vec![]);
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    let ev = w.advance(60_000);
    assert!(ev.iter().any(|e| matches!(
        e.kind,
        AcdEventKind::Overflowed { to: OverflowTarget::Voicemail, waited, .. } if waited == Duration::from_secs(60)
    )));
    assert!(w.core.contacts.is_empty());
    assert_eq!(w.core.poll_timeout(), None);
}

#[test]
fn freed_agent_takes_highest_priority_then_longest_waiting_across_queues() {
    let q0 = queue(0, Channel::Voice, &[("equities", 5)], Strategy::LongestIdle);
    let q1 = queue(1, Channel::Voice, &[("bonds", 5)], Strategy::LongestIdle);
    let agent = profile(0, &[("equities", 7), ("bonds", 7)], &[]);
    let mut w = World::new(vec![q0, q1], vec![agent]);
    w.enqueue(1, 0, Tier::Standard, None)
        .expect("q0 standard, first");
    w.advance(1);
    w.enqueue(2, 1, Tier::Standard, None)
        .expect("q1 standard, second");
    w.advance(1);
    w.enqueue(3, 1, Tier::Gold, None).expect("q1 gold, third");
    let mut order = Vec::new();
    let ev = w.ready(0).expect("ready");
    for _ in 0..3 {
        let (c, a) = World::offered(&w.events)[order.len()];
        assert_eq!(a, aid(0));
        order.push(c);
        let (_, offer) = w.offers_of(0)[0];
        w.answer(0, offer).expect("answer");
        w.end(0, c).expect("end");
        w.wrap_up_done(0, c).expect("done");
    }
    assert!(matches!(
        &ev.last().map(|e| &e.kind),
        Some(AcdEventKind::Offered { explanation, .. })
            if explanation.rule == Rule::CrossQueueOrder && explanation.eligible_contacts == 3
    ));
    assert_eq!(order, [cid(3), cid(1), cid(2)]);
}

#[test]
fn callback_request_keeps_the_place_and_is_offered_as_callback() {
    let mut w = voice_world(1);
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    w.enqueue(2, 0, Tier::Standard, None).expect("enqueue");
    w.core
        .handle_callback_request(w.now, cid(1))
        .expect("callback");
    let ev = w.ready(0).expect("ready");
    assert!(matches!(
        ev.last().map(|e| &e.kind),
        Some(AcdEventKind::Offered { interaction, callback: true, .. }) if *interaction == cid(1)
    ));
}

fn strategy_pick(strategy: Strategy) -> Vec<usize> {
    let q = queue(0, Channel::Chat, &[("funds", 3)], strategy);
    let agents = vec![
        profile(0, &[("funds", 5)], &[]),
        profile(1, &[("funds", 9)], &[]),
        profile(2, &[("funds", 7)], &[]),
    ];
    let mut w = World::new(vec![q], agents);
    w.ready(2).expect("ready");
    w.busy(2, 90, 0);
    for a in [0, 1] {
        w.advance(1000);
        w.ready(a).expect("ready");
    }
    w.advance(1000);
    let mut picks = Vec::new();
    for n in 0..4 {
        let ev = w.enqueue(n, 0, Tier::Standard, None).expect("enqueue");
        let (_, agent) = World::offered(&ev)[0];
        picks.push((0..3).find(|&a| aid(a) == agent).expect("known agent"));
    }
    picks
}

#[test]
fn strategies_pick_as_documented() {
    // Ready order 2, 0, 1; agent 2 already holds one chat; chats stay offered (capacity 3);
    // an offer counts as activity for longest idle.
    assert_eq!(strategy_pick(Strategy::LongestIdle), [2, 0, 1, 0]);
    assert_eq!(strategy_pick(Strategy::MostSkilled), [1, 1, 1, 2]);
    assert_eq!(strategy_pick(Strategy::LeastOccupied), [0, 1, 2, 0]);
    assert_eq!(strategy_pick(Strategy::RoundRobin), [0, 1, 2, 0]);
}

#[test]
fn leaving_ready_withdraws_offers_and_logging_out_with_work_is_refused() {
    let mut w = voice_world(2);
    w.ready(0).expect("ready");
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    let ev = w
        .presence(
            0,
            Presence::NotReady(ReasonCode::parse("break").expect("code")),
        )
        .expect("nr");
    assert!(
        ev.iter()
            .any(|e| matches!(e.kind, AcdEventKind::Requeued { .. }))
    );
    assert!(w.slots_of(0).is_empty());
    w.ready(1).expect("ready");
    let (_, offer) = w.offers_of(1)[0];
    w.answer(1, offer).expect("answer");
    assert!(matches!(
        w.presence(1, Presence::LoggedOut),
        Err(AcdError::Agent(AgentError::BusyCannotLogOut { .. }))
    ));
    w.end(1, cid(1)).expect("end");
    w.advance(5_000);
    assert!(w.slots_of(1).is_empty(), "wrap-up timer freed the slot");
    w.presence(1, Presence::LoggedOut).expect("logout");
}

#[test]
fn restored_contacts_keep_their_order_and_are_not_new_arrivals() {
    use super::core::NewContact;
    use super::stats::{Scope, Stats};
    use crate::domain::Timestamp;

    let mut q = queue(0, Channel::Voice, &[("equities", 5)], Strategy::LongestIdle);
    q.steps = vec![step(30, EscalationAction::RaisePriority { by: 50 })];
    let mut w = voice_world(1);
    w.core.configure_queues(w.now, vec![q]).expect("queue");
    let restore = |w: &mut World, n: usize, tier: Tier, arrived_ms: i64| {
        let contact = NewContact {
            interaction: cid(n),
            queue: super::testkit::qid(0),
            tier,
            account_manager: None,
        };
        let arrived = Timestamp::from_millis(w.now.as_millis() - arrived_ms);
        let ev = w
            .core
            .handle_restore(w.now, contact, arrived)
            .expect("restore");
        w.events.extend(ev);
    };
    // Oldest first: a standard contact that waited 40 s (its +50 step is due) and a gold
    // one that waited 5 s; then a new diamond arrival.
    restore(&mut w, 1, Tier::Standard, 40_000);
    restore(&mut w, 2, Tier::Gold, 5_000);
    w.enqueue(3, 0, Tier::Diamond, None).expect("new arrival");
    let mut stats = Stats::new(Timestamp::from_millis(0));
    for e in &w.events {
        stats.handle_event(e);
    }
    assert_eq!(stats.today(Scope::Queue(super::testkit::qid(0))).offered, 1);
    let ev = w.ready(0).expect("ready");
    assert_eq!(
        World::offered(&ev),
        [(cid(1), aid(0))],
        "60 beats diamond's 40"
    );
    assert!(
        w.core
            .agents
            .iter()
            .all(|a| a.agent.pending_offers().len() <= 1)
    );
}

#[test]
fn timer_events_of_a_refused_command_are_not_lost() {
    let mut w = voice_world(1);
    w.ready(0).expect("ready");
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    let (_, offer) = w.offers_of(0)[0];
    w.now = crate::domain::Timestamp::from_millis(w.now.as_millis() + 10_000);
    // The answer is refused, but the ring-no-answer it triggered must still come out.
    assert!(w.core.handle_answer(w.now, aid(0), offer).is_err());
    let fired = w.core.poll_events();
    assert!(fired.iter().any(|e| matches!(
        e.kind,
        AcdEventKind::OfferEnded {
            outcome: OfferOutcome::Missed,
            ..
        }
    )));
    assert!(w.core.poll_events().is_empty());
}

#[test]
fn not_ready_needs_a_configured_reason_code() {
    let mut w = voice_world(1);
    w.core.config.reason_codes = ["break", "training"]
        .iter()
        .map(|c| ReasonCode::parse(c).expect("code"))
        .collect();
    w.ready(0).expect("ready");
    let nap = ReasonCode::parse("nap").expect("well formed");
    assert_eq!(
        w.presence(0, Presence::NotReady(nap.clone())),
        Err(AcdError::UnknownReasonCode { code: nap })
    );
    let training = Presence::NotReady(ReasonCode::parse("training").expect("code"));
    w.presence(0, training).expect("configured code");
}

#[test]
fn reconfigured_queue_offers_waiting_contacts_to_newly_eligible_agents() {
    let strict = queue(0, Channel::Voice, &[("equities", 9)], Strategy::LongestIdle);
    let mut w = World::new(vec![strict], vec![profile(0, &[("equities", 7)], &[])]);
    w.ready(0).expect("ready");
    w.enqueue(1, 0, Tier::Standard, None).expect("enqueue");
    assert!(w.offers_of(0).is_empty());
    let relaxed = queue(0, Channel::Voice, &[("equities", 6)], Strategy::MostSkilled);
    let ev = w
        .core
        .configure_queues(w.now, vec![relaxed])
        .expect("valid");
    assert_eq!(World::offered(&ev), [(cid(1), aid(0))]);
    assert!(matches!(
        &ev[0].kind,
        AcdEventKind::Offered { explanation, .. }
            if explanation.rule == Rule::CrossQueueOrder && explanation.eligible_agents == 1
    ));
}
