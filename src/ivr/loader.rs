//! The flow loader: reads the `*.toml` files and the prompt file names of a flows directory
//! (`ivr_flows/`) and checks them together into a [`FlowSet`]; [`FlowLibrary`] holds the set
//! in force and swaps it on reload only when the new one has no problem at all.
//!
//! The one IVR file of the running server that touches the filesystem. It must not know the
//! store, the configuration or the ACD: the caller passes in the queue names that exist and
//! the site calendar. Calls hold an `Arc<Flow>` taken from the set, so a reload never changes
//! the flow under a call already inside it.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::Date;
use tokio::sync::watch;

use super::flow::{Flow, FlowError};
use super::flow_set::{FlowSet, SiteRules};
use super::schedule::{Schedule, ScheduleName};
use super::validate::Known;
use crate::domain::{DialPlan, FlowName, PromptName, QueueName};

/// The prompts directory inside a flows directory.
pub const PROMPTS_DIR: &str = "prompts";

/// Why a flows directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory (or a file in it) cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Some flows have problems; every one is listed.
    #[error("{} problem(s) in the flows of {dir}:\n{}", errors.len(), render(errors))]
    Invalid {
        /// The directory.
        dir: PathBuf,
        /// Every problem, with file, line, column and node.
        errors: Vec<FlowError>,
    },
}

fn render(errors: &[FlowError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files of a flows directory, read.
#[derive(Debug, Clone, Default)]
pub struct FlowFiles {
    /// `(file name, text)` of every `*.toml`, sorted by name.
    pub flows: Vec<(String, String)>,
    /// The stems of the WAV files under `prompts/` (`welcome.zh`); `None` when there is no
    /// prompts directory (then prompt files are not checked).
    pub prompt_files: Option<BTreeSet<PromptName>>,
}

/// What flows may refer to outside their directory.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    /// Queue names that exist (the store's, or the configuration's and the demo data's).
    pub queues: BTreeSet<QueueName>,
    /// The site's public holidays: every weekly schedule is closed on them.
    pub holidays: Vec<Date>,
    /// Schedules defined by the site configuration (they replace flow schedules by name).
    pub schedules: BTreeMap<ScheduleName, Schedule>,
    /// The site's dial plan, for transfer numbers written without a country code.
    pub dial_plan: DialPlan,
}

fn read_err(path: &Path) -> impl FnOnce(io::Error) -> LoadError + '_ {
    move |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads every `*.toml` of `dir` and the WAV names under `dir/prompts/`.
pub fn read_dir(dir: &Path) -> Result<FlowFiles, LoadError> {
    let mut flows = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(read_err(&path))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            flows.push((name, text));
        }
    }
    flows.sort();
    let prompts = dir.join(PROMPTS_DIR);
    let prompt_files = if prompts.is_dir() {
        Some(prompt_names(&prompts)?)
    } else {
        None
    };
    Ok(FlowFiles {
        flows,
        prompt_files,
    })
}

/// The stems of the `*.wav` files of a directory (`welcome.zh`).
pub fn prompt_names(dir: &Path) -> Result<BTreeSet<PromptName>, LoadError> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let name = entry.map_err(read_err(dir))?.file_name();
        let name = name.to_string_lossy();
        if let Some(p) = name
            .strip_suffix(".wav")
            .and_then(|s| PromptName::parse(s).ok())
        {
            out.insert(p);
        }
    }
    Ok(out)
}

/// Checks the files read from `dir` together: `Ok` only when no flow has a problem. A
/// directory without flows gives an empty set (a site with no IVR answers no calls).
pub fn check(dir: &Path, files: &FlowFiles, around: &Surroundings) -> Result<FlowSet, LoadError> {
    let known = Known {
        queues: Some(&around.queues),
        prompt_files: files.prompt_files.as_ref(),
        schedules: None,
        flows: None,
    };
    let site = SiteRules {
        schedules: around.schedules.clone(),
        holidays: around.holidays.clone(),
        dial_plan: around.dial_plan.clone(),
    };
    FlowSet::check_for_site(
        files.flows.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        &known,
        &site,
    )
    .map_err(|errors| LoadError::Invalid {
        dir: dir.to_path_buf(),
        errors,
    })
}

/// Reads and checks a flows directory.
pub fn load(dir: &Path, around: &Surroundings) -> Result<FlowSet, LoadError> {
    check(dir, &read_dir(dir)?, around)
}

/// The flows in force and where they come from. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct FlowLibrary {
    dir: PathBuf,
    /// The set in force. A `watch` cell: readers (new calls, the API) clone the `Arc` out of a
    /// short borrow, a reload replaces it whole, and anyone may wait for the next reload.
    current: Arc<watch::Sender<Arc<FlowSet>>>,
}

impl FlowLibrary {
    /// A library serving `set`, reloaded from `dir`.
    #[must_use]
    pub fn new(dir: PathBuf, set: FlowSet) -> Self {
        Self {
            dir,
            current: Arc::new(watch::Sender::new(Arc::new(set))),
        }
    }

    /// The directory flows are loaded from.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The set in force now.
    #[must_use]
    pub fn current(&self) -> Arc<FlowSet> {
        self.current.borrow().clone()
    }

    /// The flow of this name in force now (a call keeps the `Arc` for its whole run).
    #[must_use]
    pub fn flow(&self, name: &FlowName) -> Option<Arc<Flow>> {
        self.current().get(name)
    }

    /// A receiver that sees every set put in force from now on.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<Arc<FlowSet>> {
        self.current.subscribe()
    }

    /// Reads and checks the directory again; replaces the set in force only when the new one
    /// has no problem (else the old set stays and the problems are returned).
    pub fn reload(&self, around: &Surroundings) -> Result<Arc<FlowSet>, LoadError> {
        let set = Arc::new(load(&self.dir, around)?);
        self.current.send_replace(set.clone());
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[flow]\nstart = \"q\"\nnumbers = [\"8000\"]\n\n[[node]]\nid = \"q\"\ntype = \"enqueue\"\nqueue = \"general\"\n";

    fn around() -> Surroundings {
        Surroundings {
            queues: ["general", "vip"]
                .iter()
                .filter_map(|q| QueueName::parse(q).ok())
                .collect(),
            ..Surroundings::default()
        }
    }

    /// A file to write: name and text.
    type File<'a> = (&'a str, &'a str);

    fn dir_with(files: &[File<'_>]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write a flow file");
        }
        dir
    }

    fn errors_of(r: Result<FlowSet, LoadError>) -> Vec<String> {
        match r {
            Ok(_) => Vec::new(),
            Err(LoadError::Invalid { errors, .. }) => {
                errors.iter().map(ToString::to_string).collect()
            }
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn unknown_queues_and_missing_directories_are_reported() {
        let bad = GOOD.replace("general", "nowhere");
        let cases: [(&[File<'_>], Vec<String>); 2] = [
            (&[("a.toml", GOOD), ("notes.txt", "x")], vec![]),
            (
                &[("a.toml", bad.as_str())],
                vec!["a.toml:8:1: node \"q\": unknown queue \"nowhere\"".into()],
            ),
        ];
        for (files, expected) in cases {
            let dir = dir_with(files);
            assert_eq!(errors_of(load(dir.path(), &around())), expected);
        }
        let empty = dir_with(&[]);
        let set = load(empty.path(), &around()).expect("an empty directory is no error");
        assert_eq!(set.names().count(), 0);
        assert!(matches!(
            load(&empty.path().join("missing"), &around()),
            Err(LoadError::Read { .. })
        ));
    }

    #[test]
    fn a_reload_with_a_problem_keeps_the_old_set_and_calls_keep_their_version() {
        let dir = dir_with(&[("a.toml", GOOD)]);
        let set = load(dir.path(), &around()).expect("valid");
        let lib = FlowLibrary::new(dir.path().to_path_buf(), set);
        let name = FlowName::parse("a").expect("a flow name");
        let in_call = lib.flow(&name).expect("flow a");
        let watcher = lib.subscribe();

        std::fs::write(
            dir.path().join("a.toml"),
            GOOD.replace("general", "nowhere"),
        )
        .expect("write");
        assert!(lib.reload(&around()).is_err());
        assert!(Arc::ptr_eq(
            &lib.flow(&name).expect("still there"),
            &in_call
        ));

        std::fs::write(dir.path().join("a.toml"), GOOD.replace("general", "vip")).expect("write");
        assert_eq!(
            watcher.has_changed().ok(),
            Some(false),
            "a refused reload is no change"
        );
        lib.reload(&around()).expect("valid again");
        assert_eq!(watcher.has_changed().ok(), Some(true));
        let fresh = lib.flow(&name).expect("flow a");
        assert!(!Arc::ptr_eq(&fresh, &in_call));
        assert!(format!("{:?}", in_call.nodes[0].kind).contains("general"));
    }

    #[test]
    fn prompt_files_are_checked_when_the_prompts_directory_exists() {
        let flow = "[flow]\nstart = \"p\"\nlanguages = [\"en\"]\n\n[prompts]\nhi = { en = \"Hi\" }\n\n[[node]]\nid = \"p\"\ntype = \"play\"\nprompts = \"hi\"\nnext = \"h\"\n\n[[node]]\nid = \"h\"\ntype = \"hangup\"\n";
        let dir = dir_with(&[("p.toml", flow)]);
        assert_eq!(errors_of(load(dir.path(), &around())), Vec::<String>::new());
        std::fs::create_dir(dir.path().join(PROMPTS_DIR)).expect("mkdir");
        let got = errors_of(load(dir.path(), &around()));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("hi.en"), "{got:?}");
        std::fs::write(dir.path().join("prompts/hi.en.wav"), b"RIFF").expect("write");
        assert_eq!(errors_of(load(dir.path(), &around())), Vec::<String>::new());
    }

    #[test]
    fn transfer_numbers_are_read_with_the_site_dial_plan() {
        let flow = "[flow]\nstart = \"t\"\n\n[[node]]\nid = \"t\"\ntype = \"transfer\"\nnumber = \"(020) 7946 0000\"\n";
        let dir = dir_with(&[("t.toml", flow)]);
        let uk = DialPlan {
            country_code: "44".into(),
            ..DialPlan::default()
        };
        let cases = [
            (DialPlan::default(), "+862079460000"),
            (uk, "+442079460000"),
        ];
        for (plan, expected) in cases {
            let mut a = around();
            a.dial_plan = plan;
            let set = load(dir.path(), &a).expect("valid");
            let t = set
                .get(&FlowName::parse("t").expect("name"))
                .expect("flow t");
            let shown = format!("{:?}", t.nodes[0].kind);
            assert!(shown.contains(expected), "{shown}");
        }
    }

    #[test]
    fn site_holidays_close_weekly_schedules() {
        let flow = "[flow]\nstart = \"b\"\n\n[schedules.office]\nweekly = [{ days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], open = \"09:00\", close = \"17:00\" }]\n\n[[node]]\nid = \"b\"\ntype = \"branch\"\ncase = [{ open = \"office\", next = \"h\" }]\nnext = \"h\"\n\n[[node]]\nid = \"h\"\ntype = \"hangup\"\n";
        let dir = dir_with(&[("b.toml", flow)]);
        let holiday: Date = "2026-10-01".parse().expect("a date");
        let mut a = around();
        a.holidays = vec![holiday];
        let set = load(dir.path(), &a).expect("valid");
        let b = set
            .get(&FlowName::parse("b").expect("name"))
            .expect("flow b");
        let office = ScheduleName::parse("office").expect("name");
        let schedule = b.schedules.get(&office).expect("office schedule");
        assert!(!schedule.is_open(holiday.at(10, 0, 0, 0)));
        let thursday: Date = "2026-10-08".parse().expect("a date");
        assert!(schedule.is_open(thursday.at(10, 0, 0, 0)));
    }
}
