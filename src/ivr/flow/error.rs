//! [`FlowError`]: the one error type of flow files, for parse and validation problems alike,
//! each with file, line, column and node id. Pure data; no I/O.

use super::{CompareOp, NodeId};
use crate::domain::{FlowName, PromptName, QueueName};
use crate::ivr::say::Language;
use crate::ivr::schedule::ScheduleName;
use crate::ivr::value::{ValueType, VarName};

/// Any problem in a flow file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {}{kind}", node.as_ref().map(|n| format!("node \"{n}\": ")).unwrap_or_default())]
pub struct FlowError {
    /// The file name.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// The node it is in, if any.
    pub node: Option<NodeId>,
    /// What is wrong.
    pub kind: FlowErrorKind,
}

/// What is wrong in a flow file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowErrorKind {
    /// The TOML itself does not parse.
    #[error("TOML syntax: {message}")]
    Syntax {
        /// The TOML parser's message.
        message: String,
    },
    /// A field holds the wrong kind of TOML value.
    #[error("{field} must be {expected}, found {found}")]
    WrongType {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// A field holds a value outside what it accepts.
    #[error("{field} = {value:?} is not {expected}")]
    InvalidValue {
        /// The field.
        field: String,
        /// The value written.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A required field is absent.
    #[error("missing field {field}")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field this node kind does not have.
    #[error("unknown field {field}")]
    UnknownField {
        /// The field.
        field: String,
    },
    /// `type = "..."` names no node kind.
    #[error("unknown node type {found:?}")]
    UnknownNodeType {
        /// The type written.
        found: String,
    },
    /// Two nodes share an id.
    #[error("duplicate node id (first defined on line {first_line})")]
    DuplicateNode {
        /// Where the first one is.
        first_line: u32,
    },
    /// A successor names no node.
    #[error("{field} refers to unknown node \"{missing}\"")]
    UnknownNode {
        /// The key (`next`, `on_timeout`).
        field: String,
        /// The id that does not exist.
        missing: NodeId,
    },
    /// No path from the start reaches the node.
    #[error("unreachable from the start node")]
    Unreachable,
    /// An outcome of the node has nowhere to go.
    #[error("nothing follows outcome {outcome}: set {fields}")]
    MissingExit {
        /// The outcome (`done`, `timeout`, `not_found`).
        outcome: &'static str,
        /// The fields that could name a successor.
        fields: &'static str,
    },
    /// A cycle of nodes none of which waits for the caller.
    #[error("loop can spin without waiting for input: {}", cycle.iter().map(NodeId::as_str).collect::<Vec<_>>().join(" -> "))]
    SpinLoop {
        /// The nodes of the cycle.
        cycle: Vec<NodeId>,
    },
    /// A prompt not declared under `[prompts]`.
    #[error("prompt \"{prompt}\" is not declared under [prompts]")]
    UnknownPrompt {
        /// The prompt.
        prompt: PromptName,
    },
    /// A declared prompt lacks a text in one of the flow's languages.
    #[error("prompt \"{prompt}\" has no {language} text")]
    MissingPromptText {
        /// The prompt.
        prompt: PromptName,
        /// The language.
        language: Language,
    },
    /// No WAV file for a prompt the flow plays.
    #[error("missing prompt file prompts/{file}.wav (render it with `switchyard prompts render`)")]
    MissingPromptFile {
        /// The file stem.
        file: PromptName,
    },
    /// A `say` node needs the say-engine's fragments, and some have no WAV file.
    #[error(
        "say needs {missing} missing {language} fragment file(s), e.g. prompts/{example}.wav (render them with `switchyard prompts render`)"
    )]
    MissingSayFragments {
        /// The language.
        language: Language,
        /// How many fragment files are missing.
        missing: usize,
        /// The first missing one.
        example: PromptName,
    },
    /// Two flows answer one dialled number.
    #[error("number {number} is also answered by flow \"{other}\"")]
    DuplicateNumber {
        /// The number.
        number: String,
        /// The flow that answers it first.
        other: FlowName,
    },
    /// A queue that neither the store nor the configuration knows.
    #[error("unknown queue \"{queue}\"")]
    UnknownQueue {
        /// The queue.
        queue: QueueName,
    },
    /// A schedule neither the flow nor the configuration defines.
    #[error("unknown schedule \"{schedule}\"")]
    UnknownSchedule {
        /// The schedule.
        schedule: ScheduleName,
    },
    /// A transfer to a flow that does not exist.
    #[error("transfer to unknown flow \"{flow}\"")]
    UnknownFlow {
        /// The flow.
        flow: FlowName,
    },
    /// A variable nothing sets.
    #[error("variable {var} is never set")]
    UnknownVariable {
        /// The variable.
        var: VarName,
    },
    /// A condition or assignment whose literal does not fit the variable's type.
    #[error("type error: {var} is {var_type} but {literal} is a TOML {literal_kind}")]
    TypeMismatch {
        /// The variable.
        var: VarName,
        /// Its type.
        var_type: ValueType,
        /// The literal as written.
        literal: String,
        /// The literal's TOML kind.
        literal_kind: &'static str,
    },
    /// `<`, `>` on a type without order.
    #[error("type error: {op} does not apply to {var} ({var_type})")]
    Unordered {
        /// The variable.
        var: VarName,
        /// Its type.
        var_type: ValueType,
        /// The operator.
        op: CompareOp,
    },
    /// Two nodes give a variable different types.
    #[error("type error: {var} is set as {first} and as {second}")]
    ConflictingTypes {
        /// The variable.
        var: VarName,
        /// The first type seen.
        first: ValueType,
        /// The other.
        second: ValueType,
    },
    /// `say` on a variable of a type it cannot read.
    #[error("type error: cannot say {var} ({var_type}) as {what}")]
    CannotSay {
        /// The variable.
        var: VarName,
        /// Its type.
        var_type: ValueType,
        /// How it was to be read.
        what: &'static str,
    },
}
