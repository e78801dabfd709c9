//! Evaluation inside a step: prompts resolved to the caller's language, values read aloud by
//! the say-engine, `set` literals typed, and branch conditions decided. Pure.

use std::time::Duration;

use jiff::SignedDuration;
use jiff::civil::DateTime;

use super::Machine;
use crate::domain::PromptName;
use crate::domain::queue_stats::QueueStatsAnswer;
use crate::ivr::flow::{
    Branch, CompareOp, Condition, Literal, NodeId, PromptRef, QueueStat, prompt_file,
};
use crate::ivr::say::{self, Language};
use crate::ivr::validate::{BUILTIN_VARS, natural_type};
use crate::ivr::value::{Value, VarName};

/// Whether `op` holds between two values of the same type.
fn compare(op: CompareOp, left: &Value, right: &Value) -> bool {
    let ord = match (left, right) {
        (Value::Integer(a), Value::Integer(b)) => Some(a.cmp(b)),
        (Value::Amount(a), Value::Amount(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::Level(a), Value::Level(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ord) {
        (CompareOp::Eq, _) => left == right,
        (CompareOp::Ne, _) => left != right,
        (_, Some(ord)) => op.holds(ord),
        (_, None) => false,
    }
}

fn figure(answer: &QueueStatsAnswer, stat: QueueStat) -> i64 {
    let n = match stat {
        QueueStat::AgentsReady => u64::from(answer.agents_ready),
        QueueStat::AgentsLoggedIn => u64::from(answer.agents_logged_in),
        QueueStat::Waiting => u64::from(answer.waiting),
        QueueStat::EstimatedWaitSecs => answer.estimated_wait.as_secs(),
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Machine<'_> {
    /// The caller's language now (the `language` variable, else the flow's first).
    pub(super) fn language(&self) -> Language {
        match self.st.vars.get(&VarName::builtin("language")) {
            Some(Value::Text(code)) => Language::from_code(code),
            _ => None,
        }
        .or_else(|| self.flow.languages.first().copied())
        .unwrap_or(Language::Mandarin)
    }

    /// Prompt names resolved to their files in the caller's language.
    pub(super) fn resolve(&self, prompts: &[PromptRef]) -> Vec<PromptName> {
        let lang = self.language();
        prompts
            .iter()
            .filter_map(|p| prompt_file(&p.name, lang))
            .collect()
    }

    /// The say-engine's fragments for a variable; nothing when it is unset or unsayable.
    pub(super) fn say_value(
        &self,
        what: crate::ivr::flow::SayWhat,
        var: &VarName,
    ) -> Vec<PromptName> {
        use crate::ivr::flow::SayWhat;
        let lang = self.language();
        match (what, self.st.vars.get(var)) {
            (SayWhat::Number, Some(Value::Integer(n))) => say::number(lang, *n),
            (SayWhat::Digits, Some(Value::Digits(d) | Value::Text(d))) => say::digits(lang, d),
            (SayWhat::Digits, Some(Value::Integer(n))) => say::digits(lang, &n.to_string()),
            (SayWhat::Amount, Some(Value::Amount(a))) => say::amount(lang, *a),
            (SayWhat::Amount, Some(Value::Integer(n))) => {
                let fen = n.saturating_mul(100);
                say::amount(lang, crate::ivr::value::Amount { fen })
            }
            (SayWhat::Date, Some(Value::Date(d))) => say::date(lang, *d),
            _ => Vec::new(),
        }
    }

    /// A `set` literal as a value of the variable's type (built-in, current, or natural).
    pub(super) fn typed_literal(&self, var: &VarName, lit: &Literal) -> Option<Value> {
        let builtin = BUILTIN_VARS
            .iter()
            .find(|(n, _)| *n == var.as_str())
            .map(|(_, t)| *t);
        let ty = builtin
            .or_else(|| self.st.vars.get(var).map(Value::value_type))
            .unwrap_or_else(|| natural_type(lit));
        lit.as_value(ty)
    }

    /// The site's local time now, from the time given at start plus what has elapsed.
    fn local_now(&self) -> Option<DateTime> {
        let clock = self.st.clock?;
        let (at, local) = (clock.at, clock.local);
        let elapsed = self
            .now
            .checked_duration_since(at)
            .unwrap_or(Duration::ZERO);
        let elapsed = SignedDuration::try_from(elapsed).ok()?;
        local.checked_add(elapsed).ok()
    }

    fn holds(&self, test: &Condition) -> bool {
        let vars = &self.st.vars;
        match test {
            Condition::Compare { var, op, value } => vars.get(var).is_some_and(|current| {
                value
                    .as_value(current.value_type())
                    .is_some_and(|lit| compare(*op, current, &lit))
            }),
            Condition::IsSet(var) => vars.get(var).is_some(),
            Condition::TierIn(tiers) => matches!(
                vars.get(&VarName::builtin("customer.tier")),
                Some(Value::Tier(t)) if tiers.contains(t)
            ),
            Condition::IdentifiedAtLeast(level) => matches!(
                vars.get(&VarName::builtin("identification")),
                Some(Value::Level(l)) if l >= level
            ),
            Condition::Open(name) => match (self.flow.schedules.get(name), self.local_now()) {
                (Some(schedule), Some(now)) => schedule.is_open(now),
                _ => false,
            },
            Condition::Queue {
                queue,
                stat,
                op,
                value,
            } => self
                .st
                .stats
                .iter()
                .find(|a| a.queue == queue.name && a.known)
                .is_some_and(|a| op.holds(figure(a, *stat).cmp(value))),
        }
    }

    /// Picks the first case whose conditions all hold, else `next`.
    pub(super) fn decide(&mut self, id: &NodeId, b: &Branch) -> Option<NodeId> {
        let chosen = b
            .cases
            .iter()
            .find(|c| c.when.iter().all(|cond| self.holds(&cond.test)))
            .map(|c| &c.next);
        self.st.stats.clear();
        match chosen {
            Some(r) => Some(r.target.clone()),
            None => self.follow_default(id, b),
        }
    }

    fn follow_default(&mut self, id: &NodeId, b: &Branch) -> Option<NodeId> {
        match &b.next {
            Some(r) => Some(r.target.clone()),
            None => {
                self.abort(Some(id.clone()));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdentificationLevel;
    use crate::ivr::value::Amount;

    #[test]
    fn comparisons_follow_the_type() {
        let check = |op, l: Value, r: Value, expected: bool| {
            assert_eq!(compare(op, &l, &r), expected, "{l:?} {op} {r:?}");
        };
        check(CompareOp::Ge, Value::Integer(3), Value::Integer(3), true);
        check(
            CompareOp::Lt,
            Value::Amount(Amount { fen: 5 }),
            Value::Amount(Amount { fen: 50 }),
            true,
        );
        check(
            CompareOp::Ge,
            Value::Level(IdentificationLevel::Matched),
            Value::Level(IdentificationLevel::Verified),
            false,
        );
        check(
            CompareOp::Eq,
            Value::Text("en".into()),
            Value::Text("en".into()),
            true,
        );
        check(
            CompareOp::Lt,
            Value::Text("a".into()),
            Value::Text("b".into()),
            false,
        );
        check(
            CompareOp::Ne,
            Value::Digits("1".into()),
            Value::Digits("2".into()),
            true,
        );
    }
}
