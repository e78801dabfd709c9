//! Property test: for random small flows that validate and any events, `step` never panics,
//! never aborts, stays within a bounded number of actions per event, and after every event
//! the run has ended or waits on a prompt still playing or a timer still set (so it never
//! spins without something that waits for time or input).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::domain::DialPlan;
use crate::ivr::flow::parse;
use crate::ivr::validate::{Known, validate};

/// One generated node: kind, three successor choices, a parameter.
type NodeSpec = (u8, [u8; 3], u8);

fn node_text(out: &mut String, i: usize, n: usize, (kind, t, extra): NodeSpec) {
    let chain = if i + 1 < n {
        i + 1
    } else {
        usize::from(t[0]) % n
    };
    let [a, b] = [usize::from(t[1]) % n, usize::from(t[2]) % n];
    let e = extra;
    let body = match kind % 13 {
        0 => format!("type = \"play\"\nprompts = \"p\"\nnext = \"n{chain}\""),
        1 => format!(
            "type = \"menu\"\nprompts = \"p\"\non_1 = \"n{chain}\"\non_2 = \"n{a}\"\nnext = \"n{b}\"\nretries = {}\ntimeout_secs = {}",
            e % 3,
            1 + e % 5
        ),
        2 => format!(
            "type = \"collect\"\nvar = \"d\"\n{}min_digits = {}\nmax_digits = {}\nsensitive = {}\nretries = {}\nnext = \"n{chain}\"\non_timeout = \"n{a}\"",
            if e % 2 == 1 { "prompts = \"p\"\n" } else { "" },
            1 + e % 3,
            3 + e % 3,
            e % 2 == 0,
            e % 2
        ),
        3 => format!(
            "type = \"lookup\"\nby = \"caller\"\nnext = \"n{chain}\"\non_not_found = \"n{a}\""
        ),
        4 => {
            let cond = match e % 5 {
                0 => "var = \"language\", op = \"==\", value = \"en\"",
                1 => "tier = [\"gold\"]",
                2 => "is_set = \"customer.id\"",
                3 => "open = \"s\"",
                _ => "queue = \"q\", stat = \"agents_ready\", op = \">\", value = 0",
            };
            format!(
                "type = \"branch\"\ncase = [{{ {cond}, next = \"n{a}\" }}]\nnext = \"n{chain}\""
            )
        }
        5 => format!("type = \"set\"\nvars = {{ x = {e} }}\nnext = \"n{chain}\""),
        6 => format!(
            "type = \"http\"\nurl = \"http://fep\"\nsend = [\"caller\"]\nfields = {{ b = {{ from = \"b\", type = \"amount\" }} }}\nnext = \"n{chain}\"\non_failure = \"n{a}\""
        ),
        7 => format!("type = \"say\"\nwhat = \"digits\"\nvar = \"caller\"\nnext = \"n{chain}\""),
        8 => "type = \"enqueue\"\nqueue = \"q\"".to_owned(),
        9 => "type = \"hangup\"".to_owned(),
        10 => "type = \"voicemail\"\nqueue = \"q\"".to_owned(),
        11 => "type = \"callback\"\nqueue = \"q\"".to_owned(),
        _ => "type = \"transfer\"\nflow = \"other\"".to_owned(),
    };
    let _ = write!(out, "\n[[node]]\nid = \"n{i}\"\n{body}\n");
}

fn flow_text(nodes: &[NodeSpec]) -> String {
    let mut out = String::from(
        "[flow]\nstart = \"n0\"\nlanguages = [\"zh\", \"en\"]\n\n[prompts]\np = { zh = \"嗯\", en = \"Hm\" }\n\n[schedules.s]\nweekly = [{ days = [\"mon\"], open = \"09:00\", close = \"10:00\" }]\n",
    );
    for (i, spec) in nodes.iter().enumerate() {
        node_text(&mut out, i, nodes.len(), *spec);
    }
    out
}

/// An event, some resolved against what the run waits for.
#[derive(Debug, Clone)]
enum EvSpec {
    Key(u8),
    FinishCurrent,
    FireCurrent,
    FinishAny(u8),
    FireAny(u8),
    Lookup(u8),
    Http(u8),
    Stats(u8),
    HungUp,
}

fn ev_spec() -> impl Strategy<Value = EvSpec> {
    prop_oneof![
        4 => (0u8..16).prop_map(EvSpec::Key),
        4 => Just(EvSpec::FinishCurrent),
        3 => Just(EvSpec::FireCurrent),
        1 => any::<u8>().prop_map(EvSpec::FinishAny),
        1 => any::<u8>().prop_map(EvSpec::FireAny),
        2 => (0u8..3).prop_map(EvSpec::Lookup),
        2 => (0u8..4).prop_map(EvSpec::Http),
        1 => (0u8..3).prop_map(EvSpec::Stats),
        1 => Just(EvSpec::HungUp),
    ]
}

fn resolve(spec: &EvSpec, state: &IvrState) -> IvrEvent {
    match spec {
        EvSpec::Key(k) => {
            IvrEvent::Digit(DtmfDigit::from_event_code(*k).unwrap_or(DtmfDigit::Pound))
        }
        EvSpec::FinishCurrent => match state.waiting_for() {
            Some(Waiting::Prompt(id)) => IvrEvent::PromptFinished(id),
            _ => IvrEvent::PromptFinished(PlayId(0)),
        },
        EvSpec::FireCurrent => match state.waiting_for() {
            Some(Waiting::Timer(id)) => IvrEvent::TimerFired(id),
            _ => IvrEvent::TimerFired(TimerId(0)),
        },
        EvSpec::FinishAny(n) => IvrEvent::PromptFinished(PlayId(u64::from(*n))),
        EvSpec::FireAny(n) => IvrEvent::TimerFired(TimerId(u64::from(*n))),
        EvSpec::Lookup(0) => IvrEvent::LookupResult(LookupOutcome::NotFound),
        EvSpec::Lookup(1) => IvrEvent::LookupResult(LookupOutcome::Failed),
        EvSpec::Lookup(_) => IvrEvent::LookupResult(LookupOutcome::Found(CustomerProfile {
            id: CustomerId::from_uuid(uuid::Uuid::nil()),
            name: "Sun Li".into(),
            tier: Tier::Gold,
            account_manager: AgentLogin::parse("li.wei").ok(),
            risk: None,
        })),
        EvSpec::Http(0) => IvrEvent::HttpResult(HttpOutcome::Failed),
        EvSpec::Http(1) => IvrEvent::HttpResult(HttpOutcome::TimedOut),
        EvSpec::Http(2) => IvrEvent::HttpResult(HttpOutcome::Ok(
            [("b".to_owned(), "oops".to_owned())].into(),
        )),
        EvSpec::Http(_) => IvrEvent::HttpResult(HttpOutcome::Ok(
            [("b".to_owned(), "12.50".to_owned())].into(),
        )),
        EvSpec::Stats(ready) => IvrEvent::QueueStats(QueueStatsAnswer {
            queue: QueueName::parse("q").expect("valid name"),
            known: true,
            agents_ready: u32::from(*ready),
            agents_logged_in: 3,
            waiting: 1,
            estimated_wait: Duration::from_secs(30),
        }),
        EvSpec::HungUp => IvrEvent::HungUp,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn validated_flows_always_wait_or_end(
        nodes in proptest::collection::vec((0u8..13, any::<[u8; 3]>(), any::<u8>()), 1..7),
        events in proptest::collection::vec(ev_spec(), 0..60),
        monday in any::<bool>(),
    ) {
        let text = flow_text(&nodes);
        let flow = parse("gen.toml", &text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        if !validate(&flow, &Known::default()).is_empty() {
            return Ok(()); // only flows that validate are promised anything
        }
        let t0 = Instant::now();
        let at = if monday { "2026-11-23T09:30" } else { "2026-11-24T09:30" };
        let start = IvrEvent::Started {
            caller: PhoneNumber::parse("+8613800000000", &DialPlan::default()).ok(),
            dialled: "8000".into(),
            local_time: at.parse().expect("valid time"),
        };
        let mut state = IvrState::new();
        let mut live: BTreeSet<Waiting> = BTreeSet::new();
        let bound = 64 + 8 * nodes.len() * (TYPE_AHEAD_MAX + 1);
        let script = std::iter::once(None).chain(events.iter().map(Some));
        for (i, spec) in script.enumerate() {
            let event = spec.map_or_else(|| start.clone(), |s| resolve(s, &state));
            let now = t0 + Duration::from_secs(u64::try_from(i).unwrap_or(0));
            // A prompt that finished or a timer that fired no longer holds the run.
            match &event {
                IvrEvent::PromptFinished(id) => { live.remove(&Waiting::Prompt(*id)); }
                IvrEvent::TimerFired(id) => { live.remove(&Waiting::Timer(*id)); }
                _ => {}
            }
            let (next, actions) = step(&flow, state, event, now);
            state = next;
            prop_assert!(actions.len() <= bound, "{} actions in one step\n{text}", actions.len());
            for a in &actions {
                prop_assert!(!matches!(a, IvrAction::Log(IvrLog::Aborted { .. })), "aborted\n{text}");
                match a {
                    IvrAction::Play { id, .. } => { live.insert(Waiting::Prompt(*id)); }
                    IvrAction::SetTimer { id, .. } => { live.insert(Waiting::Timer(*id)); }
                    IvrAction::StopPlaying => live.retain(|w| !matches!(w, Waiting::Prompt(_))),
                    IvrAction::CancelTimer(id) => { live.remove(&Waiting::Timer(*id)); }
                    _ => {}
                }
            }
            if !state.is_done() {
                let waiting = state.waiting_for();
                prop_assert!(
                    waiting.is_some_and(|w| live.contains(&w)),
                    "run neither ended nor waits on a live prompt or timer: {state:?}\n{text}"
                );
            }
        }
    }
}

#[test]
fn the_generator_yields_flows_that_validate() {
    // A fixed pseudo-random sample (LCG) of the same shapes the property draws from.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        u8::try_from(seed >> 56).unwrap_or(0)
    };
    let mut valid = 0;
    for _ in 0..200 {
        let n = 1 + usize::from(next() % 6);
        let nodes: Vec<NodeSpec> = (0..n)
            .map(|_| (next() % 13, [next(), next(), next()], next()))
            .collect();
        let flow = parse("gen.toml", &flow_text(&nodes)).expect("generated flows parse");
        if validate(&flow, &Known::default()).is_empty() {
            valid += 1;
        }
    }
    assert!(valid >= 40, "only {valid} of 200 generated flows validate");
}
