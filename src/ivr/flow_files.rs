//! Test-only (compiled under `cfg(test)`): loads every flow shipped in `ivr_flows/` and every
//! broken flow in `tests/fixtures/broken_flows/` from disk and checks them. This is the one
//! file under `ivr` that reads files, and only in tests; the running server's loader lives
//! outside the pure core.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::flow::FlowError;
use super::validate::{Known, check};
use crate::domain::{FlowName, PromptName, QueueName};

/// Queues the demo data must seed for the shipped flows.
const DEMO_QUEUES: [&str; 5] = ["vip", "trading", "accounts", "wealth", "general"];

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run_check(
    path: &Path,
    queues: &BTreeSet<QueueName>,
    prompts: Option<&BTreeSet<PromptName>>,
) -> Vec<FlowError> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let flows: BTreeSet<FlowName> = BTreeSet::new();
    let known = Known {
        queues: Some(queues),
        prompt_files: prompts,
        schedules: None,
        flows: Some(&flows),
    };
    check(&file_name(path), &text, &known)
        .err()
        .unwrap_or_default()
}

fn demo_queues() -> BTreeSet<QueueName> {
    DEMO_QUEUES
        .iter()
        .map(|q| QueueName::parse(q).expect("demo queue names are valid"))
        .collect()
}

/// Prompt files present, when the prompts directory exists (the lead ships rendered WAVs).
fn prompt_files(root: &Path) -> Option<BTreeSet<PromptName>> {
    let dir = root.join("ivr_flows/prompts");
    let entries = std::fs::read_dir(dir).ok()?;
    Some(
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".wav")
                    .and_then(|s| PromptName::parse(s).ok())
            })
            .collect(),
    )
}

#[test]
fn every_shipped_flow_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = toml_files(&root.join("ivr_flows"));
    assert!(
        files.iter().any(|f| file_name(f) == "brokerage.toml"),
        "{files:?}"
    );
    let prompts = prompt_files(root);
    for path in files {
        let errors = run_check(&path, &demo_queues(), prompts.as_ref());
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            shown.is_empty(),
            "{}:\n{}",
            path.display(),
            shown.join("\n")
        );
    }
}

#[test]
fn every_broken_flow_gives_its_expected_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = toml_files(&root.join("tests/fixtures/broken_flows"));
    assert!(files.len() >= 10, "{files:?}");
    let mut mismatches = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            path.display()
        );
        let got: Vec<String> = run_check(&path, &demo_queues(), None)
            .iter()
            .map(ToString::to_string)
            .collect();
        if got != expected {
            mismatches.push(format!(
                "{}
  expected {expected:#?}
  got {got:#?}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
