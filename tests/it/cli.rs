//! The `switchyard` binary as an operator uses it: help, agents, migrate, and the customer
//! import with its per-line error report.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn switchyard(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SWITCHYARD_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(text) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("the binary finishes")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_names_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = switchyard(dir.path(), &["--help"], None);
    assert!(o.status.success());
    let t = text(&o);
    for word in [
        "serve",
        "migrate",
        "agents",
        "import",
        "flows",
        "prompts",
        "--config",
        "--data-dir",
    ] {
        assert!(t.contains(word), "{word} missing from help:\n{t}");
    }
    let t = text(&switchyard(dir.path(), &["serve", "--help"], None));
    assert!(
        t.contains("--http-listen") && t.contains("--sip-listen"),
        "{t}"
    );
    let t = text(&switchyard(dir.path(), &["agents", "add", "--help"], None));
    assert!(
        t.contains("--password-stdin") && t.contains("--skills") && t.contains("--team"),
        "{t}"
    );
}

#[test]
fn agents_are_added_listed_and_given_passwords_without_a_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = switchyard(dir.path(), &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let args = [
        "agents",
        "add",
        "li.wei",
        "--name",
        "Li Wei",
        "--skills",
        "equities:8,funds:5,mandarin:9",
        "--roles",
        "agent,supervisor",
        "--team",
        "equities-desk",
        "--password-stdin",
    ];
    let o = switchyard(dir.path(), &args, Some("a-good-password\n"));
    assert!(o.status.success(), "{}", text(&o));
    let o = switchyard(dir.path(), &args, Some("a-good-password\n"));
    assert!(!o.status.success(), "a second li.wei is refused");
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    let o = switchyard(
        dir.path(),
        &[
            "agents",
            "add",
            "zhang.san",
            "--name",
            "Zhang San",
            "--skills",
            "funds:11",
            "--password-stdin",
        ],
        Some("a-good-password"),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("outside 1-10"), "{}", text(&o));
    let o = switchyard(dir.path(), &["agents", "list"], None);
    let t = text(&o);
    assert!(
        t.contains("li.wei")
            && t.contains("equities-desk")
            && t.contains("funds:5")
            && t.contains("agent,supervisor"),
        "{t}"
    );
    let o = switchyard(
        dir.path(),
        &["agents", "set-password", "li.wei", "--password-stdin"],
        Some("another-good-one\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = switchyard(
        dir.path(),
        &["agents", "set-password", "nobody", "--password-stdin"],
        Some("another-good-one\n"),
    );
    assert!(!o.status.success());
}

#[test]
fn import_keeps_good_rows_and_reports_bad_ones_by_line_and_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "name,external_id,phones,emails,assets,risk_profile,branch\n\
         黄志强,C1,+86 138-0013-8000;021/6888 8888,huang@example.cn,6000000,aggressive,Shanghai\n\
         ,C2,138 0013 8001,,,,\n\
         周美玲,C3,13x,,lots,reckless,\n\
         吴建国,C4,0086 13700137000,,150000,balanced,Beijing\n",
    )
    .expect("csv written");
    let o = switchyard(
        dir.path(),
        &["import", "customers", csv.to_str().expect("utf-8 path")],
        None,
    );
    let t = text(&o);
    assert!(
        !o.status.success(),
        "rejected rows make the exit status non-zero"
    );
    assert!(t.contains("line 3: name:"), "{t}");
    assert!(
        t.contains("line 4: phones:") && t.contains("assets:") && t.contains("risk_profile:"),
        "{t}"
    );
    assert!(t.contains("2 created, 0 updated, 2 rejected"), "{t}");
    // Importing a corrected file updates by external id.
    std::fs::write(
        &csv,
        "name,external_id,phones,assets\n黄志强,C1,138 0013 8000,100\n",
    )
    .expect("csv written");
    let o = switchyard(
        dir.path(),
        &["import", "customers", csv.to_str().expect("utf-8 path")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("0 created, 1 updated, 0 rejected"),
        "{}",
        text(&o)
    );
}
