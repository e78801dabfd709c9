//! The `http` node's data dip: one plain-HTTP `POST` of the node's variables as a JSON object
//! to the configured URL (the brokerage's front-end processor), with a timeout, answered by a
//! JSON object whose fields become [`HttpOutcome::Ok`] (nested objects flattened with `.`).
//!
//! A driver: it opens sockets (hyper's client) and must hold no call state; the interpreter
//! decides what the answer means. Secret values (a PIN) go only into the request body and are
//! never logged here. Plain `http://` only: the FEP sits on the brokerage's internal network.

use std::collections::BTreeMap;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::interpreter::HttpOutcome;
use super::value::{Value, VarName};

/// Largest response body read (a balance answer is a few hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Why a data dip failed (logged by the caller; the flow only sees failed or timed out).
#[derive(Debug, thiserror::Error)]
pub enum DataDipError {
    /// The URL is not a plain `http://` URL.
    #[error("{url:?} is not a plain http:// URL")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// The request could not be sent or the answer not received.
    #[error("request to {url} failed: {source}")]
    Request {
        /// The URL.
        url: String,
        /// Why.
        source: hyper_util::client::legacy::Error,
    },
    /// The body could not be read.
    #[error("reading the answer of {url} failed: {source}")]
    Body {
        /// The URL.
        url: String,
        /// Why.
        source: hyper::Error,
    },
    /// The service answered with an error status.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The answer is not a JSON object (or is too large).
    #[error("{url} answered something other than a JSON object of at most {MAX_BODY} bytes")]
    NotAnObject {
        /// The URL.
        url: String,
    },
    /// No answer in time.
    #[error("{url} did not answer within {timeout:?}")]
    TimedOut {
        /// The URL.
        url: String,
        /// The limit.
        timeout: Duration,
    },
}

impl DataDipError {
    /// What the flow sees: a timeout or a failure.
    #[must_use]
    pub fn outcome(&self) -> HttpOutcome {
        match self {
            DataDipError::TimedOut { .. } => HttpOutcome::TimedOut,
            _ => HttpOutcome::Failed,
        }
    }
}

/// The request body: every parameter as a JSON string (secrets exposed: only the request sees
/// them).
#[must_use]
pub fn request_body(params: &[(VarName, Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in params {
        let text = match value {
            Value::Secret(s) => s.expose().to_owned(),
            other => other.to_string(),
        };
        map.insert(name.as_str().to_owned(), serde_json::Value::String(text));
    }
    serde_json::Value::Object(map)
}

/// The fields of a JSON object answer as text: strings as they are, numbers and booleans
/// written out, nested objects as `outer.inner`; nulls and arrays are left out.
#[must_use]
pub fn flatten(answer: &serde_json::Value) -> Option<BTreeMap<String, String>> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Object(m) => {
                for (k, inner) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, inner, out);
                }
                return;
            }
            serde_json::Value::Null | serde_json::Value::Array(_) => return,
        };
        out.insert(prefix.to_owned(), text);
    }
    let mut out = BTreeMap::new();
    match answer {
        serde_json::Value::Object(_) => walk("", answer, &mut out),
        _ => return None,
    }
    Some(out)
}

/// Posts `params` to `url` and reads the answer's fields, all within `timeout`.
pub async fn fetch(
    url: &str,
    params: &[(VarName, Value)],
    timeout: Duration,
) -> Result<BTreeMap<String, String>, DataDipError> {
    match tokio::time::timeout(timeout, exchange(url, params)).await {
        Ok(result) => result,
        Err(_) => Err(DataDipError::TimedOut {
            url: url.to_owned(),
            timeout,
        }),
    }
}

/// What the flow sees of [`fetch`].
pub async fn dip(url: &str, params: &[(VarName, Value)], timeout: Duration) -> HttpOutcome {
    match fetch(url, params, timeout).await {
        Ok(fields) => HttpOutcome::Ok(fields),
        Err(e) => {
            tracing::warn!(error = %e, "data dip failed");
            e.outcome()
        }
    }
}

async fn exchange(
    url: &str,
    params: &[(VarName, Value)],
) -> Result<BTreeMap<String, String>, DataDipError> {
    let bad_url = || DataDipError::BadUrl {
        url: url.to_owned(),
    };
    let uri: hyper::Uri = url.parse().map_err(|_| bad_url())?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(bad_url());
    }
    let body = request_body(params).to_string();
    let request = hyper::Request::post(uri)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|_| bad_url())?;
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(request)
        .await
        .map_err(|source| DataDipError::Request {
            url: url.to_owned(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(DataDipError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let limited = http_body_util::Limited::new(response.into_body(), MAX_BODY);
    let not_object = || DataDipError::NotAnObject {
        url: url.to_owned(),
    };
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => match e.downcast::<hyper::Error>() {
            Ok(source) => {
                return Err(DataDipError::Body {
                    url: url.to_owned(),
                    source: *source,
                });
            }
            Err(_) => return Err(not_object()),
        },
    };
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| not_object())?;
    flatten(&json).ok_or_else(not_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivr::value::SecretDigits;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn check_flatten(json: &str, expected: Option<&[(&str, &str)]>) {
        let v: serde_json::Value = serde_json::from_str(json).expect("test JSON");
        let want = expected.map(|e| {
            e.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        });
        assert_eq!(flatten(&v), want, "{json}");
    }

    #[test]
    fn answers_flatten_to_text_fields() {
        check_flatten(
            r#"{"available_balance": "12345.67", "n": 3, "ok": true}"#,
            Some(&[
                ("available_balance", "12345.67"),
                ("n", "3"),
                ("ok", "true"),
            ]),
        );
        check_flatten(
            r#"{"account": {"cash": 1.5, "tags": [1], "none": null}}"#,
            Some(&[("account.cash", "1.5")]),
        );
        check_flatten("[1, 2]", None);
        check_flatten("\"text\"", None);
    }

    #[test]
    fn the_request_carries_secrets_in_its_body_only() {
        let pin = VarName::parse("pin").expect("name");
        let id = VarName::parse("customer.id").expect("name");
        let params = vec![
            (id, Value::Text("c-1".into())),
            (pin, Value::Secret(SecretDigits::new("123456".into()))),
        ];
        assert_eq!(
            request_body(&params).to_string(),
            r#"{"customer.id":"c-1","pin":"123456"}"#
        );
        assert!(!format!("{params:?}").contains("123456"));
    }

    /// Serves one connection: reads the request, then writes `answer` (a raw HTTP response),
    /// or with `None` never answers and waits until the client gives up. Returns the URL and
    /// the request received.
    async fn serve_once(answer: Option<&'static str>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !String::from_utf8_lossy(&got).contains('}') {
                let n = sock.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            match answer {
                Some(a) => {
                    let _ = sock.write_all(a.as_bytes()).await;
                }
                None => {
                    // Silent: the client's timeout closes the connection.
                    let _ = sock.read(&mut buf).await;
                }
            }
            String::from_utf8_lossy(&got).into_owned()
        });
        (format!("http://{addr}/fep/balance"), task)
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 35\r\nConnection: close\r\n\r\n{\"available_balance\": \"12345.67\"}\r\n";

    #[tokio::test]
    async fn a_real_server_answers_fields_errors_and_timeouts() {
        let pin = VarName::parse("pin").expect("name");
        let params = vec![(pin, Value::Secret(SecretDigits::new("654321".into())))];
        let (url, server) = serve_once(Some(OK)).await;
        let got = dip(&url, &params, Duration::from_secs(5)).await;
        let request = server.await.expect("server task");
        assert!(
            request.starts_with("POST /fep/balance HTTP/1.1"),
            "{request}"
        );
        assert!(request.contains(r#"{"pin":"654321"}"#), "{request}");
        let mut fields = BTreeMap::new();
        fields.insert("available_balance".to_owned(), "12345.67".to_owned());
        assert_eq!(got, HttpOutcome::Ok(fields));

        let (url, _server) = serve_once(Some(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        ))
        .await;
        assert_eq!(
            dip(&url, &params, Duration::from_secs(5)).await,
            HttpOutcome::Failed
        );

        let (url, _server) = serve_once(None).await;
        assert_eq!(
            dip(&url, &params, Duration::from_millis(100)).await,
            HttpOutcome::TimedOut
        );

        assert_eq!(
            dip("https://fep/balance", &params, Duration::from_secs(1)).await,
            HttpOutcome::Failed
        );
    }
}
