//! The IVR: flow files (TOML) parsed into a typed graph, their validator, a pure interpreter,
//! the say-engine, business-hours schedules and a simulator.
//!
//! Pure apart from two drivers: `loader` reads the flows directory and `data_dip` makes the
//! `http` node's requests. Nothing else here reads files or clocks, opens sockets or spawns
//! tasks. It speaks digits, prompts, queues and variables, and knows nothing of SIP, RTP, the
//! store or the ACD (queue statistics travel as `crate::domain::queue_stats` types). The call
//! task that carries out the interpreter's actions lives elsewhere.

pub mod data_dip;
pub mod flow;
#[cfg(test)]
mod flow_files;
pub mod flow_set;
pub mod interpreter;
pub mod loader;
pub mod say;
pub mod schedule;
pub mod simulate;
pub mod validate;
pub mod value;
