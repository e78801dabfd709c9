//! Interpreter tables: a script of events in (on a virtual clock), the actions out, for every
//! node kind including timeouts, retries, invalid input and failure exits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::*;
use crate::domain::{AgentLogin, CustomerId, DialPlan};
use crate::ivr::flow::parse;
use crate::ivr::validate::{Known, validate};

pub(crate) const TEST_FLOW: &str = r#"
[flow]
start = "welcome"
languages = ["zh", "en"]

[prompts]
welcome = { zh = "欢迎", en = "Welcome" }
menu = { zh = "菜单", en = "Menu" }
sorry = { zh = "无效", en = "Invalid" }
again = { zh = "请输入", en = "Please press" }
pin = { zh = "密码", en = "PIN" }
balance_is = { zh = "余额", en = "Your balance is" }
bye = { zh = "再见", en = "Bye" }

[schedules.hours]
weekly = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]

[[node]]
id = "welcome"
type = "play"
prompts = "welcome"
next = "who"

[[node]]
id = "who"
type = "lookup"
by = "caller"
next = "vip_check"
on_not_found = "main"

[[node]]
id = "vip_check"
type = "branch"
case = [{ tier = ["diamond"], next = "vip" }]
next = "main"

[[node]]
id = "vip"
type = "enqueue"
queue = "vip"

[[node]]
id = "main"
type = "menu"
prompts = "menu"
no_input_prompts = "again"
invalid_prompts = "sorry"
retries = 1
on_1 = "trading"
on_2 = "pin"
on_3 = "hours_check"
on_9 = "english"
on_timeout = "bye"
on_invalid = "operator"

[[node]]
id = "english"
type = "set"
vars = { language = "en" }
next = "main"

[[node]]
id = "trading"
type = "enqueue"
queue = "trading"
skills = ["equities:5"]

[[node]]
id = "operator"
type = "transfer"
number = "+862168888888"

[[node]]
id = "pin"
type = "collect"
var = "pin"
prompts = "pin"
min_digits = 6
max_digits = 6
sensitive = true
retries = 0
next = "verify"
on_timeout = "bye"
on_invalid = "bye"

[[node]]
id = "verify"
type = "http"
url = "https://fep.example/balance"
send = ["pin"]
fields = { balance = { from = "available", type = "amount" } }
verifies_customer = true
timeout_secs = 4
next = "say_balance"
on_failure = "operator"

[[node]]
id = "say_balance"
type = "say"
what = "amount"
var = "balance"
prompts = "balance_is"
next = "bye"

[[node]]
id = "hours_check"
type = "branch"
case = [
  { open = "hours", queue = "trading", stat = "agents_ready", op = ">", value = 0, next = "trading" },
  { open = "hours", next = "cb" },
]
next = "vm"

[[node]]
id = "cb"
type = "callback"
queue = "trading"

[[node]]
id = "vm"
type = "voicemail"
queue = "trading"

[[node]]
id = "bye"
type = "play"
prompts = "bye"
next = "end"

[[node]]
id = "end"
type = "hangup"
"#;

/// One line of a script.
#[derive(Clone)]
enum Ev {
    /// `Started` from a caller (None: withheld) at a local time.
    Start(Option<&'static str>, &'static str),
    /// A key.
    Key(char),
    /// The last `Play` finished.
    Done,
    /// Advance the clock; fire the latest timer if it is due.
    Wait(u64),
    Found(Tier, Option<&'static str>),
    NotFound,
    LookupFailed,
    HttpOk(&'static [(&'static str, &'static str)]),
    HttpFailed,
    Stats(&'static str, u32),
    HangUp,
}

const MONDAY_10: &str = "2026-11-23T10:00";
const SATURDAY_10: &str = "2026-11-28T10:00";

fn render(a: &IvrAction, t0: Instant) -> Option<String> {
    let names = |p: &[PromptName]| {
        p.iter()
            .map(PromptName::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(match a {
        IvrAction::Play { prompts, .. } => format!("play {}", names(prompts)),
        IvrAction::StopPlaying => "stop".into(),
        IvrAction::StartCollect {
            var,
            max_digits,
            sensitive,
            ..
        } => format!(
            "collect {var} max={max_digits}{}",
            if *sensitive { " sensitive" } else { "" }
        ),
        IvrAction::SetTimer { at, .. } => format!("timer +{}s", at.duration_since(t0).as_secs()),
        IvrAction::CancelTimer(_) => "cancel".into(),
        IvrAction::Lookup(LookupKey::CallerNumber(n)) => format!("lookup caller {n}"),
        IvrAction::Lookup(LookupKey::Account(a)) => format!("lookup account {a}"),
        IvrAction::Http { url, params, .. } => {
            let p: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("http {url} {}", p.join(" "))
        }
        IvrAction::QueueStats(r) => format!("stats {}", r.queue),
        IvrAction::Enqueue {
            queue,
            skills,
            priority,
            preferred_agent,
        } => format!(
            "enqueue {queue} p{} skills={} am={}",
            priority.0,
            skills.len(),
            preferred_agent.as_ref().map_or("-", AgentLogin::as_str)
        ),
        IvrAction::Voicemail { queue } => format!("voicemail {queue}"),
        IvrAction::Callback {
            queue,
            number,
            priority,
        } => format!(
            "callback {queue} {} p{}",
            number.as_ref().map_or("-", PhoneNumber::as_str),
            priority.0
        ),
        IvrAction::Transfer(TransferTo::Flow(f)) => format!("transfer flow {f}"),
        IvrAction::Transfer(TransferTo::Number(n)) => format!("transfer {n}"),
        IvrAction::Hangup => "hangup".into(),
        IvrAction::PauseRecording => "pause-recording".into(),
        IvrAction::ResumeRecording => "resume-recording".into(),
        IvrAction::Log(_) => return None,
    })
}

pub(crate) fn test_flow() -> Flow {
    parse("test.toml", TEST_FLOW).expect("the test flow parses")
}

/// Runs a script; returns every action (logs included) and the final state.
fn run(flow: &Flow, script: &[Ev]) -> (Vec<IvrAction>, IvrState, Instant) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut state = IvrState::new();
    let mut all = Vec::new();
    let mut last_play = None;
    let mut timer: Option<(TimerId, Instant)> = None;
    for ev in script {
        let event = match ev.clone() {
            Ev::Start(caller, at) => IvrEvent::Started {
                caller: caller.and_then(|c| PhoneNumber::parse(c, &DialPlan::default()).ok()),
                dialled: "8000".into(),
                local_time: at.parse().expect("test time"),
            },
            Ev::Key(c) => IvrEvent::Digit(DtmfDigit::from_char(c).expect("test key")),
            Ev::Done => IvrEvent::PromptFinished(last_play.expect("a prompt is playing")),
            Ev::Wait(secs) => {
                now += Duration::from_secs(secs);
                match timer {
                    Some((id, at)) if at <= now => IvrEvent::TimerFired(id),
                    _ => continue,
                }
            }
            Ev::Found(tier, am) => IvrEvent::LookupResult(LookupOutcome::Found(CustomerProfile {
                id: CustomerId::from_uuid(uuid::Uuid::nil()),
                name: "Wang Fang".into(),
                tier,
                account_manager: am.and_then(|a| AgentLogin::parse(a).ok()),
                risk: None,
            })),
            Ev::NotFound => IvrEvent::LookupResult(LookupOutcome::NotFound),
            Ev::LookupFailed => IvrEvent::LookupResult(LookupOutcome::Failed),
            Ev::HttpOk(fields) => IvrEvent::HttpResult(HttpOutcome::Ok(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            )),
            Ev::HttpFailed => IvrEvent::HttpResult(HttpOutcome::Failed),
            Ev::Stats(q, ready) => IvrEvent::QueueStats(QueueStatsAnswer {
                queue: QueueName::parse(q).expect("test queue"),
                known: true,
                agents_ready: ready,
                agents_logged_in: ready,
                waiting: 0,
                estimated_wait: Duration::ZERO,
            }),
            Ev::HangUp => IvrEvent::HungUp,
        };
        let (next, actions) = step(flow, state, event, now);
        state = next;
        for a in &actions {
            match a {
                IvrAction::Play { id, .. } => last_play = Some(*id),
                IvrAction::SetTimer { id, at } => timer = Some((*id, *at)),
                _ => {}
            }
        }
        all.extend(actions);
    }
    (all, state, t0)
}

fn check(script: &[Ev], expected: &[&str]) {
    let flow = test_flow();
    let (actions, _, t0) = run(&flow, script);
    let got: Vec<String> = actions.iter().filter_map(|a| render(a, t0)).collect();
    assert_eq!(got, expected);
}

const CALLER: Option<&str> = Some("+8613800138000");

#[test]
fn the_test_flow_validates() {
    assert_eq!(validate(&test_flow(), &Known::default()), Vec::new());
}

#[test]
fn diamond_caller_goes_to_the_account_manager() {
    check(
        &[
            Ev::Start(CALLER, MONDAY_10),
            Ev::Done,
            Ev::Found(Tier::Diamond, Some("li.wei")),
        ],
        &[
            "play welcome.zh",
            "lookup caller +8613800138000",
            "timer +3s",
            "cancel",
            "enqueue vip p9 skills=0 am=li.wei",
        ],
    );
}

#[test]
fn digits_typed_during_the_welcome_choose_from_the_menu() {
    check(
        &[Ev::Start(None, MONDAY_10), Ev::Key('1'), Ev::Done],
        &["play welcome.zh", "enqueue trading p3 skills=1 am=-"],
    );
    check(
        &[
            Ev::Start(CALLER, MONDAY_10),
            Ev::Key('1'),
            Ev::Done,
            Ev::Found(Tier::Gold, None),
        ],
        &[
            "play welcome.zh",
            "lookup caller +8613800138000",
            "timer +3s",
            "cancel",
            "enqueue trading p7 skills=1 am=-",
        ],
    );
}

#[test]
fn lookup_failure_and_timeout_fall_back_to_not_found() {
    let menu = [
        "play welcome.zh",
        "lookup caller +8613800138000",
        "timer +3s",
    ];
    let mut failed = menu.to_vec();
    failed.extend(["cancel", "play menu.zh"]);
    check(
        &[Ev::Start(CALLER, MONDAY_10), Ev::Done, Ev::LookupFailed],
        &failed,
    );
    check(
        &[Ev::Start(CALLER, MONDAY_10), Ev::Done, Ev::NotFound],
        &failed,
    );
    let mut timed_out = menu.to_vec();
    timed_out.push("play menu.zh");
    check(
        &[Ev::Start(CALLER, MONDAY_10), Ev::Done, Ev::Wait(3)],
        &timed_out,
    );
}

#[test]
fn menu_no_input_retries_then_takes_on_timeout() {
    check(
        &[
            Ev::Start(None, MONDAY_10),
            Ev::Done,
            Ev::Done,
            Ev::Wait(4),
            Ev::Wait(1),
            Ev::Done,
            Ev::Wait(5),
            Ev::Done,
        ],
        &[
            "play welcome.zh",
            "play menu.zh",
            "timer +5s",
            "play again.zh menu.zh",
            "timer +10s",
            "play bye.zh",
            "hangup",
        ],
    );
}

#[test]
fn menu_invalid_input_retries_then_takes_on_invalid() {
    check(
        &[
            Ev::Start(None, MONDAY_10),
            Ev::Done,
            Ev::Key('7'),
            Ev::Done,
            Ev::Key('8'),
        ],
        &[
            "play welcome.zh",
            "play menu.zh",
            "stop",
            "play sorry.zh menu.zh",
            "timer +5s",
            "cancel",
            "transfer +862168888888",
        ],
    );
}

#[test]
fn english_is_a_menu_option() {
    check(
        &[
            Ev::Start(None, MONDAY_10),
            Ev::Done,
            Ev::Key('9'),
            Ev::Key('1'),
        ],
        &[
            "play welcome.zh",
            "play menu.zh",
            "stop",
            "play menu.en",
            "stop",
            "enqueue trading p3 skills=1 am=-",
        ],
    );
}

fn pin_script(tail: &[Ev]) -> Vec<Ev> {
    let mut s = vec![Ev::Start(None, MONDAY_10), Ev::Done, Ev::Key('2'), Ev::Done];
    s.extend("123456".chars().map(Ev::Key));
    s.extend_from_slice(tail);
    s
}

#[test]
fn sensitive_pin_pauses_recording_and_a_balance_is_read() {
    check(
        &pin_script(&[Ev::HttpOk(&[("available", "12345.67")]), Ev::Done, Ev::Done]),
        &[
            "play welcome.zh",
            "play menu.zh",
            "stop",
            "pause-recording",
            "collect pin max=6 sensitive",
            "play pin.zh",
            "timer +5s",
            "cancel",
            "timer +3s",
            "cancel",
            "timer +3s",
            "cancel",
            "timer +3s",
            "cancel",
            "timer +3s",
            "cancel",
            "timer +3s",
            "cancel",
            "resume-recording",
            "http https://fep.example/balance pin=***",
            "timer +4s",
            "cancel",
            "play balance_is.zh say.zh.yi say.zh.wan say.zh.er say.zh.qian say.zh.san say.zh.bai say.zh.si say.zh.shi say.zh.wu say.zh.yuan say.zh.liu say.zh.jiao say.zh.qi say.zh.fen",
            "play bye.zh",
            "hangup",
        ],
    );
}

#[test]
fn sensitive_digits_never_show_in_logs_or_traces() {
    let flow = test_flow();
    let (actions, state, _) = run(&flow, &pin_script(&[]));
    let trace = format!("{actions:?} {state:?}");
    assert!(!trace.contains("123456"), "{trace}");
    assert!(!trace.contains("Digit(3)"), "{trace}");
    let masked = actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                IvrAction::Log(IvrLog::Key {
                    key: LoggedKey::Masked,
                    ..
                })
            )
        })
        .count();
    assert_eq!(masked, 6);
    let shown: Vec<String> = actions
        .iter()
        .filter_map(|a| match a {
            IvrAction::Log(IvrLog::VarSet { var, value }) if var.as_str() == "pin" => {
                Some(value.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(shown, vec!["***"]);
    // Nor while they are still being typed.
    let (_, half, _) = run(&flow, &pin_script(&[])[..7]);
    let half = format!("{half:?}");
    assert!(half.contains("typed: ***,"), "{half}");
    assert!(!half.contains("\"123\""), "{half}");
}

#[test]
fn http_failure_timeout_and_bad_fields_take_their_exits() {
    let head = 21; // actions up to and including the http request and its timer
    let tail = |script: &[Ev]| -> Vec<String> {
        let flow = test_flow();
        let (actions, _, t0) = run(&flow, script);
        actions
            .iter()
            .filter_map(|a| render(a, t0))
            .skip(head)
            .collect()
    };
    assert_eq!(
        tail(&pin_script(&[Ev::HttpFailed])),
        vec!["cancel", "transfer +862168888888"]
    );
    assert_eq!(
        tail(&pin_script(&[Ev::Wait(4)])),
        vec!["transfer +862168888888"]
    );
    assert_eq!(
        tail(&pin_script(&[Ev::HttpOk(&[("available", "lots")])])),
        vec!["cancel", "transfer +862168888888"]
    );
}

#[test]
fn short_pin_is_invalid_and_recording_resumes() {
    check(
        &[
            Ev::Start(None, MONDAY_10),
            Ev::Done,
            Ev::Key('2'),
            Ev::Key('1'),
            Ev::Key('#'),
            Ev::Done,
        ],
        &[
            "play welcome.zh",
            "play menu.zh",
            "stop",
            "pause-recording",
            "collect pin max=6 sensitive",
            "play pin.zh",
            "stop",
            "timer +3s",
            "cancel",
            "resume-recording",
            "play bye.zh",
            "hangup",
        ],
    );
}

#[test]
fn hours_and_queue_statistics_choose_the_route() {
    let head = [
        "play welcome.zh",
        "play menu.zh",
        "stop",
        "stats trading",
        "timer +2s",
    ];
    let with = |tail: &[&str]| -> Vec<String> {
        head.iter().chain(tail).map(|s| (*s).to_owned()).collect()
    };
    let script =
        |at: &'static str, last: Ev| vec![Ev::Start(None, at), Ev::Done, Ev::Key('3'), last];
    let flow = test_flow();
    let got = |s: Vec<Ev>| -> Vec<String> {
        let (actions, _, t0) = run(&flow, &s);
        actions.iter().filter_map(|a| render(a, t0)).collect()
    };
    assert_eq!(
        got(script(MONDAY_10, Ev::Stats("trading", 2))),
        with(&["cancel", "enqueue trading p3 skills=1 am=-"])
    );
    assert_eq!(
        got(script(MONDAY_10, Ev::Stats("trading", 0))),
        with(&["cancel", "callback trading - p3"])
    );
    assert_eq!(
        got(script(MONDAY_10, Ev::Wait(2))),
        with(&["callback trading - p3"])
    );
    assert_eq!(
        got(script(SATURDAY_10, Ev::Stats("trading", 5))),
        with(&["cancel", "voicemail trading"])
    );
    // An answer about another queue does not end the wait.
    assert_eq!(got(script(MONDAY_10, Ev::Stats("vip", 5))), with(&[]));
}

#[test]
fn caller_hanging_up_ends_the_run_and_resumes_recording() {
    let flow = test_flow();
    let (actions, state, t0) = run(
        &flow,
        &[
            Ev::Start(None, MONDAY_10),
            Ev::Done,
            Ev::Key('2'),
            Ev::Key('1'),
            Ev::HangUp,
            Ev::Key('1'),
        ],
    );
    let got: Vec<String> = actions.iter().filter_map(|a| render(a, t0)).collect();
    assert_eq!(got.last().map(String::as_str), Some("resume-recording"));
    assert!(state.is_done());
}

#[test]
fn every_node_entered_and_every_key_is_logged() {
    let flow = test_flow();
    let (actions, _, _) = run(&flow, &[Ev::Start(None, MONDAY_10), Ev::Key('1'), Ev::Done]);
    let logs: Vec<String> = actions
        .iter()
        .filter_map(|a| match a {
            IvrAction::Log(IvrLog::NodeEntered { node, kind }) => {
                Some(format!("enter {node} ({kind})"))
            }
            IvrAction::Log(IvrLog::Key { node, key }) => Some(format!(
                "key {key} at {}",
                node.as_ref().map_or("-", NodeId::as_str)
            )),
            IvrAction::Log(IvrLog::KeyTypedAhead { node }) => Some(format!(
                "typed ahead at {}",
                node.as_ref().map_or("-", NodeId::as_str)
            )),
            IvrAction::Log(IvrLog::Ended { how }) => Some(format!("ended {how}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        logs,
        vec![
            "enter welcome (play)",
            "typed ahead at welcome",
            "enter who (lookup)",
            "enter main (menu)",
            "key 1 at main",
            "enter trading (enqueue)",
            "ended enqueue",
        ]
    );
}

#[test]
fn stale_events_are_ignored() {
    let flow = test_flow();
    let (_, state, _) = run(&flow, &[Ev::Start(None, MONDAY_10)]);
    let now = Instant::now();
    for event in [
        IvrEvent::PromptFinished(PlayId(999)),
        IvrEvent::TimerFired(TimerId(999)),
        IvrEvent::LookupResult(LookupOutcome::NotFound),
        IvrEvent::HttpResult(HttpOutcome::Failed),
    ] {
        let (next, actions) = step(&flow, state.clone(), event, now);
        assert_eq!(next, state);
        assert!(actions.is_empty());
    }
}

#[test]
fn a_pin_typed_ahead_is_never_shown() {
    let flow = test_flow();
    let mut script = vec![Ev::Start(None, MONDAY_10)];
    script.extend("2246810".chars().map(Ev::Key));
    script.push(Ev::Done);
    let (actions, state, t0) = run(&flow, &script);
    let got: Vec<String> = actions.iter().filter_map(|a| render(a, t0)).collect();
    assert_eq!(
        got,
        vec![
            "play welcome.zh",
            "pause-recording",
            "collect pin max=6 sensitive",
            "resume-recording",
            "http https://fep.example/balance pin=***",
            "timer +4s",
        ]
    );
    let trace = format!("{actions:?} {state:?}");
    for d in ["Digit(4)", "Digit(6)", "Digit(8)", "246810"] {
        assert!(!trace.contains(d), "{d} leaked: {trace}");
    }
    // Nor while they wait in the type-ahead buffer during the welcome.
    let (_, during, _) = run(&flow, &script[..script.len() - 1]);
    assert!(
        format!("{during:?}").contains("type_ahead: 7 key(s)"),
        "{during:?}"
    );
}
