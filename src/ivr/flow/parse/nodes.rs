//! The readers of each node kind's fields (the rest of the parser is in `parse.rs`). Pure.

use toml::de::DeValue;

use super::{Obj, Parser};
use crate::domain::{
    DtmfDigit, FlowName, IdentificationLevel, PhoneNumber, Proficiency, QueueName, SkillName,
    SkillRequirement, Tier,
};
use crate::ivr::flow::{
    Assignment, Branch, Callback, Case, Collect, CompareOp, Cond, Condition, DigitPattern, Enqueue,
    FieldMap, FlowErrorKind, Http, InputExits, Literal, Lookup, LookupBy, Menu, NodeKind, Play,
    QueueRef, QueueStat, Retry, Say, SayWhat, SetVars, Transfer, TransferTarget,
};
use crate::ivr::schedule::ScheduleName;
use crate::ivr::value::{ValueType, VarName};

impl Parser {
    pub(super) fn play(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let prompts = self.prompts(obj, "prompts");
        if prompts.is_empty() {
            self.missing(obj, "prompts");
        }
        let next = self.node_ref(obj, "next");
        Some(NodeKind::Play(Play { prompts, next }))
    }

    fn retry(&mut self, obj: &mut Obj<'_, '_>) -> Retry {
        Retry {
            retries: self
                .int(obj, "retries", (0, 9))
                .and_then(|(n, _)| u8::try_from(n).ok())
                .unwrap_or(2),
            no_input_prompts: self.prompts(obj, "no_input_prompts"),
            invalid_prompts: self.prompts(obj, "invalid_prompts"),
        }
    }

    fn exits(&mut self, obj: &mut Obj<'_, '_>) -> InputExits {
        InputExits {
            next: self.node_ref(obj, "next"),
            on_timeout: self.node_ref(obj, "on_timeout"),
            on_invalid: self.node_ref(obj, "on_invalid"),
        }
    }

    pub(super) fn menu(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let prompts = self.prompts(obj, "prompts");
        if prompts.is_empty() {
            self.missing(obj, "prompts");
        }
        let mut choices = Vec::new();
        let keys: Vec<String> = obj
            .table
            .iter()
            .map(|(k, _)| k.get_ref().to_string())
            .collect();
        for key in keys {
            let Some(suffix) = key.strip_prefix("on_") else {
                continue;
            };
            let digit = match suffix {
                "star" => Some(DtmfDigit::Star),
                "pound" => Some(DtmfDigit::Pound),
                s if s.len() == 1 => s.chars().next().and_then(DtmfDigit::from_char),
                _ => None,
            };
            if let Some(d) = digit
                && let Some(r) = self.node_ref(obj, &key)
            {
                choices.push((d, r));
            }
        }
        if choices.is_empty() {
            self.missing(obj, "on_<digit>");
        }
        let timeout = self.secs(obj, "timeout_secs", 5);
        let retry = self.retry(obj);
        let exits = self.exits(obj);
        Some(NodeKind::Menu(Menu {
            prompts,
            choices,
            timeout,
            retry,
            exits,
        }))
    }

    fn terminator(&mut self, obj: &mut Obj<'_, '_>) -> Option<DtmfDigit> {
        match self.str(obj, "terminator") {
            None => Some(DtmfDigit::Pound),
            Some(("", _)) => None,
            Some((t, pos)) => {
                let mut chars = t.chars();
                match (chars.next().and_then(DtmfDigit::from_char), chars.next()) {
                    (Some(d), None) => Some(d),
                    _ => {
                        self.invalid(pos, "terminator", t, "one key (0-9, *, #) or \"\"");
                        None
                    }
                }
            }
        }
    }

    pub(super) fn collect(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let var = self.var(obj, "var");
        let prompts = self.prompts(obj, "prompts");
        let min = self.int(obj, "min_digits", (1, 32)).map_or(1, |(n, _)| n);
        let max_field = self.int(obj, "max_digits", (1, 32));
        let max = max_field.map_or(16, |(n, _)| n);
        if min > max {
            let pos = max_field.map_or(obj.at, |(_, p)| p);
            self.invalid(pos, "max_digits", &max.to_string(), "at least min_digits");
        }
        let terminator = self.terminator(obj);
        let pattern = match self.str(obj, "pattern") {
            Some((p, pos)) => {
                let pat = DigitPattern(p.to_owned());
                if !pat.is_well_formed() {
                    self.invalid(
                        pos,
                        "pattern",
                        p,
                        "a digit pattern (X, Z, N, [1-5], keys, final .)",
                    );
                }
                Some(pat)
            }
            None => None,
        };
        let collect = Collect {
            var: var?,
            prompts,
            min_digits: u8::try_from(min).unwrap_or(1),
            max_digits: u8::try_from(max).unwrap_or(16),
            terminator,
            first_digit_timeout: self.secs(obj, "first_digit_timeout_secs", 5),
            inter_digit_timeout: self.secs(obj, "inter_digit_timeout_secs", 3),
            pattern,
            retry: self.retry(obj),
            sensitive: self.bool(obj, "sensitive", false),
            exits: self.exits(obj),
        };
        Some(NodeKind::Collect(collect))
    }

    pub(super) fn lookup(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let by = match self.req_str(obj, "by")? {
            ("caller", _) => LookupBy::CallerNumber,
            ("account", _) => LookupBy::Account(self.var(obj, "account_var")?),
            (other, pos) => {
                self.invalid(pos, "by", other, "caller or account");
                return None;
            }
        };
        Some(NodeKind::Lookup(Lookup {
            by,
            timeout: self.secs(obj, "timeout_secs", 3),
            next: self.node_ref(obj, "next"),
            on_not_found: self.node_ref(obj, "on_not_found"),
            on_failure: self.node_ref(obj, "on_failure"),
        }))
    }

    pub(super) fn branch(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let mut cases = Vec::new();
        if let Some((v, pos)) = self.get(obj, "case") {
            match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        let at = self.pos(item.span().start);
                        match item.get_ref() {
                            DeValue::Table(t) => {
                                let mut c = self.obj(t, at);
                                if let Some(case) = self.case(&mut c) {
                                    cases.push(case);
                                }
                                self.finish(&c);
                            }
                            other => self.wrong(at, "case", "a table", other),
                        }
                    }
                }
                other => self.wrong(pos, "case", "an array of tables", other),
            }
        }
        if cases.is_empty() {
            self.missing(obj, "case");
        }
        let next = self.node_ref(obj, "next");
        Some(NodeKind::Branch(Branch { cases, next }))
    }

    fn case(&mut self, c: &mut Obj<'_, '_>) -> Option<Case> {
        let mut when = Vec::new();
        if let Some(cond) = self.queue_condition(c) {
            when.push(cond);
        } else if let Some((v, pos)) = self.str(c, "var") {
            let var = VarName::parse(v).map_err(|_| self.invalid(pos, "var", v, "a variable name"));
            let op = self.op(c);
            let value = match self.get(c, "value") {
                Some((item, vpos)) => self.literal(item, vpos, "value"),
                None => {
                    self.missing(c, "value");
                    None
                }
            };
            if let (Ok(var), Some(op), Some(value)) = (var, op, value) {
                when.push(Cond {
                    test: Condition::Compare { var, op, value },
                    pos,
                });
            }
        }
        self.simple_conditions(c, &mut when);
        let has_condition = c.table.iter().any(|(k, _)| {
            matches!(
                k.get_ref().as_ref(),
                "queue" | "var" | "is_set" | "tier" | "identified" | "open"
            )
        });
        if !has_condition {
            self.missing(
                c,
                "a condition (var, is_set, tier, identified, open or queue)",
            );
        }
        if !c.table.iter().any(|(k, _)| k.get_ref() == "next") {
            self.missing(c, "next");
        }
        let next = self.node_ref(c, "next")?;
        Some(Case { when, next })
    }

    fn queue_condition(&mut self, c: &mut Obj<'_, '_>) -> Option<Cond> {
        let (q, pos) = self.str(c, "queue")?;
        let queue = QueueName::parse(q).map_err(|_| self.invalid(pos, "queue", q, "a queue name"));
        let stat = match self.req_str(c, "stat") {
            Some((s, spos)) => QueueStat::parse(s).or_else(|| {
                self.invalid(
                    spos,
                    "stat",
                    s,
                    "agents_ready, agents_logged_in, waiting or estimated_wait_secs",
                );
                None
            }),
            None => None,
        };
        let op = self.op(c);
        let value = match self.get(c, "value") {
            Some((v, vpos)) => match self.literal(v, vpos, "value") {
                Some(Literal::Integer(n)) => Some(n),
                Some(other) => {
                    self.err(
                        vpos,
                        FlowErrorKind::WrongType {
                            field: "value".into(),
                            expected: "an integer (queue figures are counts and seconds)",
                            found: other.kind(),
                        },
                    );
                    None
                }
                None => None,
            },
            None => {
                self.missing(c, "value");
                None
            }
        };
        let (Ok(name), Some(stat), Some(op), Some(value)) = (queue, stat, op, value) else {
            return None;
        };
        Some(Cond {
            test: Condition::Queue {
                queue: QueueRef { name, pos },
                stat,
                op,
                value,
            },
            pos,
        })
    }

    fn simple_conditions(&mut self, c: &mut Obj<'_, '_>, when: &mut Vec<Cond>) {
        if let Some((v, pos)) = self.str(c, "is_set") {
            match VarName::parse(v) {
                Ok(var) => when.push(Cond {
                    test: Condition::IsSet(var),
                    pos,
                }),
                Err(_) => self.invalid(pos, "is_set", v, "a variable name"),
            }
        }
        let tiers = self.str_list(c, "tier");
        if let Some((_, pos)) = tiers.first().copied() {
            let mut set = Vec::new();
            for (t, tpos) in tiers {
                match t.parse::<Tier>() {
                    Ok(tier) => set.push(tier),
                    Err(_) => {
                        self.invalid(tpos, "tier", t, "diamond, gold, wealth_card or standard")
                    }
                }
            }
            when.push(Cond {
                test: Condition::TierIn(set),
                pos,
            });
        }
        if let Some((l, pos)) = self.str(c, "identified") {
            match l.parse::<IdentificationLevel>() {
                Ok(level) => when.push(Cond {
                    test: Condition::IdentifiedAtLeast(level),
                    pos,
                }),
                Err(_) => self.invalid(pos, "identified", l, "unknown, matched or verified"),
            }
        }
        if let Some((s, pos)) = self.str(c, "open") {
            match ScheduleName::parse(s) {
                Ok(name) => when.push(Cond {
                    test: Condition::Open(name),
                    pos,
                }),
                Err(_) => self.invalid(pos, "open", s, "a schedule name"),
            }
        }
    }

    fn op(&mut self, c: &mut Obj<'_, '_>) -> Option<CompareOp> {
        let (o, pos) = self.req_str(c, "op")?;
        CompareOp::parse(o).or_else(|| {
            self.invalid(pos, "op", o, "==, !=, <, <=, > or >=");
            None
        })
    }

    pub(super) fn set(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let mut assignments = Vec::new();
        match self.table(obj, "vars") {
            Some(vars) => {
                for (k, v) in vars.table.iter() {
                    let pos = self.pos(k.span().start);
                    let var = VarName::parse(k.get_ref());
                    let value = self.literal(v, pos, k.get_ref());
                    match (var, value) {
                        (Ok(var), Some(value)) => {
                            assignments.push(Assignment { var, value, pos });
                        }
                        (Err(_), _) => self.invalid(pos, "vars", k.get_ref(), "a variable name"),
                        (Ok(_), None) => {}
                    }
                }
            }
            None => self.missing(obj, "vars"),
        }
        let next = self.node_ref(obj, "next");
        Some(NodeKind::Set(SetVars { assignments, next }))
    }

    fn field_maps(&mut self, obj: &mut Obj<'_, '_>) -> Vec<FieldMap> {
        let mut fields = Vec::new();
        let Some(table) = self.table(obj, "fields") else {
            return fields;
        };
        for (k, v) in table.table.iter() {
            let pos = self.pos(k.span().start);
            let DeValue::Table(t) = v.get_ref() else {
                self.wrong(
                    pos,
                    k.get_ref(),
                    "a table { from = \"...\", type = \"...\" }",
                    v.get_ref(),
                );
                continue;
            };
            let mut f = self.obj(t, pos);
            let from = self.req_str(&mut f, "from").map(|(s, _)| s.to_owned());
            let ty = match self.req_str(&mut f, "type") {
                Some((t, tpos)) => ValueType::from_name(t).or_else(|| {
                    self.invalid(
                        tpos,
                        "type",
                        t,
                        "text, digits, integer, amount, bool or date",
                    );
                    None
                }),
                None => None,
            };
            self.finish(&f);
            match (VarName::parse(k.get_ref()), from, ty) {
                (Ok(var), Some(from), Some(ty)) => fields.push(FieldMap { var, from, ty, pos }),
                (Err(_), _, _) => self.invalid(pos, "fields", k.get_ref(), "a variable name"),
                _ => {}
            }
        }
        fields
    }

    pub(super) fn http(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let url = self.req_str(obj, "url").map(|(u, _)| u.to_owned());
        let mut send = Vec::new();
        for (v, pos) in self.str_list(obj, "send") {
            match VarName::parse(v) {
                Ok(var) => send.push(var),
                Err(_) => self.invalid(pos, "send", v, "a variable name"),
            }
        }
        let fields = self.field_maps(obj);
        Some(NodeKind::Http(Http {
            url: url?,
            timeout: self.secs(obj, "timeout_secs", 5),
            send,
            fields,
            verifies_customer: self.bool(obj, "verifies_customer", false),
            next: self.node_ref(obj, "next"),
            on_failure: self.node_ref(obj, "on_failure"),
            on_timeout: self.node_ref(obj, "on_timeout"),
        }))
    }

    pub(super) fn say(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let what = match self.req_str(obj, "what") {
            Some((w, pos)) => SayWhat::parse(w).or_else(|| {
                self.invalid(pos, "what", w, "number, digits, amount or date");
                None
            }),
            None => None,
        };
        let var = self.var(obj, "var");
        let prompts = self.prompts(obj, "prompts");
        let next = self.node_ref(obj, "next");
        Some(NodeKind::Say(Say {
            what: what?,
            var: var?,
            prompts,
            next,
        }))
    }

    pub(super) fn enqueue(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let queue = self.queue(obj, "queue");
        let mut skills = Vec::new();
        for (s, pos) in self.str_list(obj, "skills") {
            let parsed = s.split_once(':').and_then(|(n, l)| {
                let skill = SkillName::parse(n).ok()?;
                let min = Proficiency::new(l.trim().parse().ok()?).ok()?;
                Some(SkillRequirement { skill, min })
            });
            match parsed {
                Some(req) => skills.push(req),
                None => self.invalid(pos, "skills", s, "name:level with level 1-10 (funds:5)"),
            }
        }
        let priority = self.priority(obj);
        let prefer_account_manager = self.bool(obj, "prefer_account_manager", true);
        Some(NodeKind::Enqueue(Enqueue {
            queue: queue?,
            skills,
            priority,
            prefer_account_manager,
        }))
    }

    pub(super) fn callback(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let queue = self.queue(obj, "queue");
        let priority = self.priority(obj);
        Some(NodeKind::Callback(Callback {
            queue: queue?,
            priority,
        }))
    }

    pub(super) fn transfer(&mut self, obj: &mut Obj<'_, '_>) -> Option<NodeKind> {
        let flow = self.str(obj, "flow");
        let number = self.str(obj, "number");
        let target = match (flow, number) {
            (Some((f, pos)), None) => match FlowName::parse(f) {
                Ok(name) => TransferTarget::Flow(name, pos),
                Err(_) => {
                    self.invalid(pos, "flow", f, "a flow name");
                    return None;
                }
            },
            (None, Some((n, pos))) => match PhoneNumber::parse(n, &self.dial_plan) {
                Ok(number) => TransferTarget::Number(number),
                Err(_) => {
                    self.invalid(pos, "number", n, "a phone number");
                    return None;
                }
            },
            (Some(_), Some((n, pos))) => {
                self.invalid(
                    pos,
                    "number",
                    n,
                    "absent when flow is given (one target only)",
                );
                return None;
            }
            (None, None) => {
                self.missing(obj, "flow or number");
                return None;
            }
        };
        Some(NodeKind::Transfer(Transfer { target }))
    }
}
