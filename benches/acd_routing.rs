//! Benchmark of the ACD routing core (`cargo bench --bench acd_routing`), documented in
//! `docs/acd.md`: 10,000 agents, 100,000 waiting contacts, 50 voice queues with product and
//! language skills, escalation steps and all four strategies. One decision is: an agent
//! finishes a contact and the core picks its next contact across its queues and reserves it.
//! Reported beside a naive router that scans every waiting contact for the same agents, and
//! again with 1,000 agent state changes per (simulated) second mixed in.
//!
//! A plain `std::time::Instant` loop (no criterion); one thread.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use switchyard::acd::{
    AcdConfig, AcdCore, AcdEvent, AcdEventKind, AgentProfile, ChannelRules, EscalationAction,
    EscalationStep, NewContact, Presence, QueueConfig, ReasonCode, Strategy,
};
use switchyard::domain::{
    AgentId, AgentLogin, Channel, InteractionId, OfferId, Proficiency, QueueId, QueueName,
    SkillName, SkillRequirement, Tier, Timestamp,
};
use uuid::Uuid;

const AGENTS: usize = 10_000;
const WAITING: usize = 100_000;
const QUEUES: usize = 50;
const DECISIONS: usize = 100_000;
const PRODUCTS: [&str; 10] = [
    "equities",
    "funds",
    "bonds",
    "margin",
    "options",
    "futures",
    "forex",
    "insurance",
    "wealth",
    "ipo",
];
const LANGUAGES: [&str; 3] = ["mandarin", "cantonese", "english"];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn uuid(kind: u128, n: usize) -> Uuid {
    Uuid::from_u128((kind << 64) | n as u128)
}

fn skill(name: &str) -> SkillName {
    SkillName::parse(name).expect("valid skill")
}

fn level(n: usize) -> Proficiency {
    Proficiency::new(u8::try_from(n).expect("small")).expect("1-10")
}

fn queues() -> Vec<QueueConfig> {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::MostSkilled,
        Strategy::LeastOccupied,
        Strategy::RoundRobin,
    ];
    (0..QUEUES)
        .map(|i| QueueConfig {
            id: QueueId::from_uuid(uuid(1, i)),
            name: QueueName::parse(&format!("q{i}")).expect("valid"),
            channel: Channel::Voice,
            required: vec![
                SkillRequirement {
                    skill: skill(PRODUCTS[i % 10]),
                    min: level(4 + i % 4),
                },
                SkillRequirement {
                    skill: skill(LANGUAGES[(i / 10) % 3]),
                    min: level(5),
                },
            ],
            agent_groups: Vec::new(),
            strategy: strategies[i % 4],
            steps: vec![
                EscalationStep {
                    after: Duration::from_secs(30),
                    action: EscalationAction::RelaxProficiency { by: 2 },
                },
                EscalationStep {
                    after: Duration::from_secs(60),
                    action: EscalationAction::RaisePriority { by: 10 },
                },
            ],
            offer_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
        })
        .collect()
}

fn agents(rng: &mut Rng) -> Vec<AgentProfile> {
    (0..AGENTS)
        .map(|n| {
            let mut skills = BTreeMap::new();
            for _ in 0..3 {
                skills.insert(skill(PRODUCTS[rng.below(10)]), level(1 + rng.below(10)));
            }
            skills.insert(skill("mandarin"), level(8 + rng.below(3)));
            skills.insert(skill(LANGUAGES[1 + rng.below(2)]), level(3 + rng.below(8)));
            AgentProfile {
                id: AgentId::from_uuid(uuid(2, n)),
                login: AgentLogin::parse(&format!("agent{n}")).expect("valid"),
                skills,
                groups: Vec::new(),
                member_of: Vec::new(),
                rules: ChannelRules::default(),
            }
        })
        .collect()
}

fn tier(rng: &mut Rng) -> Tier {
    match rng.below(100) {
        0..5 => Tier::Diamond,
        5..20 => Tier::Gold,
        20..50 => Tier::WealthCard,
        _ => Tier::Standard,
    }
}

/// The bench's world: the core plus who is talking to whom.
struct Bench {
    core: AcdCore,
    rng: Rng,
    now: Timestamp,
    next_contact: usize,
    /// Agent index -> the contact it is talking to.
    talking: Vec<Option<InteractionId>>,
    not_ready: Vec<usize>,
}

impl Bench {
    fn new() -> Self {
        let mut rng = Rng(0x5eed);
        let mut offers = 0usize;
        let config = AcdConfig {
            known_skills: PRODUCTS
                .iter()
                .chain(LANGUAGES.iter())
                .map(|s| skill(s))
                .collect(),
            ..AcdConfig::default()
        };
        let mut core = AcdCore::new(
            config,
            Box::new(move || {
                offers += 1;
                OfferId::from_uuid(uuid(3, offers))
            }),
        );
        let now = Timestamp::from_millis(1_700_000_000_000);
        core.configure_queues(now, queues()).expect("valid queues");
        let profiles = agents(&mut rng);
        for p in profiles {
            core.upsert_agent(now, p);
        }
        let mut b = Self {
            core,
            rng,
            now,
            next_contact: 0,
            talking: vec![None; AGENTS],
            not_ready: Vec::new(),
        };
        // Arrivals 1 ms apart (the steady-state rate of the run), so escalation steps come
        // due one contact at a time as they would in service, not all in one instant.
        for _ in 0..WAITING + AGENTS {
            b.now = Timestamp::from_millis(b.now.as_millis() + 1);
            b.enqueue();
        }
        for a in 0..AGENTS {
            let ev = b
                .core
                .handle_presence(
                    b.now,
                    agent_id(a),
                    Presence::Ready,
                    switchyard::acd::Actor::System,
                )
                .expect("ready");
            b.answer_offers(&ev);
        }
        b
    }

    fn enqueue(&mut self) {
        self.next_contact += 1;
        let contact = NewContact {
            interaction: InteractionId::from_uuid(uuid(4, self.next_contact)),
            queue: QueueId::from_uuid(uuid(1, self.rng.below(QUEUES))),
            tier: tier(&mut self.rng),
            account_manager: None,
        };
        let ev = self
            .core
            .handle_enqueue(self.now, contact)
            .expect("enqueue");
        self.answer_offers(&ev);
    }

    fn answer_offers(&mut self, events: &[AcdEvent]) {
        for e in events {
            if let AcdEventKind::Offered {
                offer,
                interaction,
                agent,
                ..
            } = e.kind
            {
                self.core
                    .handle_answer(self.now, agent, offer)
                    .expect("answer");
                self.talking[agent_index(agent)] = Some(interaction);
            }
        }
    }

    /// One decision: a random talking agent ends its contact and is offered the next one.
    /// Returns the time spent in the core.
    fn decision(&mut self) -> Duration {
        let a = loop {
            let a = self.rng.below(AGENTS);
            if self.talking[a].is_some() {
                break a;
            }
        };
        let interaction = self.talking[a].take().expect("talking");
        self.now = Timestamp::from_millis(self.now.as_millis() + 1);
        let start = Instant::now();
        let ev = self
            .core
            .handle_contact_ended(self.now, agent_id(a), interaction)
            .expect("end");
        let spent = start.elapsed();
        self.answer_offers(&ev);
        self.enqueue();
        spent
    }

    /// One presence change: a talking agent goes on a break, or the longest-resting agent
    /// comes back ready (and is offered a contact at once).
    fn state_change(&mut self, back: bool) -> Duration {
        let (a, to) = if back && !self.not_ready.is_empty() {
            (self.not_ready.remove(0), Presence::Ready)
        } else {
            let a = self.rng.below(AGENTS);
            if self.not_ready.contains(&a) || self.talking[a].is_none() {
                return Duration::ZERO;
            }
            self.not_ready.push(a);
            (
                a,
                Presence::NotReady(ReasonCode::parse("break").expect("valid")),
            )
        };
        let start = Instant::now();
        let ev = self
            .core
            .handle_presence(
                self.now,
                agent_id(a),
                to,
                switchyard::acd::Actor::Agent(agent_id(a)),
            )
            .expect("presence");
        let spent = start.elapsed();
        self.answer_offers(&ev);
        spent
    }
}

fn agent_id(a: usize) -> AgentId {
    AgentId::from_uuid(uuid(2, a))
}

fn agent_index(agent: AgentId) -> usize {
    (agent.as_uuid().as_u128() & u128::from(u64::MAX)) as usize
}

/// The naive router: every waiting contact in one vector, scanned in full per decision.
struct Naive {
    /// (queue, priority, seq) per waiting contact.
    waiting: Vec<(usize, u16, u64)>,
    /// Per agent, per queue: eligible or not.
    eligible: Vec<[bool; QUEUES]>,
    rng: Rng,
    seq: u64,
}

impl Naive {
    fn new() -> Self {
        let mut rng = Rng(0x5eed);
        let queues = queues();
        let eligible = agents(&mut rng)
            .iter()
            .map(|p| {
                let mut row = [false; QUEUES];
                for (q, cfg) in queues.iter().enumerate() {
                    row[q] = cfg
                        .required
                        .iter()
                        .all(|r| p.skills.get(&r.skill).is_some_and(|l| *l >= r.min));
                }
                row
            })
            .collect();
        let mut n = Self {
            waiting: Vec::with_capacity(WAITING),
            eligible,
            rng,
            seq: 0,
        };
        for _ in 0..WAITING {
            n.push();
        }
        n
    }

    fn push(&mut self) {
        let q = self.rng.below(QUEUES);
        let priority = match tier(&mut self.rng) {
            Tier::Diamond => 40,
            Tier::Gold => 30,
            Tier::WealthCard => 20,
            Tier::Standard => 10,
        };
        self.seq += 1;
        self.waiting.push((q, priority, self.seq));
    }

    fn decision(&mut self) -> Duration {
        let a = self.rng.below(AGENTS);
        let start = Instant::now();
        let row = &self.eligible[a];
        let best = self
            .waiting
            .iter()
            .enumerate()
            .filter(|(_, (q, _, _))| row[*q])
            .min_by_key(|(_, (_, p, s))| (std::cmp::Reverse(*p), *s))
            .map(|(i, _)| i);
        if let Some(i) = best {
            self.waiting.swap_remove(i);
        }
        let spent = start.elapsed();
        self.push();
        spent
    }
}

struct Report {
    p50: Duration,
    p99: Duration,
    max: Duration,
    per_second: f64,
}

fn report(mut times: Vec<Duration>) -> Report {
    times.sort();
    let total: Duration = times.iter().sum();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Report {
        p50: at(0.50),
        p99: at(0.99),
        max: times[times.len() - 1],
        per_second: times.len() as f64 / total.as_secs_f64(),
    }
}

fn print(name: &str, r: &Report) {
    println!(
        "{name:<34} p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  {:>10.0} decisions/s",
        r.p50, r.p99, r.max, r.per_second
    );
}

fn main() {
    let setup = Instant::now();
    let mut bench = Bench::new();
    println!(
        "setup: {AGENTS} agents, {} waiting, {QUEUES} queues in {:.1?}",
        bench
            .core
            .queue_configs()
            .map(|q| bench.core.pool_len(q.id).unwrap_or(0))
            .sum::<usize>(),
        setup.elapsed()
    );
    let indexed = report((0..DECISIONS).map(|_| bench.decision()).collect());
    print("indexed router", &indexed);

    let mut naive = Naive::new();
    let naive_report = report((0..DECISIONS / 10).map(|_| naive.decision()).collect());
    print("naive linear-scan router", &naive_report);
    println!(
        "ratio naive/indexed: p99 {:.0}x, throughput {:.0}x",
        naive_report.p99.as_secs_f64() / indexed.p99.as_secs_f64(),
        indexed.per_second / naive_report.per_second
    );

    // 1,000 state changes per simulated second: decisions advance the clock 1 ms each, so
    // one presence change per decision (alternating break / back to ready).
    let mut decisions = Vec::with_capacity(DECISIONS);
    let mut changes = Vec::with_capacity(DECISIONS);
    for i in 0..DECISIONS {
        decisions.push(bench.decision());
        changes.push(bench.state_change(i % 2 == 1));
    }
    let mixed = report(decisions);
    print("indexed, 1,000 changes/s mixed in", &mixed);
    let changes = report(changes.into_iter().filter(|d| !d.is_zero()).collect());
    println!(
        "{:<34} p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}",
        "  the state changes themselves", changes.p50, changes.p99, changes.max
    );
}
