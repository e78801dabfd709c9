//! Switchyard: a self-hosted contact center in one binary.
//!
//! A SIP front end takes calls into an IVR flow interpreter and an ACD that picks the best
//! agent by customer tier and skill; the CTI bridge pops the customer record on the agent's
//! console; recording and the web and email channels feed one unified interaction log.
//! `docs/ARCHITECTURE.md` is the map. Modules are listed in reading order.

pub mod domain;
pub mod config;
pub mod telemetry;
pub mod interaction_log;
pub mod store;
pub mod auth;
pub mod crm;
pub mod accounts;
pub mod stations;
pub mod sip;
pub mod ivr;
pub mod acd;
pub mod demo;
pub mod tls;
pub mod http;
pub mod app;
pub mod cli;
