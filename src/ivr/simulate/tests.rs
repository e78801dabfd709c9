//! Simulator tests on the shipped demo flow, against an in-memory customer directory.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::domain::{AgentLogin, CustomerId, DialPlan, QueueName, Tier};
use crate::ivr::flow::parse;
use crate::ivr::interpreter::CustomerProfile;
use crate::ivr::schedule::{DayOfWeek, Schedule, ScheduleName, WeeklyHours, parse_time};

const BROKERAGE: &str = include_str!("../../../ivr_flows/brokerage.toml");

/// Customers by caller number and by account; balances by customer; queue waits by queue.
#[derive(Default)]
struct Directory {
    by_number: BTreeMap<String, CustomerProfile>,
    by_account: BTreeMap<String, CustomerProfile>,
    balances: BTreeMap<String, (String, String)>,
    waits: BTreeMap<String, u64>,
    http_calls: Vec<Vec<(String, String)>>,
}

impl Services for Directory {
    fn lookup(&mut self, key: &LookupKey) -> LookupOutcome {
        let found = match key {
            LookupKey::CallerNumber(n) => self.by_number.get(n.as_str()),
            LookupKey::Account(a) => self.by_account.get(a),
        };
        found
            .cloned()
            .map_or(LookupOutcome::NotFound, LookupOutcome::Found)
    }

    fn http(
        &mut self,
        _url: &str,
        params: &[(VarName, Value)],
        _timeout: std::time::Duration,
    ) -> HttpOutcome {
        self.http_calls.push(
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| v)
        };
        let (Some(Value::Text(id)), Some(Value::Secret(pin))) = (get("customer.id"), get("pin"))
        else {
            return HttpOutcome::Failed;
        };
        match self.balances.get(id) {
            Some((right_pin, balance)) if right_pin == pin.expose() => {
                HttpOutcome::Ok([("available_balance".to_owned(), balance.clone())].into())
            }
            _ => HttpOutcome::Failed,
        }
    }

    fn queue_stats(&mut self, request: &QueueStatsRequest) -> QueueStatsAnswer {
        let wait = self.waits.get(request.queue.as_str()).copied().unwrap_or(0);
        QueueStatsAnswer {
            queue: request.queue.clone(),
            known: true,
            agents_ready: u32::from(wait == 0),
            agents_logged_in: 3,
            waiting: u32::try_from(wait / 60).unwrap_or(0),
            estimated_wait: Duration::from_secs(wait),
        }
    }
}

fn customer(n: u128, name: &str, tier: Tier, manager: Option<&str>) -> CustomerProfile {
    CustomerProfile {
        id: CustomerId::from_uuid(uuid::Uuid::from_u128(n)),
        name: name.into(),
        tier,
        account_manager: manager.and_then(|m| AgentLogin::parse(m).ok()),
        risk: None,
    }
}

fn directory() -> Directory {
    let mut d = Directory::default();
    let diamond = customer(1, "Zhao Lei", Tier::Diamond, Some("li.wei"));
    let gold = customer(2, "Qian Hui", Tier::Gold, Some("li.wei"));
    d.by_number.insert("+8613800000000".into(), diamond);
    d.by_number.insert("+8613900000000".into(), gold.clone());
    d.by_account.insert("880012345".into(), gold.clone());
    d.balances
        .insert(gold.id.to_string(), ("246810".into(), "12345.67".into()));
    d
}

fn run(caller: Option<&str>, keys: &str, at: &str, d: &mut Directory) -> Simulation {
    let flow = parse("brokerage.toml", BROKERAGE).expect("the demo flow parses");
    run_flow(&flow, caller, keys, at, d)
}

fn run_flow(
    flow: &Flow,
    caller: Option<&str>,
    keys: &str,
    at: &str,
    d: &mut Directory,
) -> Simulation {
    let script = Script {
        caller: caller.and_then(|c| PhoneNumber::parse(c, &DialPlan::default()).ok()),
        dialled: "8000".into(),
        local_time: at.parse().expect("test time"),
        inputs: parse_inputs(keys).expect("test keys"),
    };
    simulate(flow, &script, d, Instant::now())
}

fn final_line(sim: &Simulation) -> String {
    sim.to_string()
        .lines()
        .find_map(|l| l.strip_prefix("final:   ").map(str::to_owned))
        .unwrap_or_default()
}

fn path(sim: &Simulation) -> String {
    sim.path
        .iter()
        .map(NodeId::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

const WEEKDAY: &str = "2026-11-23T10:00";
const SATURDAY_NIGHT: &str = "2026-11-28T22:00";

#[test]
fn table_of_demo_calls() {
    // caller, keys, final action
    let table: &[(Option<&str>, &str, &str)] = &[
        (
            Some("+8613800000000"),
            "",
            "enqueue queue=vip priority=9 preferred_agent=li.wei",
        ),
        (
            None,
            "1",
            "enqueue queue=trading priority=3 skill=equities:1",
        ),
        (
            Some("+8613900000000"),
            "1",
            "enqueue queue=trading priority=7 skill=equities:1 preferred_agent=li.wei",
        ),
        (None, "3", "enqueue queue=wealth priority=3 skill=funds:1"),
        (None, "0", "enqueue queue=general priority=3"),
        (None, "2,2", "enqueue queue=accounts priority=3"),
        (None, "7,7,7", "enqueue queue=general priority=3"),
        (None, "", "enqueue queue=general priority=3"),
        (None, "2,1,123", "enqueue queue=accounts priority=3"),
        (Some("+8613900000000"), "2,1,246810", "hang up"),
        (
            Some("+8613900000000"),
            "2,1,111111",
            "enqueue queue=accounts priority=7 preferred_agent=li.wei",
        ),
        (None, "2,1,880012345#,246810", "hang up"),
        (None, "2,1,770000000#", "enqueue queue=accounts priority=3"),
    ];
    for (caller, keys, expected) in table {
        let sim = run(*caller, keys, WEEKDAY, &mut directory());
        assert_eq!(
            &final_line(&sim),
            expected,
            "caller {caller:?} keys {keys:?}\n{sim}"
        );
    }
}

#[test]
fn an_unidentified_caller_pressing_1_reaches_trading_support() {
    let sim = run(None, "1", WEEKDAY, &mut directory());
    assert_eq!(
        path(&sim),
        "welcome identify hours by_tier main_menu trading_check trading"
    );
    let prompts: Vec<&str> = sim.prompts.iter().map(PromptName::as_str).collect();
    assert_eq!(prompts, vec!["welcome.zh", "main_menu.zh"]);
    assert_eq!(sim.unused_inputs, 0);
}

#[test]
fn english_is_a_menu_option_and_the_balance_is_read_back() {
    let mut d = directory();
    let sim = run(Some("+8613900000000"), "9,2,1,246810", WEEKDAY, &mut d);
    let prompts: Vec<&str> = sim.prompts.iter().map(PromptName::as_str).collect();
    assert_eq!(
        prompts,
        vec![
            "welcome.zh",
            "main_menu.zh",
            "main_menu.en",
            "account_menu.en",
            "enter_pin.en",
            "balance_is.en",
            "say.en.twelve",
            "say.en.thousand",
            "say.en.three",
            "say.en.hundred",
            "say.en.forty",
            "say.en.five",
            "say.en.yuan",
            "say.en.and",
            "say.en.sixty",
            "say.en.seven",
            "say.en.fen",
            "goodbye.en",
        ]
    );
    assert_eq!(d.http_calls.len(), 1);
    assert!(
        !format!("{sim:?}").contains("246810"),
        "the PIN leaked: {sim:?}"
    );
    assert!(!sim.to_string().contains("246810"));
}

#[test]
fn a_long_wait_offers_a_call_back_that_keeps_the_place() {
    let mut d = directory();
    d.waits.insert("trading".into(), 600);
    let sim = run(Some("+8613900000000"), "1,1", WEEKDAY, &mut d);
    assert_eq!(
        final_line(&sim),
        "callback queue=trading priority=7 number=+8613900000000"
    );
    let sim = run(Some("+8613900000000"), "1,2", WEEKDAY, &mut d);
    assert!(
        final_line(&sim).starts_with("enqueue queue=trading"),
        "{sim}"
    );
}

#[test]
fn after_hours_offers_a_call_back_or_voicemail_once_a_schedule_is_set() {
    let mut flow = parse("brokerage.toml", BROKERAGE).expect("the demo flow parses");
    let always = run_flow(&flow, None, "1", SATURDAY_NIGHT, &mut directory());
    assert!(
        final_line(&always).starts_with("enqueue queue=trading"),
        "{always}"
    );
    let weekdays = WeeklyHours {
        days: ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .filter_map(|d| DayOfWeek::parse(d).ok())
            .collect(),
        open: parse_time("08:30").expect("time"),
        close: parse_time("17:30").expect("time"),
    };
    let site = Schedule {
        always_open: false,
        weekly: vec![weekdays],
        holidays: Default::default(),
    };
    flow.set_site_schedules([(ScheduleName::parse("brokerage_hours").expect("name"), site)]);
    let callback = run_flow(
        &flow,
        Some("+8613800000000"),
        "1",
        SATURDAY_NIGHT,
        &mut directory(),
    );
    assert_eq!(
        final_line(&callback),
        "callback queue=general priority=9 number=+8613800000000"
    );
    let voicemail = run_flow(&flow, None, "2", SATURDAY_NIGHT, &mut directory());
    assert_eq!(final_line(&voicemail), "voicemail queue=general");
    let open = run_flow(&flow, None, "1", WEEKDAY, &mut directory());
    assert!(
        final_line(&open).starts_with("enqueue queue=trading"),
        "{open}"
    );
}

#[test]
fn scripts_are_read_and_bad_keys_named() {
    assert_eq!(
        parse_inputs("1, #,-,12"),
        Ok(vec![
            Input::Key(DtmfDigit::Digit(1)),
            Input::Key(DtmfDigit::Pound),
            Input::Silence,
            Input::Key(DtmfDigit::Digit(1)),
            Input::Key(DtmfDigit::Digit(2)),
        ])
    );
    assert_eq!(
        parse_inputs("1,x").err().map(|e| e.to_string()),
        Some("'x' in \"x\" is not a key: use 0-9, *, #, A-D, or - for silence".into())
    );
}

#[test]
fn silence_lets_the_menu_time_out_and_retry() {
    let sim = run(None, "-,1", WEEKDAY, &mut directory());
    let prompts: Vec<&str> = sim.prompts.iter().map(PromptName::as_str).collect();
    assert_eq!(
        prompts,
        vec!["welcome.zh", "main_menu.zh", "no_input.zh", "main_menu.zh"]
    );
    assert!(
        final_line(&sim).starts_with("enqueue queue=trading"),
        "{sim}"
    );
    let queue = QueueName::parse("trading").expect("name");
    assert!(
        matches!(&sim.outcome, Outcome::Ended(IvrAction::Enqueue { queue: q, .. }) if *q == queue)
    );
}
