//! IVR flows in the running platform and on the command line: start-up refuses an invalid
//! flow and names it; the API lists, simulates (against the demo customers and a real
//! front-end processor on port 0) and reloads flows, keeping the old set on any problem;
//! `flows check`, `flows simulate` and `prompts render` as an operator runs them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::Json;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use switchyard::config::Config;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A flows directory holding the demo flow, its balance service pointed at `fep`.
fn flows_dir(dir: &Path, fep: &str) -> PathBuf {
    let flows = dir.join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    let demo = std::fs::read_to_string(root().join("ivr_flows/brokerage.toml")).expect("demo");
    let demo = demo.replace("http://127.0.0.1:9090/fep/balance", fep);
    std::fs::write(flows.join("brokerage.toml"), demo).expect("write flow");
    flows
}

fn config(dir: &Path, flows: PathBuf) -> Config {
    let mut c =
        Config::parse("[http]\nlisten = \"127.0.0.1:0\"\n", &HashMap::new()).expect("config");
    c.paths.data_dir = dir.join("data");
    c.paths.recordings_dir = dir.join("recordings");
    c.paths.flows_dir = flows;
    c
}

/// The brokerage's front-end processor: the balance of any customer whose PIN is 123456.
async fn serve_fep() -> String {
    async fn balance(Json(body): Json<Value>) -> (axum::http::StatusCode, Json<Value>) {
        if body["pin"] == "123456" && body["customer.id"].is_string() {
            (
                axum::http::StatusCode::OK,
                Json(json!({"available_balance": "10010.05"})),
            )
        } else {
            (axum::http::StatusCode::FORBIDDEN, Json(json!({})))
        }
    }
    let app = axum::Router::new().route("/fep/balance", axum::routing::post(balance));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/fep/balance")
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let resp = client
        .request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("the server answers");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn sign_in(base: &str, login: &str, password: &str) -> String {
    let (status, body) = call(
        base,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"login": login, "password": password})),
    )
    .await;
    assert_eq!(status, 200, "{login} signs in: {body}");
    body["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn start_up_refuses_an_invalid_flow_and_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = flows_dir(dir.path(), "http://127.0.0.1:9/fep");
    let bad =
        "[flow]\nstart = \"q\"\n\n[[node]]\nid = \"q\"\ntype = \"enqueue\"\nqueue = \"bonds\"\n";
    std::fs::write(flows.join("bonds.toml"), bad).expect("write");
    let err = switchyard::app::start(config(dir.path(), flows))
        .await
        .expect_err("an invalid flow stops the start");
    let text = format!("{err:#}");
    assert!(
        text.contains("bonds.toml:7:1: node \"q\": unknown queue \"bonds\""),
        "{text}"
    );
}

#[tokio::test]
async fn flows_are_listed_simulated_and_reloaded_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fep = serve_fep().await;
    let flows = flows_dir(dir.path(), &fep);
    let running = switchyard::app::start(config(dir.path(), flows.clone()))
        .await
        .expect("starts");
    let base = format!("http://{}", running.http_addr);
    let admin = sign_in(
        &base,
        "admin",
        running.notes.admin_password.as_deref().expect("generated"),
    )
    .await;
    let agent_login = running
        .notes
        .demo_logins
        .iter()
        .find(|l| l.role == "agent")
        .expect("a demo agent");
    let agent = sign_in(&base, &agent_login.login, &agent_login.password).await;

    let (status, list) = call(&base, "GET", "/api/v1/flows", Some(&agent), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["name"], "brokerage");
    assert_eq!(list[0]["numbers"], json!(["8000"]));

    // (caller, digits, expected path end, expected final)
    let cases = [
        (
            "+86 138 0013 8000",
            "",
            "to_account_manager",
            "enqueue queue=vip priority=9 preferred_agent=zhang.min",
        ),
        ("+8613700137000", "2,1,123456", "hang_up", "hang up"),
        (
            "+8613700137000",
            "2,1,654321",
            "accounts",
            "enqueue queue=accounts priority=7 preferred_agent=zhao.min",
        ),
        (
            "+8613900000000",
            "1",
            "trading",
            "enqueue queue=trading priority=3 skill=equities:1",
        ),
    ];
    for (caller, digits, last, final_action) in cases {
        let (status, sim) = call(
            &base,
            "POST",
            "/api/v1/flows/brokerage/simulate",
            Some(&admin),
            Some(json!({"caller": caller, "digits": digits})),
        )
        .await;
        assert_eq!(status, 200, "{sim}");
        let path = sim["path"].as_array().expect("path");
        assert_eq!(path.last(), Some(&json!(last)), "{caller} {digits}: {sim}");
        assert_eq!(sim["final"], final_action, "{sim}");
    }
    // The balance is read from the service: 10,010.05 yuan is 一万零一十元零五分.
    let (_, sim) = call(
        &base,
        "POST",
        "/api/v1/flows/brokerage/simulate",
        Some(&admin),
        Some(json!({"caller": "+8613700137000", "digits": "2,1,123456"})),
    )
    .await;
    let prompts: Vec<&str> = sim["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let said: Vec<&str> = prompts
        .iter()
        .filter_map(|p| p.strip_prefix("say.zh."))
        .collect();
    assert_eq!(
        said,
        [
            "yi", "wan", "ling", "yi", "shi", "yuan", "ling", "wu", "fen"
        ],
        "{prompts:?}"
    );
    assert!(
        !sim.to_string().contains("123456"),
        "the PIN never shows: {sim}"
    );

    let (status, _) = call(
        &base,
        "POST",
        "/api/v1/flows/brokerage/simulate",
        Some(&agent),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &base,
        "POST",
        "/api/v1/flows/nothing/simulate",
        Some(&admin),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(
        &base,
        "POST",
        "/api/v1/flows/brokerage/simulate",
        Some(&admin),
        Some(json!({"digits": "1,x"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("digits"))
    );
    let (status, _) = call(&base, "POST", "/api/v1/flows/reload", Some(&agent), None).await;
    assert_eq!(status, 403);

    // A broken file: the reload is refused with every problem, the old flows stay.
    let bad = "[flow]\nstart = \"q\"\nnumbers = [\"8000\"]\n\n[[node]]\nid = \"q\"\ntype = \"enqueue\"\nqueue = \"bonds\"\n";
    std::fs::write(flows.join("bonds.toml"), bad).expect("write");
    let (status, body) = call(&base, "POST", "/api/v1/flows/reload", Some(&admin), None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reloaded"], false);
    assert_eq!(
        body["problems"],
        json!([
            "bonds.toml:8:1: node \"q\": unknown queue \"bonds\"",
            "brokerage.toml:17:12: number 8000 is also answered by flow \"bonds\""
        ])
    );
    let (_, list) = call(&base, "GET", "/api/v1/flows", Some(&admin), None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    // Fixed: the new set is in force.
    std::fs::write(
        flows.join("bonds.toml"),
        bad.replace("bonds\"\n", "wealth\"\n")
            .replace("8000", "8001"),
    )
    .expect("write");
    let (status, body) = call(&base, "POST", "/api/v1/flows/reload", Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["bonds", "brokerage"]);
    running.stop().await.expect("stops");
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_flows_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = flows_dir(dir.path(), "http://127.0.0.1:9/fep");
    let running = switchyard::app::start(config(dir.path(), flows.clone()))
        .await
        .expect("starts");
    let mut reloaded = running.flows.subscribe();
    let extra = "[flow]\nstart = \"q\"\nnumbers = [\"8001\"]\n\n[[node]]\nid = \"q\"\ntype = \"enqueue\"\nqueue = \"wealth\"\n";
    std::fs::write(flows.join("wealth.toml"), extra).expect("write");
    let sent = Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    // Another test's server may reload too; wait until this one has the new flow.
    let wealth = switchyard::domain::FlowName::parse("wealth").expect("name");
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while running.flows.flow(&wealth).is_none() {
            reloaded.changed().await.expect("the library lives");
        }
    })
    .await
    .expect("SIGHUP reloads within 20 s");
    assert!(running.flows.current().for_number("8001").is_some());
    running.stop().await.expect("stops");
}

fn switchyard(data: &Path, args: &[&str], path_env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("SWITCHYARD_CONFIG");
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    cmd.output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn flows_check_reports_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = root().join("ivr_flows");
    let o = switchyard(
        dir.path(),
        &["flows", "check", shipped.to_str().expect("utf-8")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 flow(s) valid: brokerage"),
        "{}",
        text(&o)
    );

    let broken = root().join("tests/fixtures/broken_flows");
    let o = switchyard(
        dir.path(),
        &["flows", "check", broken.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    for line in [
        "unknown_node.toml:20:1: node \"menu_main\": on_timeout refers to unknown node \"nowhere\"",
        "unreachable.toml:22:1: node \"orphan\": unreachable from the start node",
        "unknown_queue.toml:11:1: node \"to_bonds\": unknown queue \"bonds\"",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
}

#[test]
fn flows_simulate_runs_on_a_fresh_data_dir_against_the_demo_customers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = root().join("ivr_flows");
    let cases = [
        (
            "+8613900000000",
            "1",
            "final:   enqueue queue=trading priority=3 skill=equities:1",
        ),
        (
            "+8613800138000",
            "",
            "final:   enqueue queue=vip priority=9 preferred_agent=zhang.min",
        ),
        (
            "+8613900000000",
            "-,-,-",
            "final:   enqueue queue=general priority=3",
        ),
    ];
    for (caller, digits, expected) in cases {
        let o = switchyard(
            &dir.path().join("data"),
            &[
                "flows",
                "simulate",
                "brokerage",
                "--caller",
                caller,
                "--digits",
                digits,
                "--flows-dir",
                flows.to_str().expect("utf-8"),
            ],
            None,
        );
        let out = text(&o);
        assert!(o.status.success(), "{out}");
        assert!(
            out.contains("path:    welcome -> identify -> hours"),
            "{out}"
        );
        assert!(out.contains(expected), "{caller} {digits}: {out}");
    }
}

#[test]
fn prompts_render_says_clearly_when_espeak_ng_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("mkdir");
    let flow = "[flow]\nstart = \"p\"\nlanguages = [\"en\"]\n\n[prompts]\nhi = { en = \"Hello\" }\n\n[[node]]\nid = \"p\"\ntype = \"play\"\nprompts = \"hi\"\nnext = \"h\"\n\n[[node]]\nid = \"h\"\ntype = \"hangup\"\n";
    std::fs::write(flows.join("p.toml"), flow).expect("write");
    let empty_path = dir.path().join("no-tools");
    std::fs::create_dir_all(&empty_path).expect("mkdir");
    let o = switchyard(
        &dir.path().join("data"),
        &["prompts", "render", flows.to_str().expect("utf-8")],
        Some(empty_path.to_str().expect("utf-8")),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("espeak-ng is not installed"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("hi.en.wav"), "{}", text(&o));
}

#[test]
fn prompts_render_makes_8khz_mono_16_bit_wavs_with_espeak_ng() {
    if !have("espeak-ng") || !have("sox") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("mkdir");
    let flow = "[flow]\nstart = \"p\"\nlanguages = [\"zh\", \"en\"]\n\n[prompts]\nhi = { zh = \"您好\", en = \"Hello\" }\n\n[[node]]\nid = \"p\"\ntype = \"play\"\nprompts = \"hi\"\nnext = \"h\"\n\n[[node]]\nid = \"h\"\ntype = \"hangup\"\n";
    std::fs::write(flows.join("p.toml"), flow).expect("write");
    let o = switchyard(
        &dir.path().join("data"),
        &["prompts", "render", flows.to_str().expect("utf-8")],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    for file in ["hi.zh.wav", "hi.en.wav"] {
        let bytes = std::fs::read(flows.join("prompts").join(file)).expect("rendered");
        assert_eq!(wav_format(&bytes), Some((1, 8000, 16)), "{file}");
        assert!(bytes.len() > 44 + 1600, "{file} holds some speech");
    }
    let again = switchyard(
        &dir.path().join("data"),
        &["prompts", "render", flows.to_str().expect("utf-8")],
        None,
    );
    assert!(
        text(&again).contains("all 2 prompt file(s)"),
        "{}",
        text(&again)
    );
}

/// Whether a tool is on the PATH; under CI its absence is a failure, elsewhere a skip.
fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// (channels, sample rate, bits per sample) of a RIFF WAVE file's `fmt ` chunk.
fn wav_format(bytes: &[u8]) -> Option<(u16, u32, u16)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = bytes.get(at..at + 4)?;
        let size = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        if id == b"fmt " {
            let f = bytes.get(at + 8..at + 8 + 16)?;
            let channels = u16::from_le_bytes([f[2], f[3]]);
            let rate = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            let bits = u16::from_le_bytes([f[14], f[15]]);
            return Some((channels, rate, bits));
        }
        at += 8 + size + (size % 2);
    }
    None
}

#[test]
fn every_shipped_prompt_is_an_8khz_mono_16_bit_wav() {
    let dir = root().join("ivr_flows/prompts");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("ivr_flows/prompts exists") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(
            wav_format(&bytes),
            Some((1, 8000, 16)),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 100, "{count} prompt files");
}

#[test]
fn a_site_schedule_in_the_configuration_closes_the_demo_line_after_hours() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = root().join("ivr_flows");
    let conf = dir.path().join("switchyard.toml");
    std::fs::write(
        &conf,
        "[site]\ntime_zone = \"Asia/Shanghai\"\n\n[site.schedules.brokerage_hours]\n\
         weekly = [{ days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], open = \"09:00\", close = \"17:00\" }]\n",
    )
    .expect("config written");
    let run = |at: &str| {
        let o = switchyard(
            &dir.path().join("data"),
            &[
                "--config",
                conf.to_str().expect("utf-8"),
                "flows",
                "simulate",
                "brokerage",
                "--caller",
                "+8613900000000",
                "--digits",
                "1",
                "--at",
                at,
                "--flows-dir",
                flows.to_str().expect("utf-8"),
            ],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    // Monday 2026-11-23, 21:00 in Shanghai: closed, the caller books a call-back.
    let night = run("2026-11-23T21:00:00+08:00");
    assert!(night.contains("hours -> after_hours"), "{night}");
    assert!(night.contains("callback"), "{night}");
    // The same Monday at 10:00: open, 1 is trading support.
    let day = run("2026-11-23T10:00:00+08:00");
    assert!(!day.contains("after_hours"), "{day}");
    assert!(day.contains("queue=trading"), "{day}");
}
