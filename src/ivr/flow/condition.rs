//! Branch conditions: comparisons on variables, tier, identification level, schedules and
//! queue statistics, with the literals written in flow files. Pure data plus small helpers.

use std::fmt;

use super::{Pos, QueueRef, Ref};
use crate::domain::QueueName;
use crate::ivr::schedule::ScheduleName;
use crate::ivr::value::{Amount, Value, ValueType, VarName};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// Reads `==`, `!=`, `<`, `<=`, `>`, `>=`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "==" => CompareOp::Eq,
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => return None,
        })
    }

    /// Whether the operator orders (not just equality).
    #[must_use]
    pub const fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    /// Applies the operator to an ordering of left against right.
    #[must_use]
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            CompareOp::Eq => ord == Equal,
            CompareOp::Ne => ord != Equal,
            CompareOp::Lt => ord == Less,
            CompareOp::Le => ord != Greater,
            CompareOp::Gt => ord == Greater,
            CompareOp::Ge => ord != Less,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        })
    }
}

/// A literal written in a flow file, typed against its variable by the validator.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A TOML string.
    Text(String),
    /// A TOML integer.
    Integer(i64),
    /// A TOML float, kept as written (`12.50`) so money stays exact.
    Decimal(String),
    /// A TOML boolean.
    Bool(bool),
}

impl Literal {
    /// The TOML kind, for error messages.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Literal::Text(_) => "string",
            Literal::Integer(_) => "integer",
            Literal::Decimal(_) => "float",
            Literal::Bool(_) => "boolean",
        }
    }

    /// The literal as a value of `ty`, if it can be one.
    #[must_use]
    pub fn as_value(&self, ty: ValueType) -> Option<Value> {
        match (self, ty) {
            (Literal::Integer(i), ValueType::Integer) => Some(Value::Integer(*i)),
            (Literal::Integer(i), ValueType::Amount) => {
                i.checked_mul(100).map(|fen| Value::Amount(Amount { fen }))
            }
            (Literal::Decimal(t), ValueType::Amount) => ty.read(t).ok(),
            (Literal::Bool(b), ValueType::Bool) => Some(Value::Bool(*b)),
            (_, ValueType::Secret) => None,
            (Literal::Text(t), _) => ty.read(t).ok(),
            _ => None,
        }
    }
}

/// A figure of a queue a branch can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStat {
    /// Eligible agents ready now.
    AgentsReady,
    /// Eligible agents logged in.
    AgentsLoggedIn,
    /// Contacts waiting.
    Waiting,
    /// Estimated wait, in seconds.
    EstimatedWaitSecs,
}

impl QueueStat {
    /// Reads `agents_ready`, `agents_logged_in`, `waiting`, `estimated_wait_secs`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "agents_ready" => QueueStat::AgentsReady,
            "agents_logged_in" => QueueStat::AgentsLoggedIn,
            "waiting" => QueueStat::Waiting,
            "estimated_wait_secs" => QueueStat::EstimatedWaitSecs,
            _ => return None,
        })
    }
}

/// One test of a branch case.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `var = "x", op = ">=", value = 3`.
    Compare {
        /// The variable.
        var: VarName,
        /// The operator.
        op: CompareOp,
        /// The literal compared with.
        value: Literal,
    },
    /// `is_set = "x"`: the variable has a value.
    IsSet(VarName),
    /// `tier = ["diamond", "gold"]`: the customer's tier is one of these.
    TierIn(Vec<crate::domain::Tier>),
    /// `identified = "verified"`: identification is at least this level.
    IdentifiedAtLeast(crate::domain::IdentificationLevel),
    /// `open = "trading_hours"`: the schedule is open now.
    Open(ScheduleName),
    /// `queue = "trading", stat = "agents_ready", op = ">", value = 0`.
    Queue {
        /// The queue asked about.
        queue: QueueRef,
        /// The figure.
        stat: QueueStat,
        /// The operator.
        op: CompareOp,
        /// The number compared with.
        value: i64,
    },
}

/// A condition with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    /// The test.
    pub test: Condition,
    /// Where it is written.
    pub pos: Pos,
}

/// One case of a branch: all conditions hold -> `next`.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Conditions, all of which must hold.
    pub when: Vec<Cond>,
    /// Where to go.
    pub next: Ref,
}

/// `branch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Cases tried in order.
    pub cases: Vec<Case>,
    /// Where to go when no case holds.
    pub next: Option<Ref>,
}

impl Branch {
    /// The queues whose statistics the cases need.
    #[must_use]
    pub fn queues_needed(&self) -> Vec<QueueName> {
        let mut out: Vec<QueueName> = Vec::new();
        for cond in self.cases.iter().flat_map(|c| &c.when) {
            if let Condition::Queue { queue, .. } = &cond.test
                && !out.contains(&queue.name)
            {
                out.push(queue.name.clone());
            }
        }
        out
    }
}
