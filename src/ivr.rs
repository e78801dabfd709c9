//! The IVR: flow files (TOML) parsed into a typed graph, their validator, a pure interpreter,
//! the say-engine, business-hours schedules and a simulator.
//!
//! Pure throughout: nothing here reads files or clocks, opens sockets or spawns tasks. It speaks
//! digits, prompts, queues and variables, and knows nothing of SIP, RTP or the ACD (queue
//! statistics travel as `crate::domain::queue_stats` types). The loader and the call task that
//! carry out its actions live elsewhere.

pub mod flow;
#[cfg(test)]
mod flow_files;
pub mod flow_set;
pub mod interpreter;
pub mod say;
pub mod schedule;
pub mod simulate;
pub mod validate;
pub mod value;
