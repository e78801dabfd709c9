//! The flows of one directory checked together: each parsed and validated (transfers checked
//! against the other files, site schedules applied), no dialled number answered twice. Start-up
//! and reload build a [`FlowSet`] and use it only when it has no problem at all; calls hold an
//! `Arc<Flow>`, so a call already inside a flow finishes on the version it started with.
//!
//! Pure: the caller reads the files and passes their names and texts in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::civil::Date;

use super::flow::{Flow, FlowError, FlowErrorKind, parse_with_plan};
use super::schedule::{Schedule, ScheduleName};
use super::validate::{Known, validate};
use crate::domain::{DialPlan, FlowName};

/// What the site configuration imposes on every flow.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    /// Named schedules that replace the flows' schedules of the same name.
    pub schedules: BTreeMap<ScheduleName, Schedule>,
    /// Public holidays: every schedule with weekly hours is closed on them.
    pub holidays: Vec<Date>,
    /// How to read transfer numbers written without a country code.
    pub dial_plan: DialPlan,
}

/// Every valid flow of a directory, by name and by dialled number.
#[derive(Debug, Clone, Default)]
pub struct FlowSet {
    flows: BTreeMap<FlowName, Arc<Flow>>,
    numbers: BTreeMap<String, FlowName>,
}

impl FlowSet {
    /// Parses and validates every `(file name, text)`; `Ok` only when no file has a problem.
    /// `site_schedules` (the configuration's) replace flow schedules of the same name; the
    /// flows known to transfers are the files given.
    pub fn check<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        known: &Known<'_>,
        site_schedules: &BTreeMap<ScheduleName, Schedule>,
    ) -> Result<Self, Vec<FlowError>> {
        let site = SiteRules {
            schedules: site_schedules.clone(),
            ..SiteRules::default()
        };
        Self::check_for_site(files, known, &site)
    }

    /// As [`FlowSet::check`] under the site's rules: its schedules replace the flows' by name,
    /// every schedule with weekly hours (not `always_open`) is also closed on its holidays,
    /// and transfer numbers are read with its dial plan.
    pub fn check_for_site<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        known: &Known<'_>,
        site: &SiteRules,
    ) -> Result<Self, Vec<FlowError>> {
        let site_schedules = &site.schedules;
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for (file, text) in files {
            match parse_with_plan(file, text, &site.dial_plan) {
                Ok(mut flow) => {
                    flow.set_site_schedules(site_schedules.clone());
                    for schedule in flow.schedules.values_mut() {
                        if !schedule.always_open {
                            schedule.holidays.extend(site.holidays.iter().copied());
                        }
                    }
                    parsed.push(flow);
                }
                Err(e) => errors.extend(e),
            }
        }
        let names: BTreeSet<FlowName> = parsed.iter().map(|f| f.name.clone()).collect();
        let mut schedules: BTreeSet<ScheduleName> = site_schedules.keys().cloned().collect();
        schedules.extend(known.schedules.into_iter().flatten().cloned());
        let known = Known {
            flows: Some(&names),
            schedules: Some(&schedules),
            ..*known
        };
        let mut set = FlowSet::default();
        for flow in parsed {
            errors.extend(validate(&flow, &known));
            for (number, pos) in &flow.numbers {
                if let Some(other) = set.numbers.get(number) {
                    errors.push(FlowError {
                        file: flow.file.clone(),
                        line: pos.line,
                        column: pos.column,
                        node: None,
                        kind: FlowErrorKind::DuplicateNumber {
                            number: number.clone(),
                            other: other.clone(),
                        },
                    });
                } else {
                    set.numbers.insert(number.clone(), flow.name.clone());
                }
            }
            set.flows.insert(flow.name.clone(), Arc::new(flow));
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// The flow answering a dialled number.
    #[must_use]
    pub fn for_number(&self, dialled: &str) -> Option<Arc<Flow>> {
        self.numbers.get(dialled).and_then(|name| self.get(name))
    }

    /// A flow by name (a transfer target).
    #[must_use]
    pub fn get(&self, name: &FlowName) -> Option<Arc<Flow>> {
        self.flows.get(name).cloned()
    }

    /// The flows' names.
    pub fn names(&self) -> impl Iterator<Item = &FlowName> {
        self.flows.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "[flow]\nstart = \"x\"\nnumbers = [\"8000\"]\n\n[[node]]\nid = \"x\"\ntype = \"transfer\"\nflow = \"b\"\n";
    const B: &str = "[flow]\nstart = \"y\"\nnumbers = [\"8001\", \"8000\"]\n\n[[node]]\nid = \"y\"\ntype = \"hangup\"\n";

    fn errors(files: &[(&str, &str)]) -> Vec<String> {
        FlowSet::check(files.iter().copied(), &Known::default(), &BTreeMap::new())
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn flows_are_found_by_number_and_name() {
        let b_alone = B.replace(", \"8000\"", "");
        let set = FlowSet::check(
            [("a.toml", A), ("b.toml", b_alone.as_str())],
            &Known::default(),
            &BTreeMap::new(),
        )
        .expect("two good flows");
        assert_eq!(
            set.for_number("8000").map(|f| f.name.to_string()),
            Some("a".into())
        );
        assert_eq!(
            set.for_number("8001").map(|f| f.name.to_string()),
            Some("b".into())
        );
        assert!(set.for_number("9999").is_none());
        assert_eq!(set.names().count(), 2);
    }

    #[test]
    fn every_problem_of_every_file_is_reported() {
        assert_eq!(
            errors(&[("a.toml", A), ("b.toml", B), ("c.toml", "[flow]\nstart = ")]),
            vec![
                "c.toml:2:9: TOML syntax: string values must be quoted, expected literal string",
                "b.toml:3:20: number 8000 is also answered by flow \"a\"",
            ]
        );
        assert_eq!(
            errors(&[("a.toml", A)]),
            vec!["a.toml:8:1: node \"x\": transfer to unknown flow \"b\""]
        );
    }
}
