//! The IVR interpreter: `step(&Flow, IvrState, IvrEvent, now) -> (IvrState, Vec<IvrAction>)`.
//!
//! Owns the run state of one call inside one flow (where it is, its variables, digits typed
//! ahead, pending prompt, timer or request) and what each event does to it. The call task
//! carries out the actions (plays prompts, sets timers, asks the customer database, the HTTP
//! service or the ACD) and feeds back what happened as events.
//!
//! Pure: reads no clock (time is `now`, an `Instant` for deadlines, plus the local civil time
//! given at start for schedules), does no I/O, and knows nothing of SIP, media or the ACD.
//! Sensitive digits never leave as text: they are `***` in state `Debug`, logs and traces.

mod eval;
mod nodes;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use jiff::civil::DateTime;

use super::flow::{Flow, NodeId, Priority};
use super::value::{Value, VarName, Vars};
use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{
    AgentLogin, CustomerId, DtmfDigit, FlowName, IdentificationLevel, PhoneNumber, PromptName,
    QueueName, RiskProfile, SkillRequirement, Tier,
};

/// Most digits kept typed ahead; older ones are dropped.
pub const TYPE_AHEAD_MAX: usize = 32;

/// How long a branch waits for queue statistics before deciding without them.
pub const QUEUE_STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// Identifies one `Play` so a late `PromptFinished` for an interrupted prompt is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayId(pub u64);

/// Identifies one timer so a timer that fires after it was replaced is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub u64);

/// A customer as the customer database returns it to `lookup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerProfile {
    /// The customer.
    pub id: CustomerId,
    /// Display name.
    pub name: String,
    /// Service tier.
    pub tier: Tier,
    /// The owning account manager, if any.
    pub account_manager: Option<AgentLogin>,
    /// Risk profile, if assessed.
    pub risk: Option<RiskProfile>,
}

/// What the customer database answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupOutcome {
    /// One customer matched.
    Found(CustomerProfile),
    /// Nobody matched.
    NotFound,
    /// The lookup failed (database down).
    Failed,
}

/// What the HTTP service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    /// Success, with the response's fields as text (the driver flattens the JSON).
    Ok(BTreeMap<String, String>),
    /// An error status or an unreadable body.
    Failed,
    /// No answer in time.
    TimedOut,
}

/// Something that happened to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrEvent {
    /// The call entered the flow.
    Started {
        /// The calling number, if presented.
        caller: Option<PhoneNumber>,
        /// The number dialled (`8000`).
        dialled: String,
        /// The site's local date and time now (the driver converts from UTC).
        local_time: DateTime,
    },
    /// The caller pressed a key.
    Digit(DtmfDigit),
    /// A `Play` finished playing.
    PromptFinished(PlayId),
    /// A timer fired.
    TimerFired(TimerId),
    /// The customer database answered a `Lookup`.
    LookupResult(LookupOutcome),
    /// The HTTP service answered an `Http`.
    HttpResult(HttpOutcome),
    /// The ACD answered a `QueueStats`.
    QueueStats(QueueStatsAnswer),
    /// The caller hung up.
    HungUp,
}

/// What `lookup` asks the customer database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupKey {
    /// By calling number.
    CallerNumber(PhoneNumber),
    /// By account number (digits the caller typed).
    Account(String),
}

/// Where a `transfer` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    /// Another flow.
    Flow(FlowName),
    /// An external number.
    Number(PhoneNumber),
}

/// Something the call task must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrAction {
    /// Play prompt files in order, then report `PromptFinished(id)`.
    Play {
        /// Which play this is.
        id: PlayId,
        /// File stems under `ivr_flows/prompts/`.
        prompts: Vec<PromptName>,
    },
    /// Stop the prompt playing now (the caller barged in); no `PromptFinished` is needed.
    StopPlaying,
    /// Digits are now collected for a variable (drivers may show or mask them).
    StartCollect {
        /// The variable.
        var: VarName,
        /// Most digits.
        max_digits: u8,
        /// The key that ends input.
        terminator: Option<DtmfDigit>,
        /// Whether digits must be masked everywhere.
        sensitive: bool,
    },
    /// Report `TimerFired(id)` at `at`.
    SetTimer {
        /// Which timer.
        id: TimerId,
        /// When.
        at: Instant,
    },
    /// Forget a timer.
    CancelTimer(TimerId),
    /// Ask the customer database; answer with `LookupResult`.
    Lookup(LookupKey),
    /// Call the HTTP service; answer with `HttpResult`.
    Http {
        /// The configured URL.
        url: String,
        /// Request parameters (secret values stay masked in `Debug`).
        params: Vec<(VarName, Value)>,
        /// How long the request may take.
        timeout: Duration,
    },
    /// Ask the ACD for a queue's figures; answer with `QueueStats`.
    QueueStats(QueueStatsRequest),
    /// Queue the call. The flow has ended.
    Enqueue {
        /// The queue.
        queue: QueueName,
        /// Extra skills required.
        skills: Vec<SkillRequirement>,
        /// Priority (from the tier unless the node fixes it).
        priority: Priority,
        /// Offer to this agent first (the account manager).
        preferred_agent: Option<AgentLogin>,
    },
    /// Take a voicemail for a queue. The flow has ended.
    Voicemail {
        /// The queue's mailbox.
        queue: QueueName,
    },
    /// Book a call-back keeping the caller's place. The flow has ended.
    Callback {
        /// The queue.
        queue: QueueName,
        /// The number to call back.
        number: Option<PhoneNumber>,
        /// Priority.
        priority: Priority,
    },
    /// Hand the call on. The flow has ended.
    Transfer(TransferTo),
    /// Hang up. The flow has ended.
    Hangup,
    /// Pause call recording (a sensitive collect starts).
    PauseRecording,
    /// Resume call recording (the sensitive collect is over).
    ResumeRecording,
    /// An interaction-log event.
    Log(IvrLog),
}

/// A key as logged: masked inside a sensitive collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggedKey {
    /// The key pressed.
    Key(DtmfDigit),
    /// A key of a PIN or password: shown as `*`.
    Masked,
}

impl fmt::Display for LoggedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoggedKey::Key(d) => write!(f, "{d}"),
            LoggedKey::Masked => f.write_str("*"),
        }
    }
}

/// An interaction-log event of the IVR: every node entered and every input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrLog {
    /// The run started.
    Started {
        /// The flow.
        flow: FlowName,
    },
    /// A node was entered.
    NodeEntered {
        /// The node.
        node: NodeId,
        /// Its kind (`menu`).
        kind: &'static str,
    },
    /// A menu or collect took a key.
    Key {
        /// The node that took it.
        node: Option<NodeId>,
        /// The key, masked in a sensitive collect.
        key: LoggedKey,
    },
    /// The caller pressed a key while nothing took input; it is kept for the next menu or
    /// collect, which logs its value (so a PIN typed ahead is never shown).
    KeyTypedAhead {
        /// The node playing or waiting when it was pressed.
        node: Option<NodeId>,
    },
    /// No input before the timeout.
    NoInput {
        /// The node.
        node: NodeId,
    },
    /// Input that matches no choice, is too short or fails the pattern.
    InvalidInput {
        /// The node.
        node: NodeId,
    },
    /// A variable was set.
    VarSet {
        /// The variable.
        var: VarName,
        /// Its value (secrets print as `***`).
        value: Value,
    },
    /// The customer was identified (or not).
    Identified {
        /// The level reached.
        level: IdentificationLevel,
    },
    /// A data dip finished.
    HttpDone {
        /// The node.
        node: NodeId,
        /// `ok`, `failed`, `timed_out` or `bad_field`.
        outcome: &'static str,
    },
    /// The flow ended.
    Ended {
        /// How (`enqueue`, `hangup`, `caller_hung_up`, ...).
        how: &'static str,
    },
    /// The run stopped because a node had no exit or a step ran too long (never for a
    /// validated flow; kept so that a bug ends the call cleanly).
    Aborted {
        /// The node it stopped at.
        node: Option<NodeId>,
    },
}

/// Digits typed so far into a collect; masked in `Debug` when sensitive.
#[derive(Clone, PartialEq, Eq, Default)]
struct Typed {
    digits: String,
    sensitive: bool,
}

impl fmt::Debug for Typed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            write!(f, "{:*<1$}", "", self.digits.len())
        } else {
            write!(f, "{:?}", self.digits)
        }
    }
}

/// When the run started: the monotonic instant and the site's local time then. `Debug` shows
/// only the local time (an `Instant` means nothing in a trace).
#[derive(Clone, Copy, PartialEq, Eq)]
struct StartClock {
    at: Instant,
    local: DateTime,
}

impl fmt::Debug for StartClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "started at {}", self.local)
    }
}

/// Keys typed while nothing took input. `Debug` shows only how many: they may be a PIN.
#[derive(Clone, PartialEq, Eq, Default)]
struct TypeAhead(VecDeque<DtmfDigit>);

impl fmt::Debug for TypeAhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} key(s)", self.0.len())
    }
}

/// What a menu or collect is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputWait {
    /// Nothing yet: keys typed ahead are being consumed on entry.
    Idle,
    /// The prompt is playing (a key barges in).
    Prompt(PlayId),
    /// Waiting for a key until the timer fires.
    Keys(TimerId),
}

/// Where the run is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Run {
    /// Before `Started`.
    #[default]
    NotStarted,
    /// A play or say node is playing.
    Playing { node: NodeId, play: PlayId },
    /// A menu waits for its digit.
    Menu {
        node: NodeId,
        attempt: u8,
        wait: InputWait,
    },
    /// A collect gathers digits.
    Collect {
        node: NodeId,
        attempt: u8,
        typed: Typed,
        wait: InputWait,
    },
    /// A lookup waits for the customer database.
    Lookup { node: NodeId, timer: TimerId },
    /// An http node waits for the service.
    Http { node: NodeId, timer: TimerId },
    /// A branch waits for queue statistics.
    Stats {
        node: NodeId,
        pending: Vec<QueueName>,
        timer: TimerId,
    },
    /// The flow has ended.
    Done,
}

/// What a started run waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Waiting {
    /// A prompt to finish (or a key to barge in).
    Prompt(PlayId),
    /// A timer to fire (or a key, or the answer it guards).
    Timer(TimerId),
}

/// The state of one call's run through a flow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IvrState {
    run: Run,
    vars: Vars,
    type_ahead: TypeAhead,
    stats: Vec<QueueStatsAnswer>,
    caller: Option<PhoneNumber>,
    clock: Option<StartClock>,
    seq: u64,
}

impl IvrState {
    /// A run that has not started.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The variables.
    #[must_use]
    pub fn vars(&self) -> &Vars {
        &self.vars
    }

    /// Whether the flow has ended (an enqueue, transfer, hang-up ... was issued).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.run == Run::Done
    }

    /// Whether the run is waiting for something that will come: a prompt to finish, a timer,
    /// or an answer (which always has a timer too). A started run that is not done always is.
    #[must_use]
    pub fn is_waiting(&self) -> bool {
        !matches!(self.run, Run::NotStarted | Run::Done)
    }

    /// What the run waits for: a prompt to finish or a timer (every answer it awaits is
    /// guarded by a timer). `None` before the start and after the end.
    #[must_use]
    pub fn waiting_for(&self) -> Option<Waiting> {
        match &self.run {
            Run::Playing { play, .. }
            | Run::Menu {
                wait: InputWait::Prompt(play),
                ..
            }
            | Run::Collect {
                wait: InputWait::Prompt(play),
                ..
            } => Some(Waiting::Prompt(*play)),
            Run::Menu {
                wait: InputWait::Keys(timer),
                ..
            }
            | Run::Collect {
                wait: InputWait::Keys(timer),
                ..
            }
            | Run::Lookup { timer, .. }
            | Run::Http { timer, .. }
            | Run::Stats { timer, .. } => Some(Waiting::Timer(*timer)),
            Run::Menu {
                wait: InputWait::Idle,
                ..
            }
            | Run::Collect {
                wait: InputWait::Idle,
                ..
            }
            | Run::NotStarted
            | Run::Done => None,
        }
    }

    /// The node the run is in, if any.
    #[must_use]
    pub fn node(&self) -> Option<&NodeId> {
        match &self.run {
            Run::Playing { node, .. }
            | Run::Menu { node, .. }
            | Run::Collect { node, .. }
            | Run::Lookup { node, .. }
            | Run::Http { node, .. }
            | Run::Stats { node, .. } => Some(node),
            Run::NotStarted | Run::Done => None,
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// Feeds one event to a run: returns the new state and what the call must do, in order.
#[must_use]
pub fn step(
    flow: &Flow,
    state: IvrState,
    event: IvrEvent,
    now: Instant,
) -> (IvrState, Vec<IvrAction>) {
    let mut m = Machine {
        flow,
        st: state,
        out: Vec::new(),
        now,
        budget: 64 + 4 * flow.nodes.len() * (TYPE_AHEAD_MAX + 1),
    };
    let cont = m.handle(event);
    m.run_from(cont);
    (m.st, m.out)
}

/// One step in progress.
struct Machine<'f> {
    flow: &'f Flow,
    st: IvrState,
    out: Vec<IvrAction>,
    now: Instant,
    budget: usize,
}

impl Machine<'_> {
    fn log(&mut self, event: IvrLog) {
        self.out.push(IvrAction::Log(event));
    }

    fn set_var(&mut self, var: VarName, value: Value) {
        self.log(IvrLog::VarSet {
            var: var.clone(),
            value: value.clone(),
        });
        self.st.vars.set(var, value);
    }

    fn set_timer(&mut self, after: Duration) -> TimerId {
        let id = TimerId(self.st.next_seq());
        let at = self.now.checked_add(after).unwrap_or(self.now);
        self.out.push(IvrAction::SetTimer { id, at });
        id
    }

    fn play(&mut self, prompts: Vec<PromptName>) -> PlayId {
        let id = PlayId(self.st.next_seq());
        self.out.push(IvrAction::Play { id, prompts });
        id
    }

    /// Ends the flow with a final action.
    fn end(&mut self, action: IvrAction, how: &'static str) {
        self.out.push(action);
        self.log(IvrLog::Ended { how });
        self.st.run = Run::Done;
    }

    fn abort(&mut self, node: Option<NodeId>) {
        self.log(IvrLog::Aborted { node });
        self.end(IvrAction::Hangup, "aborted");
    }

    fn handle(&mut self, event: IvrEvent) -> Option<NodeId> {
        match event {
            IvrEvent::Started {
                caller,
                dialled,
                local_time,
            } => self.started(caller, dialled, local_time),
            IvrEvent::Digit(d) => self.digit(d),
            IvrEvent::PromptFinished(id) => self.prompt_finished(id),
            IvrEvent::TimerFired(id) => self.timer_fired(id),
            IvrEvent::LookupResult(outcome) => self.lookup_result(outcome),
            IvrEvent::HttpResult(outcome) => self.http_result(outcome),
            IvrEvent::QueueStats(answer) => self.queue_stats(answer),
            IvrEvent::HungUp => {
                if self.st.run != Run::Done {
                    if matches!(&self.st.run, Run::Collect { typed, .. } if typed.sensitive) {
                        self.out.push(IvrAction::ResumeRecording);
                    }
                    self.log(IvrLog::Ended {
                        how: "caller_hung_up",
                    });
                    self.st.run = Run::Done;
                }
                None
            }
        }
    }

    fn started(
        &mut self,
        caller: Option<PhoneNumber>,
        dialled: String,
        local_time: DateTime,
    ) -> Option<NodeId> {
        if self.st.run != Run::NotStarted {
            return None;
        }
        self.st.clock = Some(StartClock {
            at: self.now,
            local: local_time,
        });
        self.log(IvrLog::Started {
            flow: self.flow.name.clone(),
        });
        let lang = self.flow.languages.first().map_or("zh", |l| l.code());
        self.set_var(VarName::builtin("language"), Value::Text(lang.to_owned()));
        self.set_var(VarName::builtin("dialled"), Value::Text(dialled));
        if let Some(c) = &caller {
            self.set_var(VarName::builtin("caller"), Value::Text(c.to_string()));
        }
        self.set_var(
            VarName::builtin("identification"),
            Value::Level(IdentificationLevel::Unknown),
        );
        self.st.caller = caller;
        Some(self.flow.start.target.clone())
    }

    /// Enters nodes until one waits or the flow ends.
    fn run_from(&mut self, mut next: Option<NodeId>) {
        while let Some(id) = next {
            if self.budget == 0 {
                self.abort(Some(id));
                return;
            }
            self.budget -= 1;
            next = self.enter(&id);
        }
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
