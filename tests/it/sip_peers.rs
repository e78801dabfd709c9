//! Stations against the running server: bindings stored and reloaded at start-up (expired ones
//! dropped), real phones (PJSUA2 from PyPI, baresip from Debian) registering with digest
//! authentication, `sipvicious` `svwar` unable to tell stations from non-stations, and a
//! password guesser on 127.0.0.2 slowed while phones keep registering. A missing peer is a
//! skip with a message, and a failure under `CI=true`. Every peer runs under a timeout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use switchyard::domain::{StationName, Timestamp};
use switchyard::store::stations::BindingRecord;
use switchyard::store::{Mutation, WriteItem};

use super::sip_client::{Phone, config, contacts, seed_stations};

const ALICE: (&str, &str) = ("alice", "alice-sip-secret");
const BOB: (&str, &str) = ("bob", "bob-sip-secret-2");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a peer program is usable; under CI its absence is a failure, elsewhere a skip.
fn have(what: &str, found: bool) -> bool {
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{what} is required under CI=true (.ci/run installs it)"
        );
        eprintln!("skipping: {what} is not installed (run .ci/run to install it)");
    }
    found
}

fn python() -> PathBuf {
    root().join(".ci/venv/bin/python")
}

fn have_pjsua() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import pjsua2"])
        .output()
        .is_ok_and(|o| o.status.success());
    have("PJSUA2 (.ci/venv)", ok)
}

/// Runs a program with a hard timeout, returning its combined output.
async fn run(program: &Path, args: Vec<String>, seconds: u64) -> String {
    let program = program.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .arg(seconds.to_string())
            .arg(program)
            .args(args)
            .output()
    })
    .await
    .expect("join")
    .expect("the peer runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn pjsua(port: u16, user: &str, password: &str, transport: &str, steps: &str) -> String {
    let script = root().join("tests/peers/pjsua_register.py");
    let args = [
        script.display().to_string(),
        port.to_string(),
        free_port().to_string(),
        user.into(),
        password.into(),
        transport.into(),
        steps.into(),
    ];
    run(&python(), args.to_vec(), 60).await
}

#[tokio::test]
async fn bindings_are_stored_and_reloaded_with_expired_ones_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = config(dir.path());
    seed_stations(&c, &[ALICE]).await;
    let running = switchyard::app::start(c.clone()).await.expect("starts");
    let mut phone = Phone::bind("127.0.0.1:0", running.sip_udp, ALICE.0).await;
    let contact = "Contact: <sip:alice@127.0.0.1:5999>, <sip:alice@10.1.1.1>;expires=120\r\n";
    let ok = phone
        .register(ALICE.1, contact, Duration::from_secs(5))
        .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let alice = StationName::parse(ALICE.0).expect("valid");
    let mut stored = Vec::new();
    for _ in 0..50 {
        stored = running
            .db
            .station_bindings(Timestamp::now())
            .await
            .expect("read");
        if stored.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stored.len(),
        2,
        "both contacts are stored within the flush interval"
    );
    running.stop().await.expect("stops");
    // An already-lapsed binding in the store must not come back.
    let (db, log, writer) = switchyard::app::open_store(&c).await.expect("store");
    let mut with_expired: Vec<BindingRecord> = stored.into_iter().map(|(_, b)| b).collect();
    with_expired.push(BindingRecord {
        contact: "sip:alice@192.0.2.9".into(),
        expires_at: Timestamp::from_millis(Timestamp::now().as_millis() - 1000),
        call_id: "old".into(),
        cseq: 1,
        source: "192.0.2.9:5060".into(),
    });
    let item = WriteItem {
        events: Vec::new(),
        mutations: vec![Mutation::PutBindings {
            station: alice,
            bindings: with_expired,
        }],
    };
    log.commit(item).await.expect("stored");
    drop(log);
    writer.await.expect("writer");
    db.close().await;
    let running = switchyard::app::start(c).await.expect("restarts");
    let mut phone = Phone::bind("127.0.0.1:0", running.sip_udp, ALICE.0).await;
    let query = phone.register(ALICE.1, "", Duration::from_secs(5)).await;
    assert_eq!(query.status, 200);
    let mut got = contacts(&query.response);
    got.sort();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("<sip:alice@10.1.1.1>;expires=1"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("<sip:alice@127.0.0.1:5999>;expires=3"),
        "{got:?}"
    );
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn pjsua2_registers_reregisters_and_unregisters_with_sha256_over_udp_and_tcp() {
    if !have_pjsua() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = config(dir.path());
    c.sip.digest_algorithms = vec!["SHA-256".into(), "MD5".into()];
    seed_stations(&c, &[ALICE]).await;
    let running = switchyard::app::start(c).await.expect("starts");
    let port = running.sip_udp.port();
    for transport in ["udp", "tcp"] {
        let out = pjsua(
            port,
            ALICE.0,
            ALICE.1,
            transport,
            "register,reregister,unregister",
        )
        .await;
        for step in ["register", "reregister", "unregister"] {
            assert!(
                out.contains(&format!("STEP {step} 200")),
                "{transport} {step}:\n{out}"
            );
        }
    }
    let out = pjsua(port, ALICE.0, "a-wrong-password", "udp", "register").await;
    assert!(out.contains("STEP register 401"), "{out}");
    let out = pjsua(port, "nobody", "a-wrong-password", "udp", "register").await;
    assert!(
        out.contains("STEP register 401"),
        "unknown users look the same:\n{out}"
    );
    running.stop().await.expect("stops");
}

fn baresip_config(dir: &Path, server_port: u16, user: &str, password: &str) {
    std::fs::create_dir_all(dir).expect("dir");
    let config = format!(
        "poll_method epoll\nsip_listen 127.0.0.1:{}\nnet_interface 127.0.0.1\n\
         audio_player none\naudio_source none\naudio_alert none\n\
         module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule_app account.so\n",
        free_port()
    );
    std::fs::write(dir.join("config"), config).expect("config");
    let account = format!("<sip:{user}@127.0.0.1:{server_port}>;auth_pass={password};regint=300\n");
    std::fs::write(dir.join("accounts"), account).expect("accounts");
}

#[tokio::test]
async fn baresip_registers_and_a_wrong_password_is_refused() {
    let baresip = Path::new("/usr/bin/baresip");
    if !have("baresip", baresip.exists()) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let c = config(dir.path());
    seed_stations(&c, &[ALICE]).await;
    let running = switchyard::app::start(c).await.expect("starts");
    let port = running.sip_udp.port();
    let good = dir.path().join("baresip-good");
    baresip_config(&good, port, ALICE.0, ALICE.1);
    let args = vec![
        "-f".into(),
        good.display().to_string(),
        "-t".into(),
        "3".into(),
    ];
    let out = run(baresip, args, 20).await;
    assert!(out.contains("200 OK") && out.contains("1 binding"), "{out}");
    let bad = dir.path().join("baresip-bad");
    baresip_config(&bad, port, ALICE.0, "not-the-password");
    let args = vec![
        "-f".into(),
        bad.display().to_string(),
        "-t".into(),
        "3".into(),
    ];
    let out = run(baresip, args, 20).await;
    // libre answers every fresh challenge with the same wrong password, so after five failures
    // the throttle turns its 401s into a held-back 403: either way it is refused.
    assert!(
        (out.contains("401 Unauthorized") || out.contains("403 Forbidden"))
            && !out.contains("binding]"),
        "{out}"
    );
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn svwar_cannot_tell_stations_from_unknown_users() {
    let svwar = root().join(".ci/venv/bin/sipvicious_svwar");
    if !have("sipvicious (.ci/venv)", svwar.exists()) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let c = config(dir.path());
    seed_stations(&c, &[("1001", "password-1001"), ("1003", "password-1003")]).await;
    let running = switchyard::app::start(c).await.expect("starts");
    let port = running.sip_udp.port().to_string();
    for method in ["REGISTER", "INVITE", "OPTIONS"] {
        let args = [
            "--force",
            "-e",
            "1000-1005",
            "-m",
            method,
            "-b",
            "127.0.0.1",
            "-P",
            &free_port().to_string(),
            "-p",
            &port,
            "127.0.0.1",
        ];
        let out = run(&svwar, args.iter().map(|a| (*a).to_owned()).collect(), 60).await;
        assert!(
            !out.contains("1001") && !out.contains("1003"),
            "{method}: svwar singled out a real station:\n{out}"
        );
        assert!(out.contains("found nothing"), "{method}:\n{out}");
    }
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_guesser_on_127_0_0_2_is_slowed_while_phones_keep_registering() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = config(dir.path());
    seed_stations(&c, &[ALICE, BOB]).await;
    let running = switchyard::app::start(c).await.expect("starts");
    let server = running.sip_udp;
    let mut guesser = Phone::bind("127.0.0.2:0", server, ALICE.0).await;
    for i in 0..5 {
        let o = guesser
            .register(&format!("guess-{i}"), "", Duration::from_secs(5))
            .await;
        assert_eq!(o.status, 401, "guess {i} is simply refused");
    }
    let slowed = guesser
        .register("guess-5", "", Duration::from_secs(10))
        .await;
    assert_eq!(slowed.status, 403);
    assert!(slowed.elapsed >= Duration::from_millis(900), "{slowed:?}");
    // A phone on 127.0.0.1 registers alice at once; bob behind the guesser's address too.
    let mut phone = Phone::bind("127.0.0.1:0", server, ALICE.0).await;
    let contact = "Contact: <sip:alice@127.0.0.1:5998>\r\n";
    let ok = phone
        .register(ALICE.1, contact, Duration::from_secs(5))
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.elapsed < Duration::from_millis(500), "{ok:?}");
    let mut neighbour = Phone::bind("127.0.0.2:0", server, BOB.0).await;
    let ok = neighbour
        .register(
            BOB.1,
            "Contact: <sip:bob@127.0.0.2:5997>\r\n",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.elapsed < Duration::from_millis(500), "{ok:?}");
    if have_pjsua() {
        let out = pjsua(
            server.port(),
            ALICE.0,
            ALICE.1,
            "udp",
            "register,unregister",
        )
        .await;
        assert!(out.contains("STEP register 200"), "{out}");
    }
    running.stop().await.expect("stops");
}
