//! The question a call asks the ACD on behalf of its IVR ("how busy is this queue?") and the
//! answer. Both sides speak these types so the IVR never imports the ACD.

use std::time::Duration;

use super::ids::QueueName;

/// A request for a queue's live figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStatsRequest {
    /// The queue asked about.
    pub queue: QueueName,
}

/// A queue's live figures at the moment of asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStatsAnswer {
    /// The queue asked about.
    pub queue: QueueName,
    /// Whether the queue exists; all figures are zero when it does not.
    pub known: bool,
    /// Eligible agents ready now with free capacity on the queue's channel.
    pub agents_ready: u32,
    /// Eligible agents logged in (any presence but logged out).
    pub agents_logged_in: u32,
    /// Contacts waiting now.
    pub waiting: u32,
    /// Estimated wait for a contact joining now at standard priority.
    pub estimated_wait: Duration,
}
