//! Parser tests: positions, every local problem reported, each node kind read.

use super::*;

const SMALL: &str = r#"[flow]
start = "hello"
languages = ["zh", "en"]

[prompts.hi]
zh = "你好"
en = "Hello"

[[node]]
id = "hello"
type = "play"
prompts = ["hi"]
next = "bye"

[[node]]
id = "bye"
type = "hangup"
"#;

fn errors(text: &str) -> Vec<String> {
    match parse("t.toml", text) {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_small_flow_parses_with_positions() {
    let flow = parse("small.toml", SMALL).expect("small flow parses");
    assert_eq!(flow.name.as_str(), "small");
    assert_eq!(flow.start.target.as_str(), "hello");
    assert_eq!(flow.languages, vec![Language::Mandarin, Language::English]);
    assert_eq!(flow.nodes.len(), 2);
    let hello = &flow.nodes[0];
    assert_eq!(
        hello.pos,
        Pos {
            line: 10,
            column: 1
        }
    );
    let NodeKind::Play(play) = &hello.kind else {
        panic!("hello is a play node")
    };
    assert_eq!(
        play.next.as_ref().map(|r| r.pos),
        Some(Pos {
            line: 13,
            column: 1
        })
    );
    assert_eq!(
        play.prompts[0].pos,
        Pos {
            line: 12,
            column: 12
        }
    );
}

#[test]
fn every_local_problem_is_reported() {
    let text = r#"[flow]
start = "a"
colour = "red"

[[node]]
id = "a"
type = "play"
prompts = 3
nxt = "b"

[[node]]
id = "b"
type = "dance"

[[node]]
id = "a"
type = "collect"
min_digits = 4
max_digits = 2
"#;
    assert_eq!(
        errors(text),
        vec![
            "t.toml:3:1: unknown field colour",
            "t.toml:8:1: node \"a\": prompts must be a string or a list of strings, found an integer",
            "t.toml:6:1: node \"a\": missing field prompts",
            "t.toml:9:1: node \"a\": unknown field nxt",
            "t.toml:13:1: node \"b\": unknown node type \"dance\"",
            "t.toml:16:1: node \"a\": duplicate node id (first defined on line 6)",
            "t.toml:16:1: node \"a\": missing field var",
            "t.toml:19:1: node \"a\": max_digits = \"2\" is not at least min_digits",
        ]
    );
}

#[test]
fn syntax_errors_have_positions() {
    let errs = errors("[flow]\nstart = \n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("t.toml:2:"), "{errs:?}");
}

#[test]
fn digit_patterns() {
    let check = |pat: &str, digits: &str, expected: bool| {
        assert_eq!(
            DigitPattern(pat.into()).matches(digits),
            expected,
            "{pat} {digits}"
        );
    };
    check("XXXX", "1234", true);
    check("XXXX", "123", false);
    check("ZXX", "012", false);
    check("[1-5]X", "59", true);
    check("[1-5]X", "69", false);
    check("8.", "8123", true);
    check("8.", "8", false);
    assert!(DigitPattern("X[1-".into()).is_well_formed().eq(&false));
    assert!(DigitPattern("6XXXXX".into()).is_well_formed());
}

/// docs/ivr-flows.md documents every node kind with an example that parses.
#[test]
fn the_flow_documentation_has_a_parsing_example_for_every_node_kind() {
    const DOC: &str = include_str!("../../../docs/ivr-flows.md");
    let kinds = [
        "play",
        "menu",
        "collect",
        "lookup",
        "branch",
        "set",
        "http",
        "say",
        "enqueue",
        "voicemail",
        "callback",
        "transfer",
        "hangup",
    ];
    let blocks: Vec<&str> = DOC
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.contains("[[node]]"))
        .collect();
    for kind in kinds {
        assert!(
            DOC.contains(&format!("### {kind}\n")),
            "no section for {kind}"
        );
        let example = blocks
            .iter()
            .find(|b| b.contains(&format!("type = \"{kind}\"")))
            .unwrap_or_else(|| panic!("no example for {kind}"));
        let text = if example.contains("[flow]") {
            (*example).to_owned()
        } else {
            format!("[flow]\nstart = \"x\"\n{example}")
        };
        if let Err(errors) = parse("doc.toml", &text) {
            panic!("the {kind} example does not parse: {errors:?}");
        }
    }
}

#[test]
fn prompts_to_render_cover_both_languages_and_the_say_fragments() {
    let flow = parse(
        "brokerage.toml",
        include_str!("../../../ivr_flows/brokerage.toml"),
    )
    .expect("the demo flow parses");
    let all = flow.prompts_to_render();
    let find = |file: &str| all.iter().find(|p| p.file.as_str() == file);
    let welcome = find("welcome.en").expect("welcome in English");
    assert_eq!(welcome.language, Language::English);
    assert_eq!(welcome.text, "Welcome to Demo Securities customer service.");
    assert_eq!(find("say.zh.wan").map(|p| p.text.as_str()), Some("万"));
    assert_eq!(
        all.len(),
        flow.prompts.len() * 2
            + crate::ivr::say::vocabulary(Language::Mandarin).len()
            + crate::ivr::say::vocabulary(Language::English).len()
    );
    let no_say = parse("small.toml", SMALL).expect("small flow parses");
    assert_eq!(no_say.prompts_to_render().len(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any edit of the demo flow (characters deleted, replaced or inserted) gets an answer,
    /// never a panic, and every error points inside the file.
    #[test]
    fn mangled_flows_never_panic_and_errors_point_inside_the_file(
        edits in proptest::collection::vec((0usize..20_000, 0u8..3, proptest::char::any()), 1..8)
    ) {
        let mut chars: Vec<char> = include_str!("../../../ivr_flows/brokerage.toml").chars().collect();
        for (at, op, c) in edits {
            let i = at % (chars.len() + 1);
            match op {
                0 if i < chars.len() => { chars.remove(i); }
                1 if i < chars.len() => chars[i] = c,
                _ => chars.insert(i, c),
            }
        }
        let text: String = chars.into_iter().collect();
        let lines = u32::try_from(text.lines().count() + 1).unwrap_or(u32::MAX);
        let known = crate::ivr::validate::Known::default();
        if let Err(errors) = crate::ivr::validate::check("brokerage.toml", &text, &known) {
            proptest::prop_assert!(!errors.is_empty());
            for e in errors {
                proptest::prop_assert!(e.line >= 1 && e.line <= lines && e.column >= 1, "{e}");
            }
        }
    }
}
