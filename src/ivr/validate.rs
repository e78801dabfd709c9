//! The flow validator: every problem across the nodes of a parsed flow, reported together, each
//! with file:line:column and node id: unknown successors, unreachable nodes, missing exits,
//! loops that can spin without waiting for the caller, undeclared or missing prompts, unknown
//! queues, schedules and flows, and type errors in conditions, assignments and `say`.
//!
//! Pure: the caller passes in what exists (queue names from the store or configuration, prompt
//! files found on disk, site schedules, flow names); nothing here looks anything up itself.

use std::collections::{BTreeMap, BTreeSet};

use super::flow::{
    Condition, Flow, FlowError, FlowErrorKind, LookupBy, NodeId, NodeKind, Pos, PromptRef,
    QueueRef, TransferTarget, parse, prompt_file,
};
use super::say;
use super::schedule::ScheduleName;
use super::value::{ValueType, VarName};
use crate::domain::{FlowName, PromptName, QueueName};

/// What exists outside the flow. `None` means "not known here; do not check".
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Queue names from the store (`--data-dir`) or the configuration and demo data.
    pub queues: Option<&'a BTreeSet<QueueName>>,
    /// Prompt file stems present under `ivr_flows/prompts/` (`welcome.zh`).
    pub prompt_files: Option<&'a BTreeSet<PromptName>>,
    /// Schedules the site configuration defines.
    pub schedules: Option<&'a BTreeSet<ScheduleName>>,
    /// Flows that exist (transfer targets).
    pub flows: Option<&'a BTreeSet<FlowName>>,
}

/// Built-in variables every run has (or gets from `lookup`), with their types.
pub const BUILTIN_VARS: [(&str, ValueType); 9] = [
    ("caller", ValueType::Text),
    ("dialled", ValueType::Text),
    ("language", ValueType::Text),
    ("identification", ValueType::Level),
    ("customer.id", ValueType::Text),
    ("customer.name", ValueType::Text),
    ("customer.tier", ValueType::Tier),
    ("customer.account_manager", ValueType::Text),
    ("customer.risk", ValueType::Risk),
];

/// Parses and validates one flow file: `Ok` only when there is no problem at all.
pub fn check(file: &str, text: &str, known: &Known<'_>) -> Result<Flow, Vec<FlowError>> {
    let flow = parse(file, text)?;
    let errors = validate(&flow, known);
    if errors.is_empty() {
        Ok(flow)
    } else {
        Err(errors)
    }
}

/// Every problem of a parsed flow, sorted by position.
#[must_use]
pub fn validate(flow: &Flow, known: &Known<'_>) -> Vec<FlowError> {
    let mut v = Validator {
        flow,
        errors: Vec::new(),
    };
    v.references();
    v.reachability();
    v.exits();
    v.spin_loops();
    v.prompts(known);
    v.say_fragments(known);
    v.names(known);
    v.types();
    v.errors.sort_by_key(|e| (e.line, e.column));
    v.errors
}

struct Validator<'f> {
    flow: &'f Flow,
    errors: Vec<FlowError>,
}

impl Validator<'_> {
    fn err(&mut self, pos: Pos, node: Option<&NodeId>, kind: FlowErrorKind) {
        self.errors.push(FlowError {
            file: self.flow.file.clone(),
            line: pos.line,
            column: pos.column,
            node: node.cloned(),
            kind,
        });
    }

    fn references(&mut self) {
        let start = &self.flow.start;
        if self.flow.node(&start.target).is_none() {
            let kind = FlowErrorKind::UnknownNode {
                field: "start".into(),
                missing: start.target.clone(),
            };
            self.err(start.pos, None, kind);
        }
        for node in &self.flow.nodes {
            for r in node.kind.successors() {
                if self.flow.node(&r.target).is_none() {
                    let kind = FlowErrorKind::UnknownNode {
                        field: r.field.clone(),
                        missing: r.target.clone(),
                    };
                    self.err(r.pos, Some(&node.id), kind);
                }
            }
        }
    }

    fn reachability(&mut self) {
        let mut seen: BTreeSet<&NodeId> = BTreeSet::new();
        let mut stack = vec![&self.flow.start.target];
        while let Some(id) = stack.pop() {
            let Some(node) = self.flow.node(id) else {
                continue;
            };
            if seen.insert(&node.id) {
                stack.extend(node.kind.successors().into_iter().map(|r| &r.target));
            }
        }
        let unreachable: Vec<(Pos, NodeId)> = self
            .flow
            .nodes
            .iter()
            .filter(|n| !seen.contains(&n.id))
            .map(|n| (n.pos, n.id.clone()))
            .collect();
        for (pos, id) in unreachable {
            self.err(pos, Some(&id), FlowErrorKind::Unreachable);
        }
    }

    fn exits(&mut self) {
        for node in &self.flow.nodes {
            let mut missing = |outcome: &'static str, fields: &'static str, ok: bool| {
                if !ok {
                    let kind = FlowErrorKind::MissingExit { outcome, fields };
                    self.errors.push(FlowError {
                        file: self.flow.file.clone(),
                        line: node.pos.line,
                        column: node.pos.column,
                        node: Some(node.id.clone()),
                        kind,
                    });
                }
            };
            match &node.kind {
                NodeKind::Play(n) => missing("done", "next", n.next.is_some()),
                NodeKind::Set(n) => missing("done", "next", n.next.is_some()),
                NodeKind::Say(n) => missing("done", "next", n.next.is_some()),
                NodeKind::Branch(n) => missing("no case holds", "next", n.next.is_some()),
                NodeKind::Http(n) => missing("ok", "next", n.next.is_some()),
                NodeKind::Lookup(n) => missing("found", "next", n.next.is_some()),
                NodeKind::Menu(n) => {
                    let e = &n.exits;
                    let has_next = e.next.is_some();
                    missing(
                        "timeout",
                        "on_timeout or next",
                        has_next || e.on_timeout.is_some(),
                    );
                    missing(
                        "invalid",
                        "on_invalid or next",
                        has_next || e.on_invalid.is_some(),
                    );
                }
                NodeKind::Collect(n) => {
                    let e = &n.exits;
                    let has_next = e.next.is_some();
                    missing("done", "next", has_next);
                    missing(
                        "timeout",
                        "on_timeout or next",
                        has_next || e.on_timeout.is_some(),
                    );
                    missing(
                        "invalid",
                        "on_invalid or next",
                        has_next || e.on_invalid.is_some(),
                    );
                }
                NodeKind::Enqueue(_)
                | NodeKind::Voicemail(_)
                | NodeKind::Callback(_)
                | NodeKind::Transfer(_)
                | NodeKind::Hangup => {}
            }
        }
    }

    /// Cycles among nodes that do not wait for the caller (strongly connected components of the
    /// graph restricted to such nodes), one error per cycle at its first node in file order.
    fn spin_loops(&mut self) {
        let flow = self.flow;
        let idx: BTreeMap<&NodeId, usize> = flow
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (&n.id, i))
            .collect();
        let edges: Vec<Vec<usize>> = flow
            .nodes
            .iter()
            .map(|n| {
                if n.kind.waits_for_caller() {
                    return Vec::new();
                }
                n.kind
                    .successors()
                    .iter()
                    .filter_map(|r| idx.get(&r.target).copied())
                    .filter(|j| !flow.nodes[*j].kind.waits_for_caller())
                    .collect()
            })
            .collect();
        for component in strongly_connected(&edges) {
            let looping =
                component.len() > 1 || component.first().is_some_and(|i| edges[*i].contains(i));
            if looping {
                let mut members = component;
                members.sort_unstable();
                let cycle: Vec<NodeId> =
                    members.iter().map(|i| flow.nodes[*i].id.clone()).collect();
                let first = &flow.nodes[members[0]];
                self.err(
                    first.pos,
                    Some(&first.id),
                    FlowErrorKind::SpinLoop { cycle },
                );
            }
        }
    }

    /// When prompt files are known, the say-engine's fragments must exist for every language
    /// of a flow that has a `say` node (one error per language, naming the first missing).
    fn say_fragments(&mut self, known: &Known<'_>) {
        let Some(files) = known.prompt_files else {
            return;
        };
        let flow = self.flow;
        let Some(say) = flow
            .nodes
            .iter()
            .find(|n| matches!(n.kind, NodeKind::Say(_)))
        else {
            return;
        };
        for lang in &flow.languages {
            let missing: Vec<PromptName> = say::vocabulary(*lang)
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| !files.contains(name))
                .collect();
            if let Some(example) = missing.first().cloned() {
                let kind = FlowErrorKind::MissingSayFragments {
                    language: *lang,
                    missing: missing.len(),
                    example,
                };
                self.err(say.pos, Some(&say.id), kind);
            }
        }
    }

    fn prompts(&mut self, known: &Known<'_>) {
        let flow = self.flow;
        for (name, decl) in &flow.prompts {
            for lang in &flow.languages {
                if !decl.texts.contains_key(lang) {
                    let kind = FlowErrorKind::MissingPromptText {
                        prompt: name.clone(),
                        language: *lang,
                    };
                    self.err(decl.pos, None, kind);
                }
            }
        }
        let mut reported: BTreeSet<PromptName> = BTreeSet::new();
        for node in &flow.nodes {
            for p in node_prompts(&node.kind) {
                if !flow.prompts.contains_key(&p.name) {
                    let kind = FlowErrorKind::UnknownPrompt {
                        prompt: p.name.clone(),
                    };
                    self.err(p.pos, Some(&node.id), kind);
                    continue;
                }
                let Some(files) = known.prompt_files else {
                    continue;
                };
                for lang in &flow.languages {
                    let Some(file) = prompt_file(&p.name, *lang) else {
                        continue;
                    };
                    if !files.contains(&file) && reported.insert(file.clone()) {
                        self.err(
                            p.pos,
                            Some(&node.id),
                            FlowErrorKind::MissingPromptFile { file },
                        );
                    }
                }
            }
        }
    }

    fn names(&mut self, known: &Known<'_>) {
        let flow = self.flow;
        for node in &flow.nodes {
            let mut queues: Vec<&QueueRef> = Vec::new();
            match &node.kind {
                NodeKind::Enqueue(n) => queues.push(&n.queue),
                NodeKind::Voicemail(n) => queues.push(&n.queue),
                NodeKind::Callback(n) => queues.push(&n.queue),
                NodeKind::Branch(b) => {
                    for cond in b.cases.iter().flat_map(|c| &c.when) {
                        match &cond.test {
                            Condition::Queue { queue, .. } => queues.push(queue),
                            Condition::Open(name) => {
                                let site = known.schedules.is_some_and(|s| s.contains(name));
                                if !site && !flow.schedules.contains_key(name) {
                                    let kind = FlowErrorKind::UnknownSchedule {
                                        schedule: name.clone(),
                                    };
                                    self.err(cond.pos, Some(&node.id), kind);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                NodeKind::Transfer(t) => {
                    if let TransferTarget::Flow(name, pos) = &t.target
                        && known.flows.is_some_and(|f| !f.contains(name))
                        && *name != flow.name
                    {
                        let kind = FlowErrorKind::UnknownFlow { flow: name.clone() };
                        self.err(*pos, Some(&node.id), kind);
                    }
                }
                _ => {}
            }
            if let Some(known_queues) = known.queues {
                for q in queues {
                    if !known_queues.contains(&q.name) {
                        let kind = FlowErrorKind::UnknownQueue {
                            queue: q.name.clone(),
                        };
                        self.err(q.pos, Some(&node.id), kind);
                    }
                }
            }
        }
    }

    fn types(&mut self) {
        let types = self.var_types();
        let flow = self.flow;
        for node in &flow.nodes {
            let mut uses: Vec<(&VarName, Pos)> = Vec::new();
            match &node.kind {
                NodeKind::Branch(b) => {
                    for cond in b.cases.iter().flat_map(|c| &c.when) {
                        match &cond.test {
                            Condition::Compare { var, op, value } => {
                                let Some(ty) = types.get(var).copied() else {
                                    uses.push((var, cond.pos));
                                    continue;
                                };
                                if op.is_ordering() && !ty.is_ordered() {
                                    let kind = FlowErrorKind::Unordered {
                                        var: var.clone(),
                                        var_type: ty,
                                        op: *op,
                                    };
                                    self.err(cond.pos, Some(&node.id), kind);
                                } else if value.as_value(ty).is_none() {
                                    self.mismatch(cond.pos, &node.id, var, ty, value);
                                }
                            }
                            Condition::IsSet(var) => uses.push((var, cond.pos)),
                            _ => {}
                        }
                    }
                }
                NodeKind::Say(s) => match types.get(&s.var).copied() {
                    Some(ty) if !s.what.accepts(ty) => {
                        let kind = FlowErrorKind::CannotSay {
                            var: s.var.clone(),
                            var_type: ty,
                            what: s.what.as_str(),
                        };
                        self.err(node.pos, Some(&node.id), kind);
                    }
                    _ => uses.push((&s.var, node.pos)),
                },
                NodeKind::Lookup(l) => {
                    if let LookupBy::Account(var) = &l.by {
                        uses.push((var, node.pos));
                    }
                }
                NodeKind::Http(h) => uses.extend(h.send.iter().map(|v| (v, node.pos))),
                _ => {}
            }
            for (var, pos) in uses {
                if !types.contains_key(var) {
                    let kind = FlowErrorKind::UnknownVariable { var: var.clone() };
                    self.err(pos, Some(&node.id), kind);
                }
            }
        }
    }

    fn mismatch(
        &mut self,
        pos: Pos,
        node: &NodeId,
        var: &VarName,
        ty: ValueType,
        value: &super::flow::Literal,
    ) {
        let literal = match value {
            super::flow::Literal::Text(t) => format!("{t:?}"),
            super::flow::Literal::Integer(i) => i.to_string(),
            super::flow::Literal::Decimal(d) => d.clone(),
            super::flow::Literal::Bool(b) => b.to_string(),
        };
        let kind = FlowErrorKind::TypeMismatch {
            var: var.clone(),
            var_type: ty,
            literal,
            literal_kind: value.kind(),
        };
        self.err(pos, Some(node), kind);
    }

    /// The type of every variable: built-ins, then collect and http definitions, then `set`
    /// literals (which must fit a type already known, or define it).
    fn var_types(&mut self) -> BTreeMap<VarName, ValueType> {
        let flow = self.flow;
        let mut types: BTreeMap<VarName, ValueType> = BTreeMap::new();
        for (name, ty) in BUILTIN_VARS {
            if let Ok(var) = VarName::parse(name) {
                types.insert(var, ty);
            }
        }
        let mut define =
            |v: &mut Self, var: &VarName, ty: ValueType, pos: Pos, node: &NodeId| match types
                .get(var)
            {
                Some(first) if *first != ty => {
                    let kind = FlowErrorKind::ConflictingTypes {
                        var: var.clone(),
                        first: *first,
                        second: ty,
                    };
                    v.err(pos, Some(node), kind);
                }
                Some(_) => {}
                None => {
                    types.insert(var.clone(), ty);
                }
            };
        for node in &flow.nodes {
            match &node.kind {
                NodeKind::Collect(c) => {
                    let ty = if c.sensitive {
                        ValueType::Secret
                    } else {
                        ValueType::Digits
                    };
                    define(self, &c.var, ty, node.pos, &node.id);
                }
                NodeKind::Http(h) => {
                    for f in &h.fields {
                        define(self, &f.var, f.ty, f.pos, &node.id);
                    }
                }
                _ => {}
            }
        }
        for node in &flow.nodes {
            let NodeKind::Set(s) = &node.kind else {
                continue;
            };
            for a in &s.assignments {
                match types.get(&a.var).copied() {
                    Some(ty) if a.value.as_value(ty).is_none() => {
                        self.mismatch(a.pos, &node.id, &a.var, ty, &a.value);
                    }
                    Some(_) => {}
                    None => {
                        types.insert(a.var.clone(), natural_type(&a.value));
                    }
                }
            }
        }
        types
    }
}

/// The type a `set` literal gives a variable nothing else defines.
#[must_use]
pub fn natural_type(value: &super::flow::Literal) -> ValueType {
    match value {
        super::flow::Literal::Text(_) => ValueType::Text,
        super::flow::Literal::Integer(_) => ValueType::Integer,
        super::flow::Literal::Decimal(_) => ValueType::Amount,
        super::flow::Literal::Bool(_) => ValueType::Bool,
    }
}

fn node_prompts(kind: &NodeKind) -> Vec<&PromptRef> {
    match kind {
        NodeKind::Play(p) => p.prompts.iter().collect(),
        NodeKind::Menu(m) => m
            .prompts
            .iter()
            .chain(&m.retry.no_input_prompts)
            .chain(&m.retry.invalid_prompts)
            .collect(),
        NodeKind::Collect(c) => c
            .prompts
            .iter()
            .chain(&c.retry.no_input_prompts)
            .chain(&c.retry.invalid_prompts)
            .collect(),
        NodeKind::Say(s) => s.prompts.iter().collect(),
        _ => Vec::new(),
    }
}

/// Tarjan's strongly connected components over an adjacency list (iterative, so deep graphs
/// cannot overflow the stack).
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(i) {
                work.push((v, i + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
