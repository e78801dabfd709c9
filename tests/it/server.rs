//! The platform as a process serves it: a real listener on port 0, HTTPS with a configured
//! certificate, Prometheus metrics, and the source address seen through a trusted proxy.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use switchyard::config::{Config, TlsFiles};

/// Whether a tool is on the PATH; under CI its absence is a failure, elsewhere a skip.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
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

fn config(dir: &Path) -> Config {
    let mut c = Config::parse(
        "[demo]\nenabled = false\n[http]\nlisten = \"127.0.0.1:0\"\n[sip]\nlisten = \"127.0.0.1:0\"\n",
        &HashMap::new(),
    )
    .expect("config");
    c.paths.data_dir = dir.join("data");
    c.paths.recordings_dir = dir.join("recordings");
    // No demo queues: the shipped flows would not validate, so serve no flows.
    c.paths.flows_dir = dir.join("flows");
    std::fs::create_dir_all(&c.paths.flows_dir).expect("an empty flows directory");
    c
}

async fn curl(args: Vec<String>) -> (bool, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "10"])
            .args(&args)
            .output()
    })
    .await
    .expect("join")
    .expect("curl runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn serves_health_and_prometheus_metrics_on_a_real_port() {
    if !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let running = switchyard::app::start(config(dir.path()))
        .await
        .expect("starts");
    let base = format!("http://{}", running.http_addr);
    let (ok, body) = curl(vec![format!("{base}/api/v1/health")]).await;
    assert!(ok && body.contains("\"status\":\"ok\""), "{body}");
    let (ok, body) = curl(vec![format!("{base}/metrics")]).await;
    assert!(ok, "{body}");
    assert!(body.contains("switchyard_http_requests_total"), "{body}");
    assert!(
        body.contains("route=\"/api/v1/health\""),
        "labels are route templates: {body}"
    );
    assert!(
        body.contains("switchyard_log_events_committed_total"),
        "{body}"
    );
    running.stop().await.expect("stops cleanly");
}

#[tokio::test]
async fn serves_https_when_a_certificate_is_configured() {
    if !have("curl") || !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut c = config(dir.path());
    c.http.tls = Some(TlsFiles {
        cert: cert.clone(),
        key: key.clone(),
    });
    let running = switchyard::app::start(c).await.expect("starts with TLS");
    assert_eq!(running.scheme, "https");
    let url = format!("https://{}/api/v1/health", running.http_addr);
    let (ok, body) = curl(vec![
        "--cacert".into(),
        cert.display().to_string(),
        url.clone(),
    ])
    .await;
    assert!(ok && body.contains("\"status\":\"ok\""), "{body}");
    let (ok, _) = curl(vec![format!("http://{}/api/v1/health", running.http_addr)]).await;
    assert!(!ok, "plain HTTP is not served on the TLS port");
    running.stop().await.expect("stops cleanly");
    // A key that does not parse is a clear start-up error naming the file.
    std::fs::write(&key, "not a key").expect("write");
    let mut c = config(dir.path());
    c.http.tls = Some(TlsFiles { cert, key });
    let err = switchyard::app::start(c)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(
        err.contains("private key") && err.contains("key.pem"),
        "{err}"
    );
}
