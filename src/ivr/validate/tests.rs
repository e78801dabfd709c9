//! Validator tests: one small flow per problem, checked against the exact messages.

use std::collections::BTreeSet;

use super::*;

const HEAD: &str = "[flow]\nstart = \"a\"\nlanguages = [\"zh\", \"en\"]\n\n[prompts.hi]\nzh = \"你好\"\nen = \"Hello\"\n";

/// Validates `HEAD` + `nodes` (so node lines start at 8) and compares every message.
fn check(nodes: &str, expected: &[&str]) {
    let queues: BTreeSet<QueueName> = ["trading", "vip"]
        .iter()
        .filter_map(|q| QueueName::parse(q).ok())
        .collect();
    let known = Known {
        queues: Some(&queues),
        ..Known::default()
    };
    let text = format!("{HEAD}{nodes}");
    let got: Vec<String> = match check_text(&text, &known) {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(got, expected, "flow:\n{text}");
}

fn check_text(text: &str, known: &Known<'_>) -> Result<Flow, Vec<FlowError>> {
    super::check("v.toml", text, known)
}

#[test]
fn a_sound_flow_has_no_problem() {
    check(
        r#"
[[node]]
id = "a"
type = "menu"
prompts = "hi"
on_1 = "q"
next = "bye"

[[node]]
id = "q"
type = "enqueue"
queue = "trading"

[[node]]
id = "bye"
type = "hangup"
"#,
        &[],
    );
}

#[test]
fn unknown_successors_unreachable_nodes_and_missing_exits() {
    check(
        r#"
[[node]]
id = "a"
type = "menu"
prompts = "hi"
on_1 = "q"
on_timeout = "nowhere"

[[node]]
id = "q"
type = "enqueue"
queue = "bonds"

[[node]]
id = "lost"
type = "play"
prompts = ["hi", "ho"]
"#,
        &[
            "v.toml:10:1: node \"a\": nothing follows outcome invalid: set on_invalid or next",
            "v.toml:14:1: node \"a\": on_timeout refers to unknown node \"nowhere\"",
            "v.toml:19:1: node \"q\": unknown queue \"bonds\"",
            "v.toml:22:1: node \"lost\": unreachable from the start node",
            "v.toml:22:1: node \"lost\": nothing follows outcome done: set next",
            "v.toml:24:18: node \"lost\": prompt \"ho\" is not declared under [prompts]",
        ],
    );
}

#[test]
fn loops_without_waiting_are_found_but_waiting_loops_are_fine() {
    check(
        r#"
[[node]]
id = "a"
type = "set"
vars = { n = 1 }
next = "b"

[[node]]
id = "b"
type = "branch"
case = [{ var = "n", op = ">", value = 0, next = "a" }]
next = "m"

[[node]]
id = "m"
type = "menu"
prompts = "hi"
on_1 = "m"
next = "a"
"#,
        &["v.toml:10:1: node \"a\": loop can spin without waiting for input: a -> b"],
    );
}

#[test]
fn type_errors_in_conditions_and_say() {
    check(
        r#"
[[node]]
id = "a"
type = "collect"
var = "pin"
sensitive = true
next = "b"

[[node]]
id = "b"
type = "branch"
case = [
  { var = "customer.tier", op = "==", value = 5, next = "c" },
  { var = "customer.name", op = ">", value = "b", next = "c" },
  { var = "pin", op = "==", value = "1234", next = "c" },
  { is_set = "ghost", next = "c" },
  { tier = ["gold"], open = "nights", next = "c" },
]
next = "c"

[[node]]
id = "c"
type = "say"
what = "amount"
var = "customer.name"
next = "d"

[[node]]
id = "d"
type = "hangup"
"#,
        &[
            "v.toml:20:5: node \"b\": type error: customer.tier is tier but 5 is a TOML integer",
            "v.toml:21:5: node \"b\": type error: > does not apply to customer.name (text)",
            "v.toml:22:5: node \"b\": type error: pin is secret but \"1234\" is a TOML string",
            "v.toml:23:5: node \"b\": variable ghost is never set",
            "v.toml:24:22: node \"b\": unknown schedule \"nights\"",
            "v.toml:29:1: node \"c\": type error: cannot say customer.name (text) as amount",
        ],
    );
}

#[test]
fn missing_prompt_files_are_named_once_each() {
    let files: BTreeSet<PromptName> = ["hi.zh"]
        .iter()
        .filter_map(|p| PromptName::parse(p).ok())
        .collect();
    let known = Known {
        prompt_files: Some(&files),
        ..Known::default()
    };
    let text = format!(
        "{HEAD}\n[[node]]\nid = \"a\"\ntype = \"play\"\nprompts = [\"hi\", \"hi\"]\nnext = \"b\"\n\n[[node]]\nid = \"b\"\ntype = \"hangup\"\n"
    );
    let got: Vec<String> = check_text(&text, &known)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        got,
        vec![
            "v.toml:12:12: node \"a\": missing prompt file prompts/hi.en.wav (render it with `switchyard prompts render`)"
        ]
    );
}

#[test]
fn tarjan_finds_cycles_and_self_loops() {
    let comps = strongly_connected(&[vec![1], vec![2], vec![0], vec![3], vec![]]);
    let mut sizes: Vec<usize> = comps.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![1, 1, 3]);
}

#[test]
fn say_fragments_must_have_files_once_prompt_files_are_known() {
    let mut files: BTreeSet<PromptName> = ["hi.zh", "hi.en"]
        .iter()
        .filter_map(|p| PromptName::parse(p).ok())
        .collect();
    files.extend(
        crate::ivr::say::vocabulary(crate::ivr::say::Language::Mandarin)
            .into_iter()
            .map(|(name, _)| name),
    );
    let known = Known {
        prompt_files: Some(&files),
        ..Known::default()
    };
    let text = format!(
        "{HEAD}\n[[node]]\nid = \"a\"\ntype = \"say\"\nwhat = \"digits\"\nvar = \"caller\"\nprompts = \"hi\"\nnext = \"b\"\n\n[[node]]\nid = \"b\"\ntype = \"hangup\"\n"
    );
    let got: Vec<String> = check_text(&text, &known)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    let en = crate::ivr::say::vocabulary(crate::ivr::say::Language::English).len();
    assert_eq!(
        got,
        vec![format!(
            "v.toml:10:1: node \"a\": say needs {en} missing en fragment file(s), e.g. prompts/say.en.zero.wav (render them with `switchyard prompts render`)"
        )]
    );
}
