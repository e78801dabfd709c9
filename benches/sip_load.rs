//! SIP load benchmark: SIPp (Debian `sip-tester`) drives OPTIONS and REGISTER-with-digest
//! (REGISTER, 401, REGISTER with MD5 credentials, 200) at the Switchyard SIP service over UDP
//! loopback, in this process, while SIPp shares the machine's cores. A bare UDP responder that
//! answers by rewriting the request line (no parsing, no digest check) runs the same load as a
//! baseline in the same run.
//!
//! Run: `cargo bench --bench sip_load` (release). Environment: `SIP_LOAD_CALLS` (per SIPp
//! process, default 20000), `SIP_LOAD_PROCS` (SIPp processes in parallel, default 4; one SIPp
//! tops out near 1,200 calls/s), `SIP_LOAD_RATE` (calls/s per process, default 2000).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use switchyard::config::Config;
use switchyard::domain::{StationName, Timestamp};
use switchyard::interaction_log::Actor;
use switchyard::stations::{NewStation, add_station};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Load {
    calls: u64,
    procs: u64,
    rate: u64,
}

struct Result {
    ok: u64,
    failed: u64,
    seconds: f64,
}

fn last_stat(file: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return (0, 0);
    };
    let Some(last) = lines.next_back() else {
        return (0, 0);
    };
    let cols: Vec<&str> = header.split(';').collect();
    let vals: Vec<&str> = last.split(';').collect();
    let get = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .and_then(|i| vals.get(i))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (get("SuccessfulCall(C)"), get("FailedCall(C)"))
}

/// Runs `procs` SIPp processes of `scenario` against `server` and sums their outcome.
fn sipp(server: SocketAddr, scenario: &str, load: &Load, work: &Path) -> Result {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/sipp");
    let start = Instant::now();
    let children: Vec<_> = (0..load.procs)
        .map(|i| {
            let stat = work.join(format!("{scenario}-{i}.csv"));
            let child = Command::new("sipp")
                .arg(server.to_string())
                .arg("-sf")
                .arg(dir.join(format!("{scenario}.xml")))
                .arg("-inf")
                .arg(dir.join("users.csv"))
                .args(["-i", "127.0.0.1", "-nostdin", "-timeout", "300s"])
                .args(["-r", &load.rate.to_string(), "-m", &load.calls.to_string()])
                .args(["-l", "20000", "-trace_stat", "-fd", "1", "-stf"])
                .arg(&stat)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("sipp starts");
            (child, stat)
        })
        .collect();
    let mut ok = 0;
    let mut failed = 0;
    for (mut child, stat) in children {
        let _ = child.wait();
        let (o, f) = last_stat(&stat);
        ok += o;
        failed += f;
    }
    Result {
        ok,
        failed,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The baseline: answers OPTIONS with 200 and REGISTER with 401 (CSeq 1) or 200 (CSeq 2) by
/// rewriting the request line of the received bytes; no parsing, no digest.
fn bare_responder() -> SocketAddr {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = sock.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        let challenge = "WWW-Authenticate: Digest realm=\"switchyard\", nonce=\"0123456789abcdef0123456789abcdef0123456789ab\", algorithm=MD5, qop=\"auth\"\r\n";
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]);
            let Some((_, rest)) = text.split_once("\r\n") else {
                continue;
            };
            let first = text.contains("CSeq: 1 REGISTER");
            let answer = if first {
                format!("SIP/2.0 401 Unauthorized\r\n{challenge}{rest}")
            } else {
                format!("SIP/2.0 200 OK\r\n{rest}")
            };
            let _ = sock.send_to(answer.as_bytes(), from);
        }
    });
    addr
}

fn report(what: &str, r: &Result, transactions_per_call: u64) {
    let calls = r.ok as f64 / r.seconds;
    println!(
        "{what:<44} {:>8} ok {:>4} failed {:>7.1} s {:>9.0} calls/s {:>9.0} transactions/s",
        r.ok,
        r.failed,
        r.seconds,
        calls,
        calls * transactions_per_call as f64
    );
}

async fn seeded(dir: &Path) -> Config {
    let mut c = Config::parse(
        "[demo]\nenabled = false\n[http]\nlisten = \"127.0.0.1:0\"\n[sip]\nlisten = \"127.0.0.1:0\"\n[log]\nfilter = \"warn\"\n",
        &HashMap::new(),
    )
    .expect("config");
    c.paths.data_dir = dir.join("data");
    c.paths.recordings_dir = dir.join("recordings");
    let (db, log, writer) = switchyard::app::open_store(&c).await.expect("store");
    let new = NewStation {
        name: StationName::parse("bench").expect("valid"),
        agent: None,
        password: "bench-sip-password".into(),
    };
    add_station(&db, &log, new, &c.sip.realm, Actor::Cli, Timestamp::now())
        .await
        .expect("station");
    drop(log);
    writer.await.expect("writer");
    db.close().await;
    c
}

fn main() {
    if Command::new("sipp").arg("-v").output().is_err() {
        println!("skipping: sipp is not installed (apt-get install sip-tester)");
        return;
    }
    let load = Load {
        calls: env_or("SIP_LOAD_CALLS", 20_000),
        procs: env_or("SIP_LOAD_PROCS", 4),
        rate: env_or("SIP_LOAD_RATE", 2_000),
    };
    let work = tempfile::tempdir().expect("temp dir");
    println!(
        "SIPp: {} processes x {} calls at up to {} calls/s each, UDP loopback",
        load.procs, load.calls, load.rate
    );
    let bare = bare_responder();
    report(
        "baseline bare responder, OPTIONS",
        &sipp(bare, "options", &load, work.path()),
        1,
    );
    report(
        "baseline bare responder, REGISTER+401+REGISTER",
        &sipp(bare, "register", &load, work.path()),
        2,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let running = rt.block_on(async {
        let c = seeded(work.path()).await;
        switchyard::app::start(c).await.expect("starts")
    });
    let server = running.sip_udp;
    report(
        "switchyard, OPTIONS",
        &sipp(server, "options", &load, work.path()),
        1,
    );
    report(
        "switchyard, REGISTER+401+REGISTER (digest)",
        &sipp(server, "register", &load, work.path()),
        2,
    );
    rt.block_on(running.stop()).expect("stops");
}
