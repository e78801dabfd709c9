//! The IVR flow: the typed graph one `ivr_flows/<name>.toml` file describes, with the source
//! position of every node, successor, prompt and condition so that every problem can be
//! reported as `file:line:column` with its node id.
//!
//! Owns the node kinds and their fields and [`FlowError`], the one error type of flow files
//! (parse and validation). Parsing lives in `flow/parse.rs`; checks across nodes live in
//! `validate.rs`. Pure: takes text, returns types; never opens the file itself.

mod condition;
mod error;
mod parse;
mod pattern;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::say::Language;
use super::schedule::{Schedule, ScheduleName};
use super::value::{ValueType, VarName};
use crate::domain::{DtmfDigit, FlowName, PhoneNumber, PromptName, QueueName, SkillRequirement};

pub use condition::{Branch, Case, CompareOp, Cond, Condition, Literal, QueueStat};
pub use error::{FlowError, FlowErrorKind};
pub use parse::{parse, parse_with_plan};
pub use pattern::DigitPattern;

/// A node's id, unique within its flow (`menu_main`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// Validates an id: 1-64 ASCII letters, digits, `_` and `-`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        ok.then(|| Self(text.to_owned()))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A position in a flow file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

/// A successor: `next = "<id>"` or `on_<outcome> = "<id>"`, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// The node it leads to.
    pub target: NodeId,
    /// The key it was written under (`next`, `on_timeout`, `on_1`).
    pub field: String,
    /// Where the key is.
    pub pos: Pos,
}

/// A prompt named by a node, resolved to `<name>.<language>` when played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRef {
    /// The prompt's name as declared under `[prompts]`.
    pub name: PromptName,
    /// Where it is referenced.
    pub pos: Pos,
}

/// A prompt declared in the flow with its text per language (to render missing WAVs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptDecl {
    /// Text per language.
    pub texts: BTreeMap<Language, String>,
    /// Where it is declared.
    pub pos: Pos,
}

/// A queue named by a node, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRef {
    /// The queue.
    pub name: QueueName,
    /// Where it is written.
    pub pos: Pos,
}

/// One flow file, parsed.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The file name used in error messages (`brokerage.toml`).
    pub file: String,
    /// The flow's name (the file stem).
    pub name: FlowName,
    /// What the flow is for.
    pub description: String,
    /// The first node.
    pub start: Ref,
    /// Prompt languages; the first is the default.
    pub languages: Vec<Language>,
    /// Dialled numbers this flow answers (`8000`), with where each is written.
    pub numbers: Vec<(String, Pos)>,
    /// Declared prompts by name.
    pub prompts: BTreeMap<PromptName, PromptDecl>,
    /// Schedules the file defines (defaults; the site configuration may replace them by name).
    pub schedules: BTreeMap<ScheduleName, Schedule>,
    /// The nodes in file order.
    pub nodes: Vec<Node>,
    index: BTreeMap<NodeId, usize>,
}

impl Flow {
    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.index.get(id).and_then(|i| self.nodes.get(*i))
    }

    /// Replaces or adds schedules from the site configuration (same name wins over the file's).
    pub fn set_site_schedules(&mut self, site: impl IntoIterator<Item = (ScheduleName, Schedule)>) {
        self.schedules.extend(site);
    }

    /// Every prompt file the flow plays, with the language and text to render it from:
    /// declared prompts in each of the flow's languages, plus the say-engine's fragments when
    /// the flow has a `say` node. A declared prompt without a text in a language is left out
    /// (the validator reports it).
    #[must_use]
    pub fn prompts_to_render(&self) -> Vec<PromptText> {
        let mut out = Vec::new();
        for (name, decl) in &self.prompts {
            for lang in &self.languages {
                if let (Some(file), Some(text)) = (prompt_file(name, *lang), decl.texts.get(lang)) {
                    out.push(PromptText {
                        file,
                        language: *lang,
                        text: text.clone(),
                    });
                }
            }
        }
        if self
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Say(_)))
        {
            for lang in &self.languages {
                out.extend(
                    super::say::vocabulary(*lang)
                        .into_iter()
                        .map(|(file, text)| PromptText {
                            file,
                            language: *lang,
                            text,
                        }),
                );
            }
        }
        out
    }
}

/// A prompt file to render (`welcome.zh` from "您好" in Mandarin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptText {
    /// The file stem under `ivr_flows/prompts/`.
    pub file: PromptName,
    /// The voice to speak it with.
    pub language: Language,
    /// What to say.
    pub text: String,
}

/// The file stem of a prompt in a language: `welcome` in Mandarin is `welcome.zh`.
#[must_use]
pub fn prompt_file(name: &PromptName, lang: Language) -> Option<PromptName> {
    PromptName::parse(&format!("{name}.{}", lang.code())).ok()
}

/// One node of a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// Where its `id` is written.
    pub pos: Pos,
    /// What it does.
    pub kind: NodeKind,
}

/// What a node does; one variant per node kind.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Play prompts, keeping digits typed meanwhile for the next menu or collect.
    Play(Play),
    /// Play a menu and branch on one digit.
    Menu(Menu),
    /// Collect digits into a variable.
    Collect(Collect),
    /// Identify the customer.
    Lookup(Lookup),
    /// Branch on conditions.
    Branch(Branch),
    /// Set variables.
    Set(SetVars),
    /// A data dip to a configured URL.
    Http(Http),
    /// Speak a variable (number, digits, amount, date).
    Say(Say),
    /// Put the call in a queue (ends the flow).
    Enqueue(Enqueue),
    /// Take a voicemail (ends the flow).
    Voicemail(Voicemail),
    /// Book a call-back that keeps the caller's place (ends the flow).
    Callback(Callback),
    /// Hand the call to another flow or an external number (ends the flow).
    Transfer(Transfer),
    /// Hang up (ends the flow).
    Hangup,
}

impl NodeKind {
    /// The `type = "..."` name of the kind.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            NodeKind::Play(_) => "play",
            NodeKind::Menu(_) => "menu",
            NodeKind::Collect(_) => "collect",
            NodeKind::Lookup(_) => "lookup",
            NodeKind::Branch(_) => "branch",
            NodeKind::Set(_) => "set",
            NodeKind::Http(_) => "http",
            NodeKind::Say(_) => "say",
            NodeKind::Enqueue(_) => "enqueue",
            NodeKind::Voicemail(_) => "voicemail",
            NodeKind::Callback(_) => "callback",
            NodeKind::Transfer(_) => "transfer",
            NodeKind::Hangup => "hangup",
        }
    }

    /// Whether entering this node always waits for the caller or for time (a prompt, a digit).
    #[must_use]
    pub const fn waits_for_caller(&self) -> bool {
        matches!(
            self,
            NodeKind::Play(_) | NodeKind::Menu(_) | NodeKind::Collect(_)
        )
    }

    /// Every successor the node names, in the order written.
    #[must_use]
    pub fn successors(&self) -> Vec<&Ref> {
        let mut out: Vec<&Ref> = Vec::new();
        match self {
            NodeKind::Play(n) => out.extend(&n.next),
            NodeKind::Menu(n) => {
                out.extend(n.choices.iter().map(|(_, r)| r));
                out.extend(n.exits.all());
            }
            NodeKind::Collect(n) => out.extend(n.exits.all()),
            NodeKind::Lookup(n) => out.extend(
                [&n.next, &n.on_not_found, &n.on_failure]
                    .into_iter()
                    .flatten(),
            ),
            NodeKind::Branch(n) => {
                out.extend(n.cases.iter().map(|c| &c.next));
                out.extend(&n.next);
            }
            NodeKind::Set(n) => out.extend(&n.next),
            NodeKind::Http(n) => out.extend(
                [&n.next, &n.on_failure, &n.on_timeout]
                    .into_iter()
                    .flatten(),
            ),
            NodeKind::Say(n) => out.extend(&n.next),
            NodeKind::Enqueue(_)
            | NodeKind::Voicemail(_)
            | NodeKind::Callback(_)
            | NodeKind::Transfer(_)
            | NodeKind::Hangup => {}
        }
        out
    }
}

/// Exits shared by nodes that wait for digits: success, no input, invalid input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputExits {
    /// Success (and the default for the others).
    pub next: Option<Ref>,
    /// No input after every retry.
    pub on_timeout: Option<Ref>,
    /// Invalid input after every retry.
    pub on_invalid: Option<Ref>,
}

impl InputExits {
    fn all(&self) -> impl Iterator<Item = &Ref> {
        [&self.next, &self.on_timeout, &self.on_invalid]
            .into_iter()
            .flatten()
    }
}

/// Retry policy and re-prompts of a node that waits for digits.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// How many more tries after the first.
    pub retries: u8,
    /// Played after no input, before the prompt again.
    pub no_input_prompts: Vec<PromptRef>,
    /// Played after invalid input, before the prompt again.
    pub invalid_prompts: Vec<PromptRef>,
}

/// `play`.
#[derive(Debug, Clone, PartialEq)]
pub struct Play {
    /// The prompts, in order.
    pub prompts: Vec<PromptRef>,
    /// Where to go when they have played.
    pub next: Option<Ref>,
}

/// `menu`.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    /// The menu prompt.
    pub prompts: Vec<PromptRef>,
    /// `on_1 = "..."`: digit to successor.
    pub choices: Vec<(DtmfDigit, Ref)>,
    /// How long to wait for a digit after the prompt.
    pub timeout: Duration,
    /// Retries and re-prompts.
    pub retry: Retry,
    /// Exits when retries run out (default exit is `next`).
    pub exits: InputExits,
}

/// `collect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Collect {
    /// The variable the digits go into.
    pub var: VarName,
    /// The prompt.
    pub prompts: Vec<PromptRef>,
    /// Fewest digits accepted.
    pub min_digits: u8,
    /// Most digits accepted (collection ends when reached).
    pub max_digits: u8,
    /// The key that ends input early (`#` by default; none when `terminator = ""`).
    pub terminator: Option<DtmfDigit>,
    /// How long to wait for the first digit after the prompt.
    pub first_digit_timeout: Duration,
    /// How long to wait between digits.
    pub inter_digit_timeout: Duration,
    /// A validation pattern.
    pub pattern: Option<DigitPattern>,
    /// Retries and re-prompts.
    pub retry: Retry,
    /// PINs and trading passwords: digits masked in logs and traces, recording paused.
    pub sensitive: bool,
    /// Exits.
    pub exits: InputExits,
}

/// How `lookup` identifies the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupBy {
    /// By the calling number (forgeable: the level becomes `matched`).
    CallerNumber,
    /// By an account number collected into a variable.
    Account(VarName),
}

/// `lookup`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// What to look up by.
    pub by: LookupBy,
    /// How long to wait for the answer.
    pub timeout: Duration,
    /// Found.
    pub next: Option<Ref>,
    /// Not found (default `next`).
    pub on_not_found: Option<Ref>,
    /// The lookup failed or timed out (default `on_not_found`, then `next`).
    pub on_failure: Option<Ref>,
}

/// One assignment of a `set` node.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The variable.
    pub var: VarName,
    /// The literal.
    pub value: Literal,
    /// Where it is written.
    pub pos: Pos,
}

/// `set`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetVars {
    /// Assignments in order.
    pub assignments: Vec<Assignment>,
    /// Next node.
    pub next: Option<Ref>,
}

/// One response field an `http` node copies into a variable.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// The variable set.
    pub var: VarName,
    /// The response field read.
    pub from: String,
    /// Its type.
    pub ty: ValueType,
    /// Where it is written.
    pub pos: Pos,
}

/// `http`.
#[derive(Debug, Clone, PartialEq)]
pub struct Http {
    /// The configured URL (the front-end processor's balance service, a PIN check).
    pub url: String,
    /// How long to wait.
    pub timeout: Duration,
    /// Variables sent as request parameters.
    pub send: Vec<VarName>,
    /// Response fields copied into variables.
    pub fields: Vec<FieldMap>,
    /// A success verifies the customer's identity (a PIN check).
    pub verifies_customer: bool,
    /// Success.
    pub next: Option<Ref>,
    /// The service answered with an error or an unreadable field (default `next`).
    pub on_failure: Option<Ref>,
    /// No answer in time (default `on_failure`, then `next`).
    pub on_timeout: Option<Ref>,
}

/// What `say` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SayWhat {
    /// A number read in full.
    Number,
    /// Key by key.
    Digits,
    /// Money (yuan, jiao, fen).
    Amount,
    /// A date.
    Date,
}

impl SayWhat {
    /// Reads `number`, `digits`, `amount`, `date`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "number" => SayWhat::Number,
            "digits" => SayWhat::Digits,
            "amount" => SayWhat::Amount,
            "date" => SayWhat::Date,
            _ => return None,
        })
    }

    /// The variable types it can read.
    #[must_use]
    pub fn accepts(self, ty: ValueType) -> bool {
        match self {
            SayWhat::Number => matches!(ty, ValueType::Integer),
            SayWhat::Digits => {
                matches!(ty, ValueType::Digits | ValueType::Text | ValueType::Integer)
            }
            SayWhat::Amount => matches!(ty, ValueType::Amount | ValueType::Integer),
            SayWhat::Date => matches!(ty, ValueType::Date),
        }
    }

    /// The name as written.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SayWhat::Number => "number",
            SayWhat::Digits => "digits",
            SayWhat::Amount => "amount",
            SayWhat::Date => "date",
        }
    }
}

/// `say`.
#[derive(Debug, Clone, PartialEq)]
pub struct Say {
    /// How to read it.
    pub what: SayWhat,
    /// The variable read.
    pub var: VarName,
    /// Prompts played before the value (`your balance is`).
    pub prompts: Vec<PromptRef>,
    /// Next node.
    pub next: Option<Ref>,
}

/// Queue priority, 1 (lowest) to 9 (served first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(pub u8);

impl Priority {
    /// The default priority of a customer tier.
    #[must_use]
    pub const fn of_tier(tier: Option<crate::domain::Tier>) -> Self {
        use crate::domain::Tier;
        match tier {
            Some(Tier::Diamond) => Priority(9),
            Some(Tier::Gold) => Priority(7),
            Some(Tier::WealthCard) => Priority(5),
            Some(Tier::Standard) | None => Priority(3),
        }
    }
}

/// `enqueue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Enqueue {
    /// The queue.
    pub queue: QueueRef,
    /// Skills required on top of the queue's own.
    pub skills: Vec<SkillRequirement>,
    /// Fixed priority; by default it comes from the customer's tier.
    pub priority: Option<Priority>,
    /// Offer the call to the customer's account manager first (default true).
    pub prefer_account_manager: bool,
}

/// `voicemail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Voicemail {
    /// The queue whose mailbox takes the message.
    pub queue: QueueRef,
}

/// `callback`.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The queue the call-back waits in, keeping the caller's place.
    pub queue: QueueRef,
    /// Fixed priority; by default it comes from the customer's tier.
    pub priority: Option<Priority>,
}

/// Where `transfer` sends the call.
#[derive(Debug, Clone, PartialEq)]
pub enum TransferTarget {
    /// Another flow, by name.
    Flow(FlowName, Pos),
    /// An external number.
    Number(PhoneNumber),
}

/// `transfer`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    /// The target.
    pub target: TransferTarget,
}

#[cfg(test)]
mod tests;
