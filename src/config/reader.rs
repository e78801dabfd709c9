//! A reader over the parsed TOML table that records every problem with its key path and
//! remembers which keys were used, so that unknown keys (typos) are reported too.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::str::FromStr;

use crate::domain::skill::parse_skill_list;
use crate::domain::{Channel, QueueName, TeamName};

use super::{ConfigProblem, SeedQueue};

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
