//! A reader over the parsed TOML table that records every problem with its key path and
//! remembers which keys were used, so that unknown keys (typos) are reported too.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::str::FromStr;

use crate::domain::skill::parse_skill_list;
use crate::domain::{Channel, QueueName, TeamName};

use super::{ConfigProblem, SeedQueue, SiteSchedule, WeeklySpan};

pub(super) struct Reader {
    table: toml::Table,
    used: BTreeSet<String>,
    problems: Vec<ConfigProblem>,
}

impl Reader {
    pub(super) fn new(table: toml::Table) -> Self {
        Self {
            table,
            used: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    pub(super) fn problem(&mut self, key: &str, message: &str) {
        self.problems.push(ConfigProblem {
            key: key.to_owned(),
            message: message.to_owned(),
        });
    }

    /// Sets `key` from an environment variable (read as a TOML value when it parses as one,
    /// else as a string).
    pub(super) fn override_with(&mut self, key: &str, raw: &str, var: &str) {
        let value = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
        let (section, leaf) = key.split_once('.').expect("ENV_KEYS are section.key paths");
        let entry = self
            .table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry.as_table_mut() {
            Some(t) => {
                t.insert(leaf.to_owned(), value);
            }
            None => self.problem(
                key,
                &format!("{var} overrides a key of {section:?}, which is not a table"),
            ),
        }
    }

    fn get(&mut self, key: &str) -> Option<toml::Value> {
        self.used.insert(key.to_owned());
        let (section, leaf) = key.split_once('.')?;
        self.used.insert(section.to_owned());
        self.table.get(section)?.as_table()?.get(leaf).cloned()
    }

    pub(super) fn opt_string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            toml::Value::String(s) => Some(s),
            other => {
                self.problem(
                    key,
                    &format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    pub(super) fn string(&mut self, key: &str, default: &str) -> String {
        self.opt_string(key).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn parsed<T: FromStr>(&mut self, key: &str, default: T) -> T
    where
        T::Err: Display,
    {
        match self.opt_string(key) {
            Some(s) => s.parse().unwrap_or_else(|e| {
                self.problem(key, &format!("{s:?}: {e}"));
                default
            }),
            None => default,
        }
    }

    pub(super) fn parsed_list<T: FromStr>(&mut self, key: &str) -> Vec<T>
    where
        T::Err: Display,
    {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(
                key,
                &format!("expected an array of strings, found {}", value.type_str()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(str::parse::<T>) {
                Some(Ok(v)) => out.push(v),
                Some(Err(e)) => self.problem(&format!("{key}[{i}]"), &format!("{item}: {e}")),
                None => self.problem(&format!("{key}[{i}]"), "expected a string"),
            }
        }
        out
    }

    pub(super) fn integer(&mut self, key: &str, default: u64, min: u64, max: u64) -> u64 {
        match self.get(key) {
            None => default,
            Some(toml::Value::Integer(i))
                if u64::try_from(i).is_ok_and(|v| (min..=max).contains(&v)) =>
            {
                u64::try_from(i).unwrap_or(default)
            }
            Some(other) => {
                self.problem(
                    key,
                    &format!("expected an integer from {min} to {max}, found {other}"),
                );
                default
            }
        }
    }

    pub(super) fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.get(key) {
            None => default,
            Some(toml::Value::Boolean(b)) => b,
            Some(other) => {
                self.problem(key, &format!("expected true or false, found {other}"));
                default
            }
        }
    }

    /// `[[seed.queues]]` entries: name, display_name, channel, skills, team.
    pub(super) fn seed_queues(&mut self, key: &str) -> Vec<SeedQueue> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(key, "expected an array of tables ([[seed.queues]])");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = |field: &str| format!("{key}[{i}].{field}");
            let Some(t) = item.as_table() else {
                self.problem(&format!("{key}[{i}]"), "expected a table");
                continue;
            };
            for k in t.keys() {
                if !["name", "display_name", "channel", "skills", "team"].contains(&k.as_str()) {
                    self.problem(&at(k), "unknown key");
                }
            }
            let text = |field: &str| {
                t.get(field)
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
            };
            let name = match text("name").map(|n| QueueName::parse(&n)) {
                Some(Ok(n)) => n,
                Some(Err(e)) => {
                    self.problem(&at("name"), &e.to_string());
                    continue;
                }
                None => {
                    self.problem(&at("name"), "missing");
                    continue;
                }
            };
            let channel = match text("channel")
                .unwrap_or_else(|| "voice".into())
                .parse::<Channel>()
            {
                Ok(c) => c,
                Err(e) => {
                    self.problem(&at("channel"), &e.to_string());
                    Channel::Voice
                }
            };
            let skills =
                parse_skill_list(&text("skills").unwrap_or_default()).unwrap_or_else(|e| {
                    self.problem(&at("skills"), &e.to_string());
                    Vec::new()
                });
            let team = match text("team").map(|t| TeamName::parse(&t)) {
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    self.problem(&at("team"), &e.to_string());
                    None
                }
                None => None,
            };
            let display_name = text("display_name").unwrap_or_else(|| name.as_str().to_owned());
            out.push(SeedQueue {
                name,
                display_name,
                channel,
                skills,
                team,
            });
        }
        out
    }

    /// `[site.schedules.NAME]` tables: `always_open`, `weekly` (an array of
    /// `{ days = [...], open = "09:00", close = "17:30" }`) and `holidays`.
    pub(super) fn schedules(&mut self, key: &str) -> Vec<SiteSchedule> {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(table) = value.as_table() else {
            self.problem(key, "expected tables: [site.schedules.NAME]");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, v) in table {
            let at = |field: &str| format!("{key}.{name}.{field}");
            let ok_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok_name {
                self.problem(
                    &format!("{key}.{name}"),
                    "a schedule name is 1-64 letters, digits, '_' or '-'",
                );
                continue;
            }
            let Some(t) = v.as_table() else {
                self.problem(&format!("{key}.{name}"), "expected a table");
                continue;
            };
            for k in t.keys() {
                if !["always_open", "weekly", "holidays"].contains(&k.as_str()) {
                    self.problem(&at(k), "unknown key");
                }
            }
            let always_open = match t.get("always_open") {
                None => false,
                Some(toml::Value::Boolean(b)) => *b,
                Some(_) => {
                    self.problem(&at("always_open"), "expected true or false");
                    false
                }
            };
            let mut weekly = Vec::new();
            for (i, span) in t
                .get("weekly")
                .and_then(toml::Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let here = |f: &str| format!("{}[{i}].{f}", at("weekly"));
                let days: Vec<String> = span
                    .get("days")
                    .and_then(toml::Value::as_array)
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if days.is_empty() || days.iter().any(|d| !DAYS.contains(&d.as_str())) {
                    self.problem(
                        &here("days"),
                        "give day names from mon, tue, wed, thu, fri, sat, sun",
                    );
                }
                let time = |f: &str| {
                    span.get(f)
                        .and_then(toml::Value::as_str)
                        .and_then(|t| t.parse::<jiff::civil::Time>().ok())
                };
                match (time("open"), time("close")) {
                    (Some(open), Some(close)) => weekly.push(WeeklySpan { days, open, close }),
                    (None, _) => self.problem(&here("open"), "expected a time such as \"09:00\""),
                    (_, None) => self.problem(&here("close"), "expected a time such as \"17:30\""),
                }
            }
            if t.get("weekly").is_some_and(|w| !w.is_array()) {
                self.problem(
                    &at("weekly"),
                    "expected an array of { days, open, close } tables",
                );
            }
            let mut holidays = Vec::new();
            for (i, d) in t
                .get("holidays")
                .and_then(toml::Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                match d.as_str().map(str::parse::<jiff::civil::Date>) {
                    Some(Ok(date)) => holidays.push(date),
                    _ => self.problem(
                        &format!("{}[{i}]", at("holidays")),
                        "expected a date such as \"2027-10-01\"",
                    ),
                }
            }
            out.push(SiteSchedule {
                name: name.clone(),
                always_open,
                weekly,
                holidays,
            });
        }
        out
    }

    /// Reports unknown sections and keys, then every problem found.
    pub(super) fn finish(mut self) -> Result<(), Vec<ConfigProblem>> {
        let mut unknown = Vec::new();
        for (section, value) in &self.table {
            if !self.used.contains(section) {
                unknown.push(section.clone());
                continue;
            }
            if let Some(t) = value.as_table() {
                for k in t.keys() {
                    let path = format!("{section}.{k}");
                    if !self.used.contains(&path) {
                        unknown.push(path);
                    }
                }
            }
        }
        for key in unknown {
            self.problem(
                &key,
                "unknown setting (check the spelling against docs/switchyard.example.toml)",
            );
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}
