//! Switchyard: a self-hosted contact center in one binary.
//!
//! A SIP front end takes calls into an IVR flow interpreter and an ACD that picks the best
//! agent by customer tier and skill; the CTI bridge pops the customer record on the agent's
//! console; recording and the web and email channels feed one unified interaction log.
//! `docs/ARCHITECTURE.md` is the map and gives the reading order (rustfmt keeps this list
//! alphabetical).

pub mod accounts;
pub mod acd;
pub mod acd_bridge;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod crm;
pub mod demo;
pub mod domain;
pub mod http;
pub mod interaction_log;
pub mod ivr;
pub mod ivr_host;
pub mod sip;
pub mod stations;
pub mod store;
pub mod telemetry;
pub mod tls;
