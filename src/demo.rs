//! The demo brokerage, seeded into a store that has no queues yet: teams, agents with skills,
//! queues, customers across the four tiers with their account managers, and one station
//! (SIP device account, SIP user name = login) per agent.
//!
//! Passwords are generated, stored hashed and returned once so that start-up can print them;
//! there is never a fixed well-known password.

use crate::accounts::{self, AccountError, NewAgent};
use crate::crm::{self, CrmError, RawCustomer};
use crate::domain::skill::parse_skill_list;
use crate::domain::{
    AgentLogin, Channel, DialPlan, Proficiency, QueueId, QueueName, Role, SkillName, StationName,
    TeamName, Timestamp,
};
use crate::interaction_log::{Actor, EventBody, InteractionLogHandle, LogError, NewEvent, Subject};
use crate::stations::{NewStation, StationError};
use crate::store::agents::Capacity;
use crate::store::queues::QueueRecord;
use crate::store::{Db, Mutation, StoreError, WriteItem};

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// An account could not be created.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A customer could not be created.
    #[error(transparent)]
    Customer(#[from] CrmError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log writer failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A station could not be created.
    #[error(transparent)]
    Station(#[from] StationError),
}

/// A demo sign-in to print once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// The login.
    pub login: String,
    /// What the account is for.
    pub role: String,
    /// The generated password.
    pub password: String,
    /// The generated SIP password of the agent's station (SIP user name = the login).
    pub station_password: String,
}

/// (login, display name, roles, team, skills)
const AGENTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "chen.jing",
        "陈静 Chen Jing",
        "agent,supervisor",
        "equities-desk",
        "equities:8,funds:7,mandarin:10,english:9",
    ),
    (
        "li.wei",
        "李伟 Li Wei",
        "agent",
        "equities-desk",
        "equities:9,margin:7,mandarin:10,english:6",
    ),
    (
        "wang.fang",
        "王芳 Wang Fang",
        "agent",
        "equities-desk",
        "equities:7,bonds:6,mandarin:10,cantonese:8",
    ),
    (
        "zhao.min",
        "赵敏 Zhao Min",
        "agent,supervisor",
        "wealth-desk",
        "funds:9,bonds:8,mandarin:10,english:8",
    ),
    (
        "zhang.min",
        "张敏 Zhang Min",
        "agent",
        "wealth-desk",
        "funds:9,bonds:8,equities:7,mandarin:10,english:8",
    ),
    (
        "liu.yang",
        "刘洋 Liu Yang",
        "agent",
        "wealth-desk",
        "funds:6,margin:5,mandarin:9,cantonese:9",
    ),
];

/// (name, display name, channel, team, required skills)
const QUEUES: &[(&str, &str, Channel, &str, &str)] = &[
    (
        "vip",
        "VIP service 贵宾服务",
        Channel::Voice,
        "wealth-desk",
        "",
    ),
    (
        "trading",
        "Trading support 交易支持",
        Channel::Voice,
        "equities-desk",
        "equities:5",
    ),
    (
        "accounts",
        "Account services 账户服务",
        Channel::Voice,
        "equities-desk",
        "mandarin:5",
    ),
    (
        "wealth",
        "Funds and wealth 基金理财",
        Channel::Voice,
        "wealth-desk",
        "funds:5",
    ),
    (
        "general",
        "Operator 人工服务",
        Channel::Voice,
        "equities-desk",
        "",
    ),
    (
        "english",
        "English service",
        Channel::Voice,
        "wealth-desk",
        "english:6",
    ),
    ("email", "Email 电子邮件", Channel::Email, "wealth-desk", ""),
    (
        "chat",
        "Web chat 在线客服",
        Channel::Chat,
        "equities-desk",
        "",
    ),
];

/// (external id, name, phone, email, assets in yuan, risk, account manager, preferred channel)
type DemoCustomer = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const CUSTOMERS: &[DemoCustomer] = &[
    (
        "C0001",
        "黄志强 Huang Zhiqiang",
        "+86 138-0013-8000",
        "huang.zq@example.cn",
        "12,500,000",
        "aggressive",
        "zhang.min",
        "voice",
    ),
    (
        "C0002",
        "周美玲 Zhou Meiling",
        "139 1000 2000",
        "zhou.ml@example.cn",
        "6,800,000",
        "growth",
        "zhang.min",
        "email",
    ),
    (
        "C0003",
        "吴建国 Wu Jianguo",
        "0086 13700137000",
        "wu.jg@example.cn",
        "1,200,000",
        "balanced",
        "zhao.min",
        "voice",
    ),
    (
        "C0004",
        "孙丽 Sun Li",
        "021/6888 8888",
        "sun.li@example.cn",
        "750,000",
        "cautious",
        "zhao.min",
        "chat",
    ),
    (
        "C0005",
        "郑伟 Zheng Wei",
        "136 0000 1111",
        "zheng.wei@example.cn",
        "320,000",
        "balanced",
        "",
        "voice",
    ),
    (
        "C0006",
        "冯静 Feng Jing",
        "135 2222 3333",
        "feng.jing@example.cn",
        "150,000",
        "conservative",
        "",
        "email",
    ),
    (
        "C0007",
        "陈晓 Chen Xiao",
        "134 4444 5555",
        "chen.xiao@example.cn",
        "48,000",
        "growth",
        "",
        "voice",
    ),
    (
        "C0008",
        "Mary Lee",
        "+852 9123 4567",
        "mary.lee@example.hk",
        "2,300,000",
        "balanced",
        "zhang.min",
        "email",
    ),
    (
        "C0009",
        "林小红 Lin Xiaohong",
        "133 6666 7777",
        "",
        "12,000",
        "conservative",
        "",
        "voice",
    ),
    (
        "C0010",
        "王大明 Wang Daming",
        "132 8888 9999",
        "wang.dm@example.cn",
        "90,000",
        "aggressive",
        "",
        "chat",
    ),
];

/// The names of the queues the demo brokerage seeds (what the demo flows may use).
pub fn queue_names() -> impl Iterator<Item = QueueName> {
    QUEUES.iter().filter_map(|q| QueueName::parse(q.0).ok())
}

/// Seeds the demo brokerage. Returns the generated sign-ins.
pub async fn seed(
    db: &Db,
    log: &InteractionLogHandle,
    plan: &DialPlan,
    realm: &str,
    now: Timestamp,
) -> Result<Vec<DemoLogin>, SeedError> {
    let mut logins = Vec::new();
    for (login, name, roles, team, skills) in AGENTS {
        let password = crate::auth::generate_password().map_err(AccountError::from)?;
        let new = NewAgent {
            login: AgentLogin::parse(login).expect("demo logins are valid"),
            display_name: (*name).to_owned(),
            roles: crate::domain::role::parse_roles(roles).expect("demo roles are valid"),
            team: Some(TeamName::parse(team).expect("demo team names are valid")),
            skills: parse_skill_list(skills).expect("demo skills are valid"),
            capacity: Capacity::default(),
            password: password.clone(),
        };
        let agent = accounts::add_agent(db, log, new, Actor::System, now).await?;
        let role = if agent.has_role(Role::Supervisor) {
            "supervisor"
        } else {
            "agent"
        };
        let station_password = crate::auth::generate_password().map_err(AccountError::from)?;
        let station = NewStation {
            name: StationName::parse(login).expect("demo logins are valid station names"),
            agent: Some(agent.login.clone()),
            password: station_password.clone(),
        };
        crate::stations::add_station(db, log, station, realm, Actor::System, now).await?;
        logins.push(DemoLogin {
            login: (*login).to_owned(),
            role: role.to_owned(),
            password,
            station_password,
        });
    }
    for (name, display, channel, team, skills) in QUEUES {
        let team = accounts::ensure_team(
            db,
            log,
            &TeamName::parse(team).expect("valid"),
            Actor::System,
            now,
        )
        .await?;
        put_queue(
            log,
            QueueName::parse(name).expect("valid"),
            display,
            *channel,
            Some(team),
            parse_skill_list(skills).expect("valid"),
            now,
        )
        .await?;
    }
    for (ext, name, phone, email, assets, risk, manager, preferred) in CUSTOMERS {
        let raw = RawCustomer {
            name: Some((*name).to_owned()),
            external_id: Some((*ext).to_owned()),
            phones: vec![(*phone).to_owned()],
            emails: if email.is_empty() {
                vec![]
            } else {
                vec![(*email).to_owned()]
            },
            accounts: vec![format!("A{}", &ext[1..])],
            account_manager: (!manager.is_empty()).then(|| (*manager).to_owned()),
            risk_profile: Some((*risk).to_owned()),
            preferred_channel: Some((*preferred).to_owned()),
            assets: Some((*assets).to_owned()),
            ..RawCustomer::default()
        };
        let draft = crm::validate(&raw, plan).map_err(CrmError::Invalid)?;
        crm::create(db, log, draft, Actor::System, now).await?;
    }
    Ok(logins)
}

/// Stores a queue with its audit event.
#[allow(
    clippy::too_many_arguments,
    reason = "a flat list of a queue's fields reads best here"
)]
pub async fn put_queue(
    log: &InteractionLogHandle,
    name: QueueName,
    display_name: &str,
    channel: Channel,
    team: Option<crate::domain::TeamId>,
    required_skills: Vec<(SkillName, Proficiency)>,
    now: Timestamp,
) -> Result<(), SeedError> {
    let q = QueueRecord {
        id: QueueId::generate(),
        display_name: display_name.to_owned(),
        name,
        channel,
        team,
        required_skills,
        strategy: "longest_idle".into(),
        created_at: now,
        updated_at: now,
    };
    let body = EventBody::ConfigurationChanged {
        what: format!("queue {}", q.name),
        detail: "seeded".into(),
    };
    let item = WriteItem {
        events: vec![NewEvent::new(Subject::Audit, now, Actor::System, body)],
        mutations: vec![Mutation::PutQueue(Box::new(q))],
    };
    log.commit(item).await?;
    Ok(())
}
