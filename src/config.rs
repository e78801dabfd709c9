//! The process configuration: an optional `switchyard.toml` plus `SWITCHYARD_*` environment
//! overrides, read once into typed structs. Every problem is reported together, each with its
//! key path, so an operator fixes a file in one go.
//!
//! Process settings live here (listeners, paths, the site's time zone and calendar). Business
//! objects (queues, skills, tier rules) live in the store; `[[seed.queues]]` only seeds an
//! empty one. Pure apart from `Config::load`, which reads the file and the environment.

mod reader;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::{Channel, DialPlan, Proficiency, QueueName, SkillName, TeamName};

use reader::Reader;

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The HTTP API and console listener.
    pub http: HttpConfig,
    /// The SIP listener.
    pub sip: SipConfig,
    /// Where files live.
    pub paths: Paths,
    /// The database URL; `None` means the SQLite file `switchyard.db` in the data directory.
    pub store_url: Option<String>,
    /// The site: time zone, dialling plan, holidays.
    pub site: Site,
    /// Log output.
    pub log: LogConfig,
    /// Sign-in sessions and throttling.
    pub auth: AuthConfig,
    /// Whether to seed the demo brokerage into a store without queues.
    pub demo: bool,
    /// Queues to seed into an empty store (instead of, or besides, the demo data).
    pub seed_queues: Vec<SeedQueue>,
}

/// The HTTP listener.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Address and port (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// HTTPS certificate and key (PEM), when configured.
    pub tls: Option<TlsFiles>,
    /// Proxies whose `X-Forwarded-For` is believed (for throttling and audit by source address).
    pub trusted_proxies: Vec<IpAddr>,
}

/// A certificate chain and its private key, PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// The SIP listener.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// Address and port for UDP and TCP (default `127.0.0.1:5060`).
    pub listen: SocketAddr,
    /// Address and port for SIP over TLS (default `127.0.0.1:5061`), used when `tls` is set.
    pub tls_listen: SocketAddr,
    /// SIP over TLS certificate and key (PEM), when configured.
    pub tls: Option<TlsFiles>,
    /// The digest realm stations authenticate in (default `switchyard`). Station passwords are
    /// stored as HA1 for this realm: changing it means setting every station's password again.
    pub realm: String,
    /// Digest algorithms offered to phones, in order of preference (default `["MD5"]`: baresip
    /// 1.0 gives up on any 401 that offers SHA-256; `["SHA-256", "MD5"]` suits PJSIP phones).
    pub digest_algorithms: Vec<String>,
}

/// Where files live.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data directory (default `./data`).
    pub data_dir: PathBuf,
    /// The recordings directory (default `./recordings`).
    pub recordings_dir: PathBuf,
    /// The IVR flows directory (default `./ivr_flows`).
    pub flows_dir: PathBuf,
}

/// The site's local conventions.
#[derive(Debug, Clone)]
pub struct Site {
    /// IANA time zone name (default `Asia/Shanghai`), used for "today" and business hours.
    pub time_zone: jiff::tz::TimeZone,
    /// The zone's name as configured.
    pub time_zone_name: String,
    /// How to read phone numbers written without a country code.
    pub dial_plan: DialPlan,
    /// Public holidays of the business calendar.
    pub holidays: Vec<jiff::civil::Date>,
    /// Named business-hours schedules (`[site.schedules.NAME]`); each replaces a flow's
    /// schedule of the same name.
    pub schedules: Vec<SiteSchedule>,
}

/// A named schedule of the site's business calendar, in the site's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSchedule {
    /// Its name (letters, digits, `_`, `-`).
    pub name: String,
    /// Never closes (weekly spans are ignored).
    pub always_open: bool,
    /// Weekly opening spans: days (`mon` ... `sun`), opening and closing time.
    pub weekly: Vec<WeeklySpan>,
    /// Extra dates closed all day (besides `site.holidays`).
    pub holidays: Vec<jiff::civil::Date>,
}

/// One weekly opening span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySpan {
    /// Day names, `mon` to `sun`.
    pub days: Vec<String>,
    /// Opening time.
    pub open: jiff::civil::Time,
    /// Closing time (a span whose close is not after its open runs past midnight).
    pub close: jiff::civil::Time,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (default).
    Human,
    /// One JSON object per line.
    Json,
}

/// Log settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// A `tracing` filter (default `info`); `RUST_LOG` wins when set.
    pub filter: String,
}

/// Sign-in sessions and throttling.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session unused this long expires (default 30 min).
    pub session_idle: Duration,
    /// A session expires this long after sign-in whatever its use (default 12 h).
    pub session_absolute: Duration,
    /// Failures per account within the window before sign-in is refused (default 5).
    pub max_failures_per_account: u32,
    /// Failures per source address within the window before sign-in is refused (default 20).
    pub max_failures_per_source: u32,
    /// The throttling window (default 15 min).
    pub failure_window: Duration,
}

/// A queue to seed into an empty store.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedQueue {
    /// Its name.
    pub name: QueueName,
    /// Shown on wallboards.
    pub display_name: String,
    /// Its channel.
    pub channel: Channel,
    /// Required skills.
    pub skills: Vec<(SkillName, Proficiency)>,
    /// The owning team (created if new).
    pub team: Option<TeamName>,
}

/// One problem in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The key path (`http.listen`), or the file for a syntax error.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file or the environment holds invalid settings.
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  {}: {}", p.key, p.message)).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ConfigProblem>),
}

/// Every setting that an environment variable can override, as a key path. The variable is
/// `SWITCHYARD_` followed by the path in upper case with `.` as `_` (`SWITCHYARD_HTTP_LISTEN`).
pub const ENV_KEYS: &[&str] = &[
    "http.listen",
    "http.tls_cert",
    "http.tls_key",
    "sip.listen",
    "sip.tls_listen",
    "sip.tls_cert",
    "sip.tls_key",
    "sip.realm",
    "store.url",
    "paths.data_dir",
    "paths.recordings_dir",
    "paths.flows_dir",
    "site.time_zone",
    "site.country_code",
    "log.format",
    "log.filter",
    "demo.enabled",
];

impl Config {
    /// Reads the file (when given) and applies `SWITCHYARD_*` variables from `env`.
    pub fn load(path: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?,
            None => String::new(),
        };
        Self::parse(&text, env)
    }

    /// Parses configuration text with environment overrides; reports every problem.
    pub fn parse(text: &str, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::Invalid(vec![ConfigProblem {
                key: "(file)".into(),
                message: e.to_string(),
            }])
        })?;
        let mut r = Reader::new(table);
        for key in ENV_KEYS {
            let var = format!("SWITCHYARD_{}", key.replace('.', "_").to_uppercase());
            if let Some(value) = env.get(&var) {
                r.override_with(key, value, &var);
            }
        }
        let config = Self::read(&mut r);
        r.finish().map(|()| config).map_err(ConfigError::Invalid)
    }

    fn read(r: &mut Reader) -> Self {
        let default_listen = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let tls_cert = r.opt_string("http.tls_cert");
        let tls_key = r.opt_string("http.tls_key");
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => None,
            _ => {
                r.problem(
                    "http.tls_cert",
                    "http.tls_cert and http.tls_key must be given together",
                );
                None
            }
        };
        let http = HttpConfig {
            listen: r.parsed("http.listen", default_listen(8080)),
            tls,
            trusted_proxies: r.parsed_list("http.trusted_proxies"),
        };
        let sip = Self::read_sip(r);
        let paths = Paths {
            data_dir: r.string("paths.data_dir", "./data").into(),
            recordings_dir: r.string("paths.recordings_dir", "./recordings").into(),
            flows_dir: r.string("paths.flows_dir", "./ivr_flows").into(),
        };
        let store_url = r.opt_string("store.url");
        let site = Self::read_site(r);
        let log = LogConfig {
            format: match r.string("log.format", "human").as_str() {
                "human" => LogFormat::Human,
                "json" => LogFormat::Json,
                other => {
                    r.problem(
                        "log.format",
                        &format!("{other:?} is not a log format: use human or json"),
                    );
                    LogFormat::Human
                }
            },
            filter: r.string("log.filter", "info"),
        };
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let auth = AuthConfig {
            session_idle: minutes(r.integer("auth.session_idle_minutes", 30, 1, 24 * 60)),
            session_absolute: minutes(
                r.integer("auth.session_absolute_hours", 12, 1, 24 * 30) * 60,
            ),
            max_failures_per_account: u32::try_from(r.integer(
                "auth.max_failures_per_account",
                5,
                1,
                1000,
            ))
            .unwrap_or(5),
            max_failures_per_source: u32::try_from(r.integer(
                "auth.max_failures_per_source",
                20,
                1,
                100_000,
            ))
            .unwrap_or(20),
            failure_window: minutes(r.integer("auth.failure_window_minutes", 15, 1, 24 * 60)),
        };
        let demo = r.boolean("demo.enabled", true);
        let seed_queues = r.seed_queues("seed.queues");
        Config {
            http,
            sip,
            paths,
            store_url,
            site,
            log,
            auth,
            demo,
            seed_queues,
        }
    }

    fn read_sip(r: &mut Reader) -> SipConfig {
        let default_listen = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let tls = match (r.opt_string("sip.tls_cert"), r.opt_string("sip.tls_key")) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => None,
            _ => {
                r.problem(
                    "sip.tls_cert",
                    "sip.tls_cert and sip.tls_key must be given together",
                );
                None
            }
        };
        let realm = r.string("sip.realm", "switchyard");
        if realm.is_empty() || realm.contains(['"', '\\']) || !realm.is_ascii() {
            r.problem(
                "sip.realm",
                "must be non-empty ASCII without quotes or backslashes",
            );
        }
        let mut digest_algorithms: Vec<String> = r.parsed_list("sip.digest_algorithms");
        if digest_algorithms.is_empty() {
            digest_algorithms = vec!["MD5".into()];
        }
        let known = ["MD5", "SHA-256"];
        if digest_algorithms
            .iter()
            .any(|a| !known.contains(&a.as_str()))
        {
            r.problem(
                "sip.digest_algorithms",
                "list one or both of \"MD5\" and \"SHA-256\"",
            );
        }
        SipConfig {
            digest_algorithms,
            listen: r.parsed("sip.listen", default_listen(5060)),
            tls_listen: r.parsed("sip.tls_listen", default_listen(5061)),
            tls,
            realm,
        }
    }

    fn read_site(r: &mut Reader) -> Site {
        let time_zone_name = r.string("site.time_zone", "Asia/Shanghai");
        let time_zone = match jiff::tz::TimeZone::get(&time_zone_name) {
            Ok(tz) => tz,
            Err(e) => {
                r.problem(
                    "site.time_zone",
                    &format!("{time_zone_name:?} is not a known time zone: {e}"),
                );
                jiff::tz::TimeZone::UTC
            }
        };
        let defaults = DialPlan::default();
        let country_code = r.string("site.country_code", &defaults.country_code);
        if country_code.is_empty()
            || country_code.len() > 3
            || !country_code.chars().all(|c| c.is_ascii_digit())
        {
            r.problem("site.country_code", "must be 1-3 digits, e.g. \"86\"");
        }
        let dial_plan = DialPlan {
            country_code,
            international_prefix: r
                .string("site.international_prefix", &defaults.international_prefix),
            trunk_prefix: r.string("site.trunk_prefix", &defaults.trunk_prefix),
        };
        Site {
            time_zone,
            time_zone_name,
            dial_plan,
            holidays: r.parsed_list("site.holidays"),
            schedules: r.schedules("site.schedules"),
        }
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    #[must_use]
    pub fn store_url(&self) -> String {
        match &self.store_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.paths.data_dir.join("switchyard.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_documented_example_parses() {
        let text = include_str!("../docs/switchyard.example.toml");
        let c = Config::parse(text, &HashMap::new());
        assert!(c.is_ok(), "{c:?}");
        let c = c.ok();
        assert_eq!(c.as_ref().map(|c| c.site.holidays.len()), Some(3));
        assert_eq!(
            c.as_ref().map(|c| c.http.listen.to_string()),
            Some("127.0.0.1:8080".into())
        );
    }

    #[test]
    fn defaults_are_safe() {
        let c = Config::parse("", &HashMap::new()).ok();
        let c = c.as_ref();
        assert_eq!(c.map(|c| c.http.listen.ip().is_loopback()), Some(true));
        assert_eq!(
            c.map(|c| c.sip.listen.to_string()),
            Some("127.0.0.1:5060".into())
        );
        assert_eq!(
            c.map(Config::store_url),
            Some("sqlite://./data/switchyard.db".into())
        );
        assert_eq!(
            c.map(|c| c.paths.recordings_dir.clone()),
            Some(PathBuf::from("./recordings"))
        );
        assert_eq!(c.map(|c| c.demo), Some(true));
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = r#"
            [http]
            listen = "not an address"
            tls_cert = "cert.pem"
            [site]
            time_zone = "Mars/Olympus"
            country_code = "x86"
            holidays = ["2027-02-30"]
            [log]
            format = "xml"
            [auth]
            session_idle_minutes = 0
            [demo]
            enabled = "yes"
            [sip]
            lisen = "127.0.0.1:5060"
            [[seed.queues]]
            name = "bad name"
            channel = "fax"
        "#;
        let err = Config::parse(text, &HashMap::new()).err();
        let Some(ConfigError::Invalid(problems)) = err else {
            panic!("expected problems, got {err:?}")
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "http.listen",
            "http.tls_cert",
            "site.time_zone",
            "site.country_code",
            "site.holidays[0]",
            "log.format",
            "auth.session_idle_minutes",
            "demo.enabled",
            "sip.lisen",
            "seed.queues[0].name",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let text = "[http]\nlisten = \"127.0.0.1:8080\"\n";
        let c = Config::parse(
            text,
            &env(&[
                ("SWITCHYARD_HTTP_LISTEN", "0.0.0.0:9000"),
                ("SWITCHYARD_DEMO_ENABLED", "false"),
                ("SWITCHYARD_STORE_URL", "postgres://x@127.0.0.1/y"),
            ]),
        )
        .ok();
        assert_eq!(
            c.as_ref().map(|c| c.http.listen.to_string()),
            Some("0.0.0.0:9000".into())
        );
        assert_eq!(c.as_ref().map(|c| c.demo), Some(false));
        assert_eq!(
            c.as_ref().map(Config::store_url),
            Some("postgres://x@127.0.0.1/y".into())
        );
        let err = Config::parse("", &env(&[("SWITCHYARD_LOG_FORMAT", "yaml")]))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("log.format")));
    }

    #[test]
    fn site_schedules_are_read_and_checked() {
        let text = r#"
            [site.schedules.brokerage_hours]
            weekly = [{ days = ["mon", "fri"], open = "09:00", close = "17:30" }]
            holidays = ["2027-05-01"]
            [site.schedules.always]
            always_open = true
        "#;
        let c = Config::parse(text, &HashMap::new()).ok();
        let s = c
            .as_ref()
            .map(|c| c.site.schedules.clone())
            .unwrap_or_default();
        assert_eq!(s.len(), 2);
        let hours = s.iter().find(|s| s.name == "brokerage_hours");
        assert_eq!(
            hours.map(|h| h.weekly[0].days.clone()),
            Some(vec!["mon".to_owned(), "fri".to_owned()])
        );
        assert_eq!(hours.map(|h| h.holidays.len()), Some(1));
        let bad = r#"
            [site.schedules.x]
            weekly = [{ days = ["someday"], open = "9am", close = "17:00" }]
            holidays = ["soon"]
            colour = "red"
        "#;
        let Some(ConfigError::Invalid(problems)) = Config::parse(bad, &HashMap::new()).err() else {
            panic!("expected problems")
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "site.schedules.x.weekly[0].days",
            "site.schedules.x.weekly[0].open",
            "site.schedules.x.holidays[0]",
            "site.schedules.x.colour",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }

    #[test]
    fn a_syntax_error_is_one_clear_problem() {
        let err = Config::parse("[http\nlisten=", &HashMap::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("(file)"), "{err}");
    }
}
