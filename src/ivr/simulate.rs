//! The flow simulator: runs a flow without telephony against a script of caller keys and the
//! services the caller supplies (the CLI and the admin API back them with the real customer
//! database), and reports the path taken, the prompts played and the final action.
//!
//! Pure: drives `interpreter::step` on a virtual clock that starts at the `Instant` given and
//! jumps to each timer's deadline; prompts finish at once. Reads no clock and does no I/O.

use std::fmt;
use std::time::{Duration, Instant};

use jiff::civil::DateTime;

use super::flow::{Flow, NodeId, NodeKind};
use super::interpreter::{
    HttpOutcome, IvrAction, IvrEvent, IvrLog, IvrState, LookupKey, LookupOutcome, PlayId, TimerId,
    TransferTo, step,
};
use super::value::{Value, VarName};
use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{DtmfDigit, PhoneNumber, PromptName};

/// Most events one simulation feeds before giving up.
pub const MAX_EVENTS: usize = 10_000;

/// What a simulated call asks the outside world.
pub trait Services {
    /// Answers a customer lookup.
    fn lookup(&mut self, key: &LookupKey) -> LookupOutcome;
    /// Answers a data dip that may take at most `timeout`.
    fn http(&mut self, url: &str, params: &[(VarName, Value)], timeout: Duration) -> HttpOutcome;
    /// Answers a queue-statistics request.
    fn queue_stats(&mut self, request: &QueueStatsRequest) -> QueueStatsAnswer;
}

/// One thing the simulated caller does when the flow waits for input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Press a key.
    Key(DtmfDigit),
    /// Press nothing until the input times out.
    Silence,
}

/// Reads `1,#,2`, `123456#` or `1,-,2` (`-` or `wait`: stay silent once).
pub fn parse_inputs(text: &str) -> Result<Vec<Input>, SimulateError> {
    let mut out = Vec::new();
    for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if token == "-" || token == "wait" {
            out.push(Input::Silence);
            continue;
        }
        for c in token.chars() {
            let key = DtmfDigit::from_char(c).ok_or_else(|| SimulateError::BadKey {
                token: token.to_owned(),
                key: c,
            })?;
            out.push(Input::Key(key));
        }
    }
    Ok(out)
}

/// The simulated call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The calling number.
    pub caller: Option<PhoneNumber>,
    /// The number dialled.
    pub dialled: String,
    /// The site's local time when the call arrives.
    pub local_time: DateTime,
    /// What the caller presses, in order.
    pub inputs: Vec<Input>,
}

/// How a simulation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The flow issued its final action (enqueue, transfer, hang-up, ...).
    Ended(IvrAction),
    /// The caller hung up: the script ran out while the flow kept waiting.
    CallerHungUp,
    /// The event budget ran out (a flow that never ends; validated flows do not).
    TooLong,
}

/// What a simulated call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    /// Every node entered, in order.
    pub path: Vec<NodeId>,
    /// Every prompt file played, in order.
    pub prompts: Vec<PromptName>,
    /// The interaction-log events.
    pub log: Vec<IvrLog>,
    /// How it ended.
    pub outcome: Outcome,
    /// Inputs the flow never asked for.
    pub unused_inputs: usize,
}

/// A script that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    /// A character that is not a DTMF key.
    #[error("{key:?} in {token:?} is not a key: use 0-9, *, #, A-D, or - for silence")]
    BadKey {
        /// The token.
        token: String,
        /// The character.
        key: char,
    },
}

/// Runs `flow` for `script`, answering requests through `services`, starting at `start`.
pub fn simulate(
    flow: &Flow,
    script: &Script,
    services: &mut impl Services,
    start: Instant,
) -> Simulation {
    let mut sim = Simulation {
        path: Vec::new(),
        prompts: Vec::new(),
        log: Vec::new(),
        outcome: Outcome::TooLong,
        unused_inputs: 0,
    };
    let mut driver = Driver {
        now: start,
        play: None,
        timer: None,
        answers: Vec::new(),
    };
    let mut inputs = script.inputs.iter().copied().peekable();
    let mut state = IvrState::new();
    let mut event = Some(IvrEvent::Started {
        caller: script.caller.clone(),
        dialled: script.dialled.clone(),
        local_time: script.local_time,
    });
    for _ in 0..MAX_EVENTS {
        let Some(ev) = event.take() else {
            sim.outcome = Outcome::CallerHungUp;
            break;
        };
        let (next, actions) = step(flow, state, ev, driver.now);
        state = next;
        for action in actions {
            driver.carry_out(action, services, &mut sim);
        }
        if state.is_done() {
            break;
        }
        let wants_input = state
            .node()
            .and_then(|id| flow.node(id))
            .is_some_and(|n| matches!(n.kind, NodeKind::Menu(_) | NodeKind::Collect(_)));
        event = driver.next_event(wants_input, &mut inputs);
    }
    sim.unused_inputs = inputs.count();
    sim
}

/// The simulator's side of the call: what is playing, the timer, answers to deliver.
struct Driver {
    now: Instant,
    play: Option<PlayId>,
    timer: Option<(TimerId, Instant)>,
    answers: Vec<IvrEvent>,
}

impl Driver {
    fn carry_out(&mut self, action: IvrAction, services: &mut impl Services, sim: &mut Simulation) {
        match action {
            IvrAction::Play { id, prompts } => {
                self.play = Some(id);
                sim.prompts.extend(prompts);
            }
            IvrAction::StopPlaying => self.play = None,
            IvrAction::SetTimer { id, at } => self.timer = Some((id, at)),
            IvrAction::CancelTimer(id) => {
                if self.timer.is_some_and(|(t, _)| t == id) {
                    self.timer = None;
                }
            }
            IvrAction::Lookup(key) => {
                let outcome = services.lookup(&key);
                self.answers.push(IvrEvent::LookupResult(outcome));
            }
            IvrAction::Http {
                url,
                params,
                timeout,
            } => {
                let outcome = services.http(&url, &params, timeout);
                self.answers.push(IvrEvent::HttpResult(outcome));
            }
            IvrAction::QueueStats(request) => {
                let answer = services.queue_stats(&request);
                self.answers.push(IvrEvent::QueueStats(answer));
            }
            IvrAction::Log(entry) => {
                if let IvrLog::NodeEntered { node, .. } = &entry {
                    sim.path.push(node.clone());
                }
                sim.log.push(entry);
            }
            IvrAction::Enqueue { .. }
            | IvrAction::Voicemail { .. }
            | IvrAction::Callback { .. }
            | IvrAction::Transfer(_)
            | IvrAction::Hangup => sim.outcome = Outcome::Ended(action),
            IvrAction::StartCollect { .. }
            | IvrAction::PauseRecording
            | IvrAction::ResumeRecording => {}
        }
    }

    /// Answers first; then the caller's next key if the flow wants input; then the prompt
    /// finishing; then the timer firing (the clock jumps to it). None: nothing can happen.
    fn next_event(
        &mut self,
        wants_input: bool,
        inputs: &mut std::iter::Peekable<impl Iterator<Item = Input>>,
    ) -> Option<IvrEvent> {
        if !self.answers.is_empty() {
            return Some(self.answers.remove(0));
        }
        if wants_input && let Some(Input::Key(d)) = inputs.peek().copied() {
            inputs.next();
            return Some(IvrEvent::Digit(d));
        }
        if let Some(id) = self.play.take() {
            return Some(IvrEvent::PromptFinished(id));
        }
        if wants_input && inputs.peek() == Some(&Input::Silence) {
            inputs.next();
        }
        let (id, at) = self.timer.take()?;
        self.now = self.now.max(at);
        Some(IvrEvent::TimerFired(id))
    }
}

impl fmt::Display for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<&str> = self.path.iter().map(NodeId::as_str).collect();
        writeln!(f, "path:    {}", path.join(" -> "))?;
        let prompts: Vec<&str> = self.prompts.iter().map(PromptName::as_str).collect();
        writeln!(f, "prompts: {}", prompts.join(" "))?;
        write!(f, "final:   ")?;
        match &self.outcome {
            Outcome::Ended(action) => write_final(f, action)?,
            Outcome::CallerHungUp => write!(f, "caller hung up (the script ran out)")?,
            Outcome::TooLong => write!(f, "stopped after {MAX_EVENTS} events")?,
        }
        if self.unused_inputs > 0 {
            write!(
                f,
                "\nunused:  {} input(s) the flow never asked for",
                self.unused_inputs
            )?;
        }
        Ok(())
    }
}

fn write_final(f: &mut fmt::Formatter<'_>, action: &IvrAction) -> fmt::Result {
    match action {
        IvrAction::Enqueue {
            queue,
            skills,
            priority,
            preferred_agent,
        } => {
            write!(f, "enqueue queue={queue} priority={}", priority.0)?;
            for s in skills {
                write!(f, " skill={}:{}", s.skill, s.min.get())?;
            }
            if let Some(agent) = preferred_agent {
                write!(f, " preferred_agent={agent}")?;
            }
            Ok(())
        }
        IvrAction::Voicemail { queue } => write!(f, "voicemail queue={queue}"),
        IvrAction::Callback {
            queue,
            number,
            priority,
        } => {
            write!(f, "callback queue={queue} priority={}", priority.0)?;
            match number {
                Some(n) => write!(f, " number={n}"),
                None => write!(f, " number=(withheld)"),
            }
        }
        IvrAction::Transfer(TransferTo::Flow(name)) => write!(f, "transfer flow={name}"),
        IvrAction::Transfer(TransferTo::Number(n)) => write!(f, "transfer number={n}"),
        IvrAction::Hangup => write!(f, "hang up"),
        other => write!(f, "{other:?}"),
    }
}

#[cfg(test)]
mod tests;
