//! A queue's stored ACD settings (`store::acd::QueueAcdRecord`) ↔ the ACD's `QueueConfig`
//! fields: offer timeout, wrap-up and escalation steps, with the steps' text form
//! (`<after ms> <action>` separated by `;`, actions as in the log: `relax_proficiency:2`,
//! `widen_groups:a,b`, `raise_priority:10`, `overflow:queue:<id>`, `overflow:voicemail`,
//! `overflow:callback`).
//!
//! Pure mapping: no I/O. Whether a queue set is valid is `acd::validate_queues`'s call.

use std::time::Duration;

use crate::acd::{EscalationAction, EscalationStep, QueueConfig};
use crate::domain::TeamName;
use crate::store::acd::QueueAcdRecord;

use super::log::{action_word, parse_overflow};

/// A stored step that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable escalation step {text:?}")]
pub struct StepTextError {
    /// The step's text.
    pub text: String,
}

/// The text form of steps.
#[must_use]
pub fn steps_text(steps: &[EscalationStep]) -> String {
    steps
        .iter()
        .map(|s| format!("{} {}", s.after.as_millis(), action_word(&s.action)))
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_action(word: &str) -> Option<EscalationAction> {
    let (kind, arg) = word.split_once(':')?;
    Some(match kind {
        "relax_proficiency" => EscalationAction::RelaxProficiency {
            by: arg.parse().ok()?,
        },
        "raise_priority" => EscalationAction::RaisePriority {
            by: arg.parse().ok()?,
        },
        "widen_groups" => EscalationAction::WidenGroups(
            arg.split(',')
                .map(TeamName::parse)
                .collect::<Result<_, _>>()
                .ok()?,
        ),
        "overflow" => EscalationAction::Overflow(parse_overflow(arg)?),
        _ => return None,
    })
}

/// Reads the text form of steps.
pub fn parse_steps(text: &str) -> Result<Vec<EscalationStep>, StepTextError> {
    text.split(';')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let bad = || StepTextError { text: s.to_owned() };
            let (after, action) = s.trim().split_once(' ').ok_or_else(bad)?;
            Ok(EscalationStep {
                after: Duration::from_millis(after.parse().map_err(|_| bad())?),
                action: parse_action(action).ok_or_else(bad)?,
            })
        })
        .collect()
}

/// Applies stored settings to a queue's configuration.
pub fn apply(config: &mut QueueConfig, r: &QueueAcdRecord) -> Result<(), StepTextError> {
    let ms = |v: i64| Duration::from_millis(u64::try_from(v).unwrap_or(0));
    config.offer_timeout = ms(r.offer_timeout_ms);
    config.wrap_up = ms(r.wrap_up_ms);
    config.steps = parse_steps(&r.steps)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::OverflowTarget;
    use crate::domain::QueueId;

    fn check(steps: Vec<EscalationStep>) {
        let text = steps_text(&steps);
        assert_eq!(parse_steps(&text), Ok(steps), "{text}");
    }

    #[test]
    fn steps_round_trip_through_their_text() {
        let s = Duration::from_secs;
        check(Vec::new());
        check(vec![
            EscalationStep {
                after: s(30),
                action: EscalationAction::RelaxProficiency { by: 2 },
            },
            EscalationStep {
                after: s(45),
                action: EscalationAction::WidenGroups(vec![
                    TeamName::parse("team-a").expect("name"),
                    TeamName::parse("team-b").expect("name"),
                ]),
            },
            EscalationStep {
                after: s(60),
                action: EscalationAction::RaisePriority { by: 10 },
            },
            EscalationStep {
                after: s(120),
                action: EscalationAction::Overflow(OverflowTarget::Queue(QueueId::generate())),
            },
        ]);
        check(vec![EscalationStep {
            after: s(300),
            action: EscalationAction::Overflow(OverflowTarget::Callback),
        }]);
    }

    #[test]
    fn unreadable_steps_are_named() {
        for text in [
            "30000",
            "abc relax_proficiency:2",
            "30000 sing:3",
            "1 overflow:queue:x",
        ] {
            assert_eq!(
                parse_steps(text),
                Err(StepTextError {
                    text: text.to_owned()
                })
            );
        }
    }
}
