//! What entering each node kind does, and how input, timers and answers move a run on.
//! Every handler returns the node to continue at, or `None` when the run now waits or ended.
//! Pure.

use super::{
    HttpOutcome, InputWait, IvrAction, IvrLog, LoggedKey, LookupKey, LookupOutcome, Machine,
    PlayId, QUEUE_STATS_TIMEOUT, Run, TYPE_AHEAD_MAX, TimerId, TransferTo, Typed,
};
use crate::domain::queue_stats::{QueueStatsAnswer, QueueStatsRequest};
use crate::domain::{AgentLogin, DtmfDigit, IdentificationLevel, PromptName, Tier};
use crate::ivr::flow::{
    Branch, Collect, Http, LookupBy, Menu, NodeId, NodeKind, Priority, Ref, TransferTarget,
};
use crate::ivr::value::{SecretDigits, Value, VarName};

fn target(r: &Option<Ref>) -> Option<&Ref> {
    r.as_ref()
}

impl Machine<'_> {
    /// Follows an exit: the first of `choices` that is set.
    fn follow(&mut self, from: &NodeId, choices: &[&Option<Ref>]) -> Option<NodeId> {
        match choices.iter().find_map(|r| target(r)) {
            Some(r) => Some(r.target.clone()),
            None => {
                self.abort(Some(from.clone()));
                None
            }
        }
    }

    pub(super) fn enter(&mut self, id: &NodeId) -> Option<NodeId> {
        let flow = self.flow;
        let Some(node) = flow.node(id) else {
            self.abort(Some(id.clone()));
            return None;
        };
        self.log(IvrLog::NodeEntered {
            node: id.clone(),
            kind: node.kind.name(),
        });
        match &node.kind {
            NodeKind::Play(p) => {
                let prompts = self.resolve(&p.prompts);
                self.start_playing(id, prompts)
            }
            NodeKind::Say(s) => {
                let mut prompts = self.resolve(&s.prompts);
                prompts.extend(self.say_value(s.what, &s.var));
                if prompts.is_empty() {
                    return self.follow(id, &[&s.next]);
                }
                self.start_playing(id, prompts)
            }
            NodeKind::Menu(m) => self.enter_menu(id, m),
            NodeKind::Collect(c) => self.enter_collect(id, c),
            NodeKind::Lookup(l) => self.enter_lookup(id, l),
            NodeKind::Branch(b) => self.enter_branch(id, b),
            NodeKind::Set(s) => {
                for a in &s.assignments {
                    if let Some(value) = self.typed_literal(&a.var, &a.value) {
                        self.set_var(a.var.clone(), value);
                    }
                }
                self.follow(id, &[&s.next])
            }
            NodeKind::Http(h) => self.enter_http(id, h),
            final_kind => {
                self.enter_final(final_kind);
                None
            }
        }
    }

    fn start_playing(&mut self, id: &NodeId, prompts: Vec<PromptName>) -> Option<NodeId> {
        let play = self.play(prompts);
        self.st.run = Run::Playing {
            node: id.clone(),
            play,
        };
        None
    }

    /// A branch decides now, or first asks the ACD for the queue figures it tests.
    fn enter_branch(&mut self, id: &NodeId, b: &Branch) -> Option<NodeId> {
        let queues = b.queues_needed();
        if queues.is_empty() {
            return self.decide(id, b);
        }
        self.st.stats.clear();
        for queue in &queues {
            let request = QueueStatsRequest {
                queue: queue.clone(),
            };
            self.out.push(IvrAction::QueueStats(request));
        }
        let timer = self.set_timer(QUEUE_STATS_TIMEOUT);
        self.st.run = Run::Stats {
            node: id.clone(),
            pending: queues,
            timer,
        };
        None
    }

    fn enter_http(&mut self, id: &NodeId, h: &Http) -> Option<NodeId> {
        let params = h
            .send
            .iter()
            .filter_map(|v| self.st.vars.get(v).map(|val| (v.clone(), val.clone())))
            .collect();
        self.out.push(IvrAction::Http {
            url: h.url.clone(),
            params,
            timeout: h.timeout,
        });
        let timer = self.set_timer(h.timeout);
        self.st.run = Run::Http {
            node: id.clone(),
            timer,
        };
        None
    }

    /// The nodes that end the flow with one final action.
    fn enter_final(&mut self, kind: &NodeKind) {
        let (action, how) = match kind {
            NodeKind::Enqueue(e) => {
                let preferred_agent = if e.prefer_account_manager {
                    self.account_manager()
                } else {
                    None
                };
                let action = IvrAction::Enqueue {
                    queue: e.queue.name.clone(),
                    skills: e.skills.clone(),
                    priority: e.priority.unwrap_or_else(|| Priority::of_tier(self.tier())),
                    preferred_agent,
                };
                (action, "enqueue")
            }
            NodeKind::Voicemail(v) => {
                let queue = v.queue.name.clone();
                (IvrAction::Voicemail { queue }, "voicemail")
            }
            NodeKind::Callback(c) => {
                let action = IvrAction::Callback {
                    queue: c.queue.name.clone(),
                    number: self.st.caller.clone(),
                    priority: c.priority.unwrap_or_else(|| Priority::of_tier(self.tier())),
                };
                (action, "callback")
            }
            NodeKind::Transfer(t) => {
                let to = match &t.target {
                    TransferTarget::Flow(name, _) => TransferTo::Flow(name.clone()),
                    TransferTarget::Number(n) => TransferTo::Number(n.clone()),
                };
                (IvrAction::Transfer(to), "transfer")
            }
            _ => (IvrAction::Hangup, "hangup"),
        };
        self.end(action, how);
    }

    fn tier(&self) -> Option<Tier> {
        match self.st.vars.get(&VarName::builtin("customer.tier")) {
            Some(Value::Tier(t)) => Some(*t),
            _ => None,
        }
    }

    fn account_manager(&self) -> Option<AgentLogin> {
        match self
            .st
            .vars
            .get(&VarName::builtin("customer.account_manager"))
        {
            Some(Value::Text(t)) => AgentLogin::parse(t).ok(),
            _ => None,
        }
    }

    fn enter_menu(&mut self, id: &NodeId, m: &Menu) -> Option<NodeId> {
        if let Some(d) = self.st.type_ahead.0.pop_front() {
            self.st.run = Run::Menu {
                node: id.clone(),
                attempt: 0,
                wait: InputWait::Idle,
            };
            return self.menu_key(id, m, 0, d);
        }
        let prompts = self.resolve(&m.prompts);
        let play = self.play(prompts);
        self.st.run = Run::Menu {
            node: id.clone(),
            attempt: 0,
            wait: InputWait::Prompt(play),
        };
        None
    }

    fn menu_key(&mut self, id: &NodeId, m: &Menu, attempt: u8, d: DtmfDigit) -> Option<NodeId> {
        self.log(IvrLog::Key {
            node: Some(id.clone()),
            key: LoggedKey::Key(d),
        });
        if let Some((_, r)) = m.choices.iter().find(|(k, _)| *k == d) {
            return Some(r.target.clone());
        }
        self.log(IvrLog::InvalidInput { node: id.clone() });
        self.st.type_ahead.0.clear();
        if attempt < m.retry.retries {
            let mut prompts = self.resolve(&m.retry.invalid_prompts);
            prompts.extend(self.resolve(&m.prompts));
            let play = self.play(prompts);
            self.st.run = Run::Menu {
                node: id.clone(),
                attempt: attempt + 1,
                wait: InputWait::Prompt(play),
            };
            return None;
        }
        self.follow(id, &[&m.exits.on_invalid, &m.exits.next])
    }

    fn enter_collect(&mut self, id: &NodeId, c: &Collect) -> Option<NodeId> {
        if c.sensitive {
            self.out.push(IvrAction::PauseRecording);
        }
        self.out.push(IvrAction::StartCollect {
            var: c.var.clone(),
            max_digits: c.max_digits,
            terminator: c.terminator,
            sensitive: c.sensitive,
        });
        self.st.run = Run::Collect {
            node: id.clone(),
            attempt: 0,
            typed: Typed {
                digits: String::new(),
                sensitive: c.sensitive,
            },
            wait: InputWait::Idle,
        };
        while let Some(d) = self.st.type_ahead.0.pop_front() {
            let cont = self.collect_key(id, c, d);
            match &self.st.run {
                Run::Collect { node, wait, .. } if node == id && cont.is_none() => {
                    if *wait != InputWait::Idle {
                        return None; // an invalid try already re-prompted
                    }
                }
                _ => return cont,
            }
        }
        self.collect_prompt(c, Vec::new())
    }

    /// Plays the collect's prompt (after `before`), or waits for keys if some were typed ahead.
    fn collect_prompt(&mut self, c: &Collect, before: Vec<PromptName>) -> Option<NodeId> {
        let Run::Collect { typed, .. } = &self.st.run else {
            return None;
        };
        let started = !typed.digits.is_empty();
        let wait = if started {
            InputWait::Keys(self.set_timer(c.inter_digit_timeout))
        } else {
            let mut prompts = before;
            prompts.extend(self.resolve(&c.prompts));
            if prompts.is_empty() {
                InputWait::Keys(self.set_timer(c.first_digit_timeout))
            } else {
                InputWait::Prompt(self.play(prompts))
            }
        };
        if let Run::Collect { wait: w, .. } = &mut self.st.run {
            *w = wait;
        }
        None
    }

    /// One key into a collect: ends input on the terminator or at the maximum length.
    fn collect_key(&mut self, id: &NodeId, c: &Collect, d: DtmfDigit) -> Option<NodeId> {
        let key = if c.sensitive {
            LoggedKey::Masked
        } else {
            LoggedKey::Key(d)
        };
        self.log(IvrLog::Key {
            node: Some(id.clone()),
            key,
        });
        let Run::Collect { typed, .. } = &mut self.st.run else {
            return None;
        };
        if Some(d) == c.terminator {
            return self.collect_done(id, c);
        }
        typed.digits.push(d.as_char());
        if typed.digits.len() >= usize::from(c.max_digits) {
            return self.collect_done(id, c);
        }
        None
    }

    /// Input ended: accept it, or count an invalid try.
    fn collect_done(&mut self, id: &NodeId, c: &Collect) -> Option<NodeId> {
        let Run::Collect { typed, attempt, .. } = &mut self.st.run else {
            return None;
        };
        let digits = std::mem::take(&mut typed.digits);
        let attempt = *attempt;
        let long_enough = digits.len() >= usize::from(c.min_digits);
        let matches = c.pattern.as_ref().is_none_or(|p| p.matches(&digits));
        if long_enough && matches {
            let value = if c.sensitive {
                Value::Secret(SecretDigits::new(digits))
            } else {
                Value::Digits(digits)
            };
            self.set_var(c.var.clone(), value);
            self.leave_collect(c);
            return self.follow(id, &[&c.exits.next]);
        }
        self.log(IvrLog::InvalidInput { node: id.clone() });
        self.st.type_ahead.0.clear();
        if attempt < c.retry.retries {
            if let Run::Collect { attempt: a, .. } = &mut self.st.run {
                *a = attempt + 1;
            }
            let before = self.resolve(&c.retry.invalid_prompts);
            return self.collect_prompt(c, before);
        }
        self.leave_collect(c);
        self.follow(id, &[&c.exits.on_invalid, &c.exits.next])
    }

    fn leave_collect(&mut self, c: &Collect) {
        if c.sensitive {
            self.out.push(IvrAction::ResumeRecording);
        }
    }

    fn enter_lookup(&mut self, id: &NodeId, l: &crate::ivr::flow::Lookup) -> Option<NodeId> {
        let key = match &l.by {
            LookupBy::CallerNumber => self.st.caller.clone().map(LookupKey::CallerNumber),
            LookupBy::Account(var) => match self.st.vars.get(var) {
                Some(Value::Digits(d) | Value::Text(d)) => Some(LookupKey::Account(d.clone())),
                _ => None,
            },
        };
        let Some(key) = key else {
            self.log(IvrLog::Identified {
                level: IdentificationLevel::Unknown,
            });
            return self.follow(id, &[&l.on_not_found, &l.next]);
        };
        self.out.push(IvrAction::Lookup(key));
        let timer = self.set_timer(l.timeout);
        self.st.run = Run::Lookup {
            node: id.clone(),
            timer,
        };
        None
    }

    pub(super) fn digit(&mut self, d: DtmfDigit) -> Option<NodeId> {
        let flow = self.flow;
        match self.st.run.clone() {
            Run::Menu {
                node,
                attempt,
                wait,
            } => {
                self.interrupt(wait);
                let Some(NodeKind::Menu(m)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                self.menu_key(&node, m, attempt, d)
            }
            Run::Collect { node, wait, .. } => {
                self.interrupt(wait);
                let Some(NodeKind::Collect(c)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                let cont = self.collect_key(&node, c, d);
                let typing = matches!(&self.st.run,
                    Run::Collect { node: n, typed, .. } if *n == node && !typed.digits.is_empty());
                if cont.is_none() && typing {
                    let timer = self.set_timer(c.inter_digit_timeout);
                    if let Run::Collect { wait, .. } = &mut self.st.run {
                        *wait = InputWait::Keys(timer);
                    }
                }
                cont
            }
            Run::Done => None,
            Run::NotStarted
            | Run::Playing { .. }
            | Run::Lookup { .. }
            | Run::Http { .. }
            | Run::Stats { .. } => {
                // Its value is logged when a menu or collect takes it (masked if sensitive):
                // a caller may be typing a PIN ahead.
                self.log(IvrLog::KeyTypedAhead {
                    node: self.st.node().cloned(),
                });
                if self.st.type_ahead.0.len() >= TYPE_AHEAD_MAX {
                    self.st.type_ahead.0.pop_front();
                }
                self.st.type_ahead.0.push_back(d);
                None
            }
        }
    }

    /// A key arrived while waiting: stop the prompt or the timer.
    fn interrupt(&mut self, wait: InputWait) {
        match wait {
            InputWait::Idle => {}
            InputWait::Prompt(_) => self.out.push(IvrAction::StopPlaying),
            InputWait::Keys(timer) => self.out.push(IvrAction::CancelTimer(timer)),
        }
    }

    pub(super) fn prompt_finished(&mut self, id: PlayId) -> Option<NodeId> {
        let flow = self.flow;
        match self.st.run.clone() {
            Run::Playing { node, play } if play == id => {
                let next = match flow.node(&node).map(|n| &n.kind) {
                    Some(NodeKind::Play(p)) => &p.next,
                    Some(NodeKind::Say(s)) => &s.next,
                    _ => return None,
                };
                self.follow(&node, &[next])
            }
            Run::Menu {
                node,
                attempt,
                wait: InputWait::Prompt(play),
            } if play == id => {
                let Some(NodeKind::Menu(m)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                let timer = self.set_timer(m.timeout);
                self.st.run = Run::Menu {
                    node,
                    attempt,
                    wait: InputWait::Keys(timer),
                };
                None
            }
            Run::Collect {
                node,
                wait: InputWait::Prompt(play),
                ..
            } if play == id => {
                let Some(NodeKind::Collect(c)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                let timer = self.set_timer(c.first_digit_timeout);
                if let Run::Collect { wait, .. } = &mut self.st.run {
                    *wait = InputWait::Keys(timer);
                }
                None
            }
            _ => None,
        }
    }

    pub(super) fn timer_fired(&mut self, id: TimerId) -> Option<NodeId> {
        let flow = self.flow;
        match self.st.run.clone() {
            Run::Menu {
                node,
                attempt,
                wait: InputWait::Keys(t),
            } if t == id => {
                let Some(NodeKind::Menu(m)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                self.menu_no_input(node, m, attempt)
            }
            Run::Collect {
                node,
                attempt,
                typed,
                wait: InputWait::Keys(t),
            } if t == id => {
                let Some(NodeKind::Collect(c)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                if typed.digits.is_empty() {
                    self.collect_no_input(&node, c, attempt)
                } else {
                    self.collect_done(&node, c)
                }
            }
            Run::Lookup { node, timer } if timer == id => {
                self.lookup_result_at(&node, LookupOutcome::Failed, false)
            }
            Run::Http { node, timer } if timer == id => {
                self.http_result_at(&node, HttpOutcome::TimedOut, false)
            }
            Run::Stats { node, timer, .. } if timer == id => {
                let Some(NodeKind::Branch(b)) = flow.node(&node).map(|n| &n.kind) else {
                    return None;
                };
                self.decide(&node, b)
            }
            _ => None,
        }
    }

    /// No key before the menu's timeout: replay with the no-input prompt, or give up.
    fn menu_no_input(&mut self, node: NodeId, m: &Menu, attempt: u8) -> Option<NodeId> {
        self.log(IvrLog::NoInput { node: node.clone() });
        if attempt < m.retry.retries {
            let mut prompts = self.resolve(&m.retry.no_input_prompts);
            prompts.extend(self.resolve(&m.prompts));
            let play = self.play(prompts);
            self.st.run = Run::Menu {
                node,
                attempt: attempt + 1,
                wait: InputWait::Prompt(play),
            };
            return None;
        }
        self.follow(&node, &[&m.exits.on_timeout, &m.exits.next])
    }

    /// No first key before the collect's timeout: prompt again, or give up.
    fn collect_no_input(&mut self, node: &NodeId, c: &Collect, attempt: u8) -> Option<NodeId> {
        self.log(IvrLog::NoInput { node: node.clone() });
        if attempt < c.retry.retries {
            if let Run::Collect { attempt: a, .. } = &mut self.st.run {
                *a = attempt + 1;
            }
            let before = self.resolve(&c.retry.no_input_prompts);
            return self.collect_prompt(c, before);
        }
        self.leave_collect(c);
        self.follow(node, &[&c.exits.on_timeout, &c.exits.next])
    }

    pub(super) fn lookup_result(&mut self, outcome: LookupOutcome) -> Option<NodeId> {
        let Run::Lookup { node, .. } = self.st.run.clone() else {
            return None;
        };
        self.lookup_result_at(&node, outcome, true)
    }

    fn lookup_result_at(
        &mut self,
        node: &NodeId,
        outcome: LookupOutcome,
        cancel: bool,
    ) -> Option<NodeId> {
        if let (true, Run::Lookup { timer, .. }) = (cancel, &self.st.run) {
            self.out.push(IvrAction::CancelTimer(*timer));
        }
        let Some(NodeKind::Lookup(l)) = self.flow.node(node).map(|n| &n.kind) else {
            return None;
        };
        match outcome {
            LookupOutcome::Found(p) => {
                let b = VarName::builtin;
                self.set_var(b("customer.id"), Value::Text(p.id.to_string()));
                self.set_var(b("customer.name"), Value::Text(p.name));
                self.set_var(b("customer.tier"), Value::Tier(p.tier));
                if let Some(am) = p.account_manager {
                    self.set_var(b("customer.account_manager"), Value::Text(am.to_string()));
                }
                if let Some(r) = p.risk {
                    self.set_var(b("customer.risk"), Value::Risk(r));
                }
                let level = IdentificationLevel::Matched;
                self.set_var(b("identification"), Value::Level(level));
                self.log(IvrLog::Identified { level });
                self.follow(node, &[&l.next])
            }
            LookupOutcome::NotFound => {
                self.log(IvrLog::Identified {
                    level: IdentificationLevel::Unknown,
                });
                self.follow(node, &[&l.on_not_found, &l.next])
            }
            LookupOutcome::Failed => self.follow(node, &[&l.on_failure, &l.on_not_found, &l.next]),
        }
    }

    pub(super) fn http_result(&mut self, outcome: HttpOutcome) -> Option<NodeId> {
        let Run::Http { node, .. } = self.st.run.clone() else {
            return None;
        };
        self.http_result_at(&node, outcome, true)
    }

    fn http_result_at(
        &mut self,
        node: &NodeId,
        outcome: HttpOutcome,
        cancel: bool,
    ) -> Option<NodeId> {
        if let (true, Run::Http { timer, .. }) = (cancel, &self.st.run) {
            self.out.push(IvrAction::CancelTimer(*timer));
        }
        let Some(NodeKind::Http(h)) = self.flow.node(node).map(|n| &n.kind) else {
            return None;
        };
        let fields = match outcome {
            HttpOutcome::Ok(fields) => fields,
            HttpOutcome::Failed => {
                self.log(IvrLog::HttpDone {
                    node: node.clone(),
                    outcome: "failed",
                });
                return self.follow(node, &[&h.on_failure, &h.next]);
            }
            HttpOutcome::TimedOut => {
                self.log(IvrLog::HttpDone {
                    node: node.clone(),
                    outcome: "timed_out",
                });
                return self.follow(node, &[&h.on_timeout, &h.on_failure, &h.next]);
            }
        };
        let mut values = Vec::new();
        for f in &h.fields {
            match fields.get(&f.from).map(|t| f.ty.read(t)) {
                Some(Ok(v)) => values.push((f.var.clone(), v)),
                _ => {
                    self.log(IvrLog::HttpDone {
                        node: node.clone(),
                        outcome: "bad_field",
                    });
                    return self.follow(node, &[&h.on_failure, &h.next]);
                }
            }
        }
        self.log(IvrLog::HttpDone {
            node: node.clone(),
            outcome: "ok",
        });
        for (var, v) in values {
            self.set_var(var, v);
        }
        if h.verifies_customer {
            let level = IdentificationLevel::Verified;
            self.set_var(VarName::builtin("identification"), Value::Level(level));
            self.log(IvrLog::Identified { level });
        }
        self.follow(node, &[&h.next])
    }

    pub(super) fn queue_stats(&mut self, answer: QueueStatsAnswer) -> Option<NodeId> {
        let Run::Stats {
            node,
            mut pending,
            timer,
        } = self.st.run.clone()
        else {
            return None;
        };
        let before = pending.len();
        pending.retain(|q| *q != answer.queue);
        if pending.len() == before {
            return None;
        }
        self.st.stats.push(answer);
        if !pending.is_empty() {
            self.st.run = Run::Stats {
                node,
                pending,
                timer,
            };
            return None;
        }
        self.out.push(IvrAction::CancelTimer(timer));
        let Some(NodeKind::Branch(b)) = self.flow.node(&node).map(|n| &n.kind) else {
            return None;
        };
        self.decide(&node, b)
    }
}
