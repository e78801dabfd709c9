//! The shared vocabulary of the contact center: ids, channels, skills, tiers, digits, time.
//!
//! Pure: imports nothing from the crate and does no I/O. Every other module speaks these
//! types; none of them are serializable (serde lives at the edges that define formats).

pub mod channel;
pub mod customer;
pub mod dtmf;
pub mod ids;
pub mod phone;
pub mod queue_stats;
pub mod role;
pub mod skill;
pub mod station;
pub mod time;

pub use channel::{Channel, Direction};
pub use customer::{IdentificationLevel, RiskProfile, Tier, TierFigures, TierRule, tier_for};
pub use dtmf::DtmfDigit;
pub use ids::*;
pub use phone::{DialPlan, PhoneNumber};
pub use role::Role;
pub use skill::{Proficiency, SkillName, SkillRequirement};
pub use station::StationName;
pub use time::Timestamp;
