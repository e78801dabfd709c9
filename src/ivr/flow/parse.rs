//! Reads a flow file's TOML into a [`Flow`], keeping the position of every key, and reports
//! every local problem at once: syntax, wrong value types, unknown or missing fields, unknown
//! node types, duplicate ids. Problems across nodes (references, loops, types of variables)
//! are `validate.rs`'s.
//!
//! Walks `toml::de::DeTable` (which keeps spans on keys and values) by hand rather than through
//! serde derives, so that one bad field does not hide the next. Pure: text in, types out.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    Flow, FlowError, FlowErrorKind, Literal, Node, NodeId, NodeKind, Pos, Priority, PromptDecl,
    PromptRef, QueueRef, Ref, Voicemail,
};
use crate::domain::{DialPlan, FlowName, PromptName, QueueName};
use crate::ivr::say::Language;
use crate::ivr::schedule::{self, DayOfWeek, Schedule, ScheduleName, WeeklyHours};
use crate::ivr::value::VarName;

mod nodes;

type Item<'i> = Spanned<DeValue<'i>>;

/// Parses one flow file. `file` is the file name (`brokerage.toml`); its stem is the flow name.
/// Transfer numbers are read with the default dial plan (mainland China).
pub fn parse(file: &str, text: &str) -> Result<Flow, Vec<FlowError>> {
    parse_with_plan(file, text, &DialPlan::default())
}

/// As [`parse`], reading transfer numbers written without a country code under `plan` (the
/// site's dial plan).
pub fn parse_with_plan(file: &str, text: &str, plan: &DialPlan) -> Result<Flow, Vec<FlowError>> {
    let mut p = Parser::new(file, text, plan.clone());
    let (doc, syntax) = DeTable::parse_recoverable(text);
    for e in syntax {
        let pos = p.pos(e.span().map_or(0, |s| s.start));
        p.err(
            pos,
            FlowErrorKind::Syntax {
                message: e.message().trim().to_owned(),
            },
        );
    }
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    let flow = p.document(doc.get_ref());
    match flow {
        Some(flow) if p.errors.is_empty() => Ok(flow),
        _ => Err(p.errors),
    }
}

/// A table being read, with the keys used so far (the rest are unknown fields).
struct Obj<'t, 'i> {
    table: &'t DeTable<'i>,
    used: Vec<String>,
    at: Pos,
}

struct Parser {
    file: String,
    line_starts: Vec<usize>,
    text_len: usize,
    char_cols: Vec<(usize, u32)>,
    errors: Vec<FlowError>,
    node: Option<NodeId>,
    dial_plan: DialPlan,
}

fn kind_of(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl Parser {
    fn new(file: &str, text: &str, dial_plan: DialPlan) -> Self {
        let mut line_starts = vec![0];
        let mut char_cols = Vec::new();
        let mut col = 1u32;
        for (i, c) in text.char_indices() {
            char_cols.push((i, col));
            col += 1;
            if c == '\n' {
                line_starts.push(i + 1);
                col = 1;
            }
        }
        Self {
            file: file.to_owned(),
            line_starts,
            text_len: text.len(),
            char_cols,
            errors: Vec::new(),
            node: None,
            dial_plan,
        }
    }

    fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text_len);
        let line = self.line_starts.partition_point(|s| *s <= offset);
        let column = match self.char_cols.binary_search_by_key(&offset, |(i, _)| *i) {
            Ok(i) => self.char_cols[i].1,
            Err(i) => self
                .char_cols
                .get(i.saturating_sub(1))
                .map_or(1, |c| c.1 + 1),
        };
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column,
        }
    }

    fn err(&mut self, pos: Pos, kind: FlowErrorKind) {
        self.errors.push(FlowError {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            node: self.node.clone(),
            kind,
        });
    }

    fn obj<'t, 'i>(&self, table: &'t DeTable<'i>, at: Pos) -> Obj<'t, 'i> {
        Obj {
            table,
            used: Vec::new(),
            at,
        }
    }

    /// The value under `key`, marking it used, with the position of the key.
    fn get<'t, 'i>(&self, obj: &mut Obj<'t, 'i>, key: &str) -> Option<(&'t Item<'i>, Pos)> {
        let (k, v) = obj.table.iter().find(|(k, _)| k.get_ref() == key)?;
        obj.used.push(key.to_owned());
        Some((v, self.pos(k.span().start)))
    }

    fn wrong(&mut self, pos: Pos, field: &str, expected: &'static str, v: &DeValue<'_>) {
        self.err(
            pos,
            FlowErrorKind::WrongType {
                field: field.to_owned(),
                expected,
                found: kind_of(v),
            },
        );
    }

    fn invalid(&mut self, pos: Pos, field: &str, value: &str, expected: &'static str) {
        self.err(
            pos,
            FlowErrorKind::InvalidValue {
                field: field.to_owned(),
                value: value.to_owned(),
                expected,
            },
        );
    }

    fn missing(&mut self, obj: &Obj<'_, '_>, field: &'static str) {
        self.err(obj.at, FlowErrorKind::MissingField { field });
    }

    fn str<'t>(&mut self, obj: &mut Obj<'t, '_>, key: &str) -> Option<(&'t str, Pos)> {
        let (v, pos) = self.get(obj, key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.as_ref(), pos)),
            other => {
                self.wrong(pos, key, "a string", other);
                None
            }
        }
    }

    fn req_str<'t>(&mut self, obj: &mut Obj<'t, '_>, key: &'static str) -> Option<(&'t str, Pos)> {
        let found = obj.table.iter().any(|(k, _)| k.get_ref() == key);
        if !found {
            self.missing(obj, key);
        }
        self.str(obj, key)
    }

    fn int(&mut self, obj: &mut Obj<'_, '_>, key: &str, range: (i64, i64)) -> Option<(i64, Pos)> {
        let (v, pos) = self.get(obj, key)?;
        let DeValue::Integer(i) = v.get_ref() else {
            self.wrong(pos, key, "an integer", v.get_ref());
            return None;
        };
        let text = i.as_str().to_owned();
        match i64::from_str_radix(&text, i.radix()) {
            Ok(n) if (range.0..=range.1).contains(&n) => Some((n, pos)),
            _ => {
                self.invalid(pos, key, &text, "in range");
                None
            }
        }
    }

    fn bool(&mut self, obj: &mut Obj<'_, '_>, key: &str, default: bool) -> bool {
        match self.get(obj, key) {
            None => default,
            Some((v, pos)) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                other => {
                    self.wrong(pos, key, "a boolean", other);
                    default
                }
            },
        }
    }

    fn secs(&mut self, obj: &mut Obj<'_, '_>, key: &str, default: u64) -> Duration {
        let Some((v, pos)) = self.get(obj, key) else {
            return Duration::from_secs(default);
        };
        let secs = match v.get_ref() {
            DeValue::Integer(i) => i.as_str().parse::<f64>().ok(),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            other => {
                self.wrong(pos, key, "a number of seconds", other);
                return Duration::from_secs(default);
            }
        };
        match secs {
            Some(s) if s > 0.0 && s <= 600.0 => Duration::from_secs_f64(s),
            _ => {
                self.invalid(pos, key, "out of range", "between 0 and 600 seconds");
                Duration::from_secs(default)
            }
        }
    }

    /// A string or an array of strings.
    fn str_list<'t>(&mut self, obj: &mut Obj<'t, '_>, key: &str) -> Vec<(&'t str, Pos)> {
        let Some((v, pos)) = self.get(obj, key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::String(s) => vec![(s.as_ref(), self.pos(v.span().start))],
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push((s.as_ref(), self.pos(item.span().start))),
                        other => self.wrong(pos, key, "a list of strings", other),
                    }
                }
                out
            }
            other => {
                self.wrong(pos, key, "a string or a list of strings", other);
                Vec::new()
            }
        }
    }

    fn table<'t, 'i>(&mut self, obj: &mut Obj<'t, 'i>, key: &str) -> Option<Obj<'t, 'i>> {
        let (v, pos) = self.get(obj, key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(self.obj(t, pos)),
            other => {
                self.wrong(pos, key, "a table", other);
                None
            }
        }
    }

    /// Reports every key of `obj` that no reader asked for.
    fn finish(&mut self, obj: &Obj<'_, '_>) {
        for (k, _) in obj.table.iter() {
            if !obj.used.iter().any(|u| u == k.get_ref().as_ref()) {
                let pos = self.pos(k.span().start);
                self.err(
                    pos,
                    FlowErrorKind::UnknownField {
                        field: k.get_ref().to_string(),
                    },
                );
            }
        }
    }

    fn node_ref(&mut self, obj: &mut Obj<'_, '_>, key: &str) -> Option<Ref> {
        let (text, pos) = self.str(obj, key)?;
        match NodeId::parse(text) {
            Some(target) => Some(Ref {
                target,
                field: key.to_owned(),
                pos,
            }),
            None => {
                self.invalid(pos, key, text, "a node id (letters, digits, '_', '-')");
                None
            }
        }
    }

    fn prompts(&mut self, obj: &mut Obj<'_, '_>, key: &str) -> Vec<PromptRef> {
        let mut out = Vec::new();
        for (text, pos) in self.str_list(obj, key) {
            match PromptName::parse(text) {
                Ok(name) => out.push(PromptRef { name, pos }),
                Err(_) => self.invalid(pos, key, text, "a prompt name"),
            }
        }
        out
    }

    fn var(&mut self, obj: &mut Obj<'_, '_>, key: &'static str) -> Option<VarName> {
        let (text, pos) = self.req_str(obj, key)?;
        match VarName::parse(text) {
            Ok(v) => Some(v),
            Err(_) => {
                self.invalid(
                    pos,
                    key,
                    text,
                    "a variable name (lower-case letters, digits, '_', '.')",
                );
                None
            }
        }
    }

    fn queue(&mut self, obj: &mut Obj<'_, '_>, key: &'static str) -> Option<QueueRef> {
        let (text, pos) = self.req_str(obj, key)?;
        match QueueName::parse(text) {
            Ok(name) => Some(QueueRef { name, pos }),
            Err(_) => {
                self.invalid(pos, key, text, "a queue name");
                None
            }
        }
    }

    fn priority(&mut self, obj: &mut Obj<'_, '_>) -> Option<Priority> {
        self.int(obj, "priority", (1, 9))
            .and_then(|(n, _)| u8::try_from(n).ok())
            .map(Priority)
    }

    fn literal(&mut self, item: &Item<'_>, pos: Pos, field: &str) -> Option<Literal> {
        Some(match item.get_ref() {
            DeValue::String(s) => Literal::Text(s.to_string()),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Literal::Integer(n),
                Err(_) => {
                    self.invalid(pos, field, i.as_str(), "a 64-bit integer");
                    return None;
                }
            },
            DeValue::Float(f) => Literal::Decimal(f.as_str().to_owned()),
            DeValue::Boolean(b) => Literal::Bool(*b),
            other => {
                self.wrong(pos, field, "a string, number or boolean", other);
                return None;
            }
        })
    }

    fn document(&mut self, root: &DeTable<'_>) -> Option<Flow> {
        let mut root = self.obj(root, Pos { line: 1, column: 1 });
        let stem = self.file.rsplit('/').next().unwrap_or(&self.file);
        let stem = stem.strip_suffix(".toml").unwrap_or(stem).to_owned();
        let name = FlowName::parse(&stem).ok();
        if name.is_none() {
            self.invalid(root.at, "file name", &stem, "a flow name");
        }
        let head = self.table(&mut root, "flow");
        if head.is_none() {
            self.missing(&root, "flow");
        }
        let (description, start, languages, numbers) = match head {
            Some(mut head) => {
                let description = self
                    .str(&mut head, "description")
                    .map(|(d, _)| d.to_owned());
                if !head.table.iter().any(|(k, _)| k.get_ref() == "start") {
                    self.missing(&head, "start");
                }
                let start = self.node_ref(&mut head, "start");
                let languages = self.languages(&mut head);
                let numbers = self
                    .str_list(&mut head, "numbers")
                    .into_iter()
                    .map(|(n, pos)| (n.to_owned(), pos))
                    .collect();
                self.finish(&head);
                (description.unwrap_or_default(), start, languages, numbers)
            }
            None => (String::new(), None, vec![Language::Mandarin], Vec::new()),
        };
        let prompts = self.prompt_decls(&mut root);
        let schedules = self.schedules(&mut root);
        let nodes = self.nodes(&mut root);
        self.finish(&root);
        let mut index = BTreeMap::new();
        for (i, node) in nodes.iter().enumerate() {
            index.insert(node.id.clone(), i);
        }
        Some(Flow {
            file: self.file.clone(),
            name: name?,
            description,
            start: start?,
            languages,
            numbers,
            prompts,
            schedules,
            nodes,
            index,
        })
    }

    fn languages(&mut self, head: &mut Obj<'_, '_>) -> Vec<Language> {
        let mut out = Vec::new();
        for (code, pos) in self.str_list(head, "languages") {
            match Language::from_code(code) {
                Some(l) if !out.contains(&l) => out.push(l),
                Some(_) => {}
                None => self.invalid(pos, "languages", code, "zh or en"),
            }
        }
        if out.is_empty() {
            out.push(Language::Mandarin);
        }
        out
    }

    fn prompt_decls(&mut self, root: &mut Obj<'_, '_>) -> BTreeMap<PromptName, PromptDecl> {
        let mut out = BTreeMap::new();
        let Some(table) = self.table(root, "prompts") else {
            return out;
        };
        for (k, v) in table.table.iter() {
            let pos = self.pos(k.span().start);
            let Ok(name) = PromptName::parse(k.get_ref()) else {
                self.invalid(pos, "prompts", k.get_ref(), "a prompt name");
                continue;
            };
            let DeValue::Table(texts) = v.get_ref() else {
                self.wrong(
                    pos,
                    k.get_ref(),
                    "a table of texts by language",
                    v.get_ref(),
                );
                continue;
            };
            let mut decl = PromptDecl {
                texts: BTreeMap::new(),
                pos,
            };
            for (lk, lv) in texts.iter() {
                let lpos = self.pos(lk.span().start);
                match (Language::from_code(lk.get_ref()), lv.get_ref()) {
                    (Some(lang), DeValue::String(s)) => {
                        decl.texts.insert(lang, s.to_string());
                    }
                    (None, _) => self.invalid(lpos, "prompt language", lk.get_ref(), "zh or en"),
                    (Some(_), other) => self.wrong(lpos, lk.get_ref(), "a string", other),
                }
            }
            out.insert(name, decl);
        }
        out
    }

    fn schedules(&mut self, root: &mut Obj<'_, '_>) -> BTreeMap<ScheduleName, Schedule> {
        let mut out = BTreeMap::new();
        let Some(table) = self.table(root, "schedules") else {
            return out;
        };
        for (k, v) in table.table.iter() {
            let pos = self.pos(k.span().start);
            let Ok(name) = ScheduleName::parse(k.get_ref()) else {
                self.invalid(pos, "schedules", k.get_ref(), "a schedule name");
                continue;
            };
            let DeValue::Table(t) = v.get_ref() else {
                self.wrong(pos, k.get_ref(), "a table", v.get_ref());
                continue;
            };
            let mut obj = self.obj(t, pos);
            let schedule = self.schedule(&mut obj);
            self.finish(&obj);
            out.insert(name, schedule);
        }
        out
    }

    fn schedule(&mut self, obj: &mut Obj<'_, '_>) -> Schedule {
        let mut s = Schedule {
            always_open: self.bool(obj, "always_open", false),
            ..Schedule::default()
        };
        for (text, pos) in self.str_list(obj, "holidays") {
            match schedule::parse_date(text) {
                Ok(d) => {
                    s.holidays.insert(d);
                }
                Err(_) => self.invalid(pos, "holidays", text, "a date (YYYY-MM-DD)"),
            }
        }
        let Some((v, pos)) = self.get(obj, "weekly") else {
            return s;
        };
        let DeValue::Array(spans) = v.get_ref() else {
            self.wrong(pos, "weekly", "an array of tables", v.get_ref());
            return s;
        };
        for span in spans.iter() {
            let DeValue::Table(t) = span.get_ref() else {
                self.wrong(pos, "weekly", "an array of tables", span.get_ref());
                continue;
            };
            let mut o = self.obj(t, self.pos(span.span().start));
            let mut days = std::collections::BTreeSet::new();
            for (d, dpos) in self.str_list(&mut o, "days") {
                match DayOfWeek::parse(d) {
                    Ok(day) => {
                        days.insert(day);
                    }
                    Err(_) => self.invalid(dpos, "days", d, "mon, tue, wed, thu, fri, sat or sun"),
                }
            }
            let open = self.req_str(&mut o, "open");
            let close = self.req_str(&mut o, "close");
            self.finish(&o);
            let time = |p: &mut Self, f: Option<(&str, Pos)>, field: &str| {
                let (t, tp) = f?;
                schedule::parse_time(t)
                    .map_err(|_| p.invalid(tp, field, t, "a time of day (HH:MM)"))
                    .ok()
            };
            let open = time(self, open, "open");
            let close = time(self, close, "close");
            if let (Some(open), Some(close)) = (open, close) {
                s.weekly.push(WeeklyHours { days, open, close });
            }
        }
        s
    }

    fn nodes(&mut self, root: &mut Obj<'_, '_>) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::new();
        let Some((v, pos)) = self.get(root, "node") else {
            self.missing(root, "node");
            return out;
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong(pos, "node", "an array of tables ([[node]])", v.get_ref());
            return out;
        };
        for item in items.iter() {
            let DeValue::Table(t) = item.get_ref() else {
                self.wrong(pos, "node", "an array of tables ([[node]])", item.get_ref());
                continue;
            };
            let mut obj = self.obj(t, self.pos(item.span().start));
            self.node = None;
            if let Some(node) = self.node(&mut obj, &out) {
                out.push(node);
            }
            self.node = None;
        }
        out
    }

    fn node(&mut self, obj: &mut Obj<'_, '_>, seen: &[Node]) -> Option<Node> {
        let (id_text, id_pos) = self.req_str(obj, "id")?;
        let Some(id) = NodeId::parse(id_text) else {
            self.invalid(
                id_pos,
                "id",
                id_text,
                "a node id (letters, digits, '_', '-')",
            );
            return None;
        };
        self.node = Some(id.clone());
        obj.at = id_pos;
        if let Some(first) = seen.iter().find(|n| n.id == id) {
            let first_line = first.pos.line;
            self.err(id_pos, FlowErrorKind::DuplicateNode { first_line });
        }
        let (ty, ty_pos) = self.req_str(obj, "type")?;
        let kind = match ty {
            "play" => self.play(obj),
            "menu" => self.menu(obj),
            "collect" => self.collect(obj),
            "lookup" => self.lookup(obj),
            "branch" => self.branch(obj),
            "set" => self.set(obj),
            "http" => self.http(obj),
            "say" => self.say(obj),
            "enqueue" => self.enqueue(obj),
            "voicemail" => self
                .queue(obj, "queue")
                .map(|queue| NodeKind::Voicemail(Voicemail { queue })),
            "callback" => self.callback(obj),
            "transfer" => self.transfer(obj),
            "hangup" => Some(NodeKind::Hangup),
            other => {
                self.err(
                    ty_pos,
                    FlowErrorKind::UnknownNodeType {
                        found: other.to_owned(),
                    },
                );
                return None;
            }
        };
        self.finish(obj);
        Some(Node {
            id,
            pos: id_pos,
            kind: kind?,
        })
    }
}
