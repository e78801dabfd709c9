//! Customer segmentation words: tier, risk profile, and how sure we are who is calling.

use std::fmt;
use std::str::FromStr;

/// Service tier, computed from assets, turnover and commission (or overridden by hand).
/// Ordered from the highest tier down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// 钻石卡: one-to-one account manager, fastest answer.
    Diamond,
    /// 金卡: priority service.
    Gold,
    /// 理财卡: standardised service, self-service first.
    WealthCard,
    /// Every other customer.
    Standard,
}

impl Tier {
    /// Every tier, highest first.
    pub const ALL: [Tier; 4] = [Tier::Diamond, Tier::Gold, Tier::WealthCard, Tier::Standard];

    /// The stable name used in the store, the API, flows and the configuration.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Diamond => "diamond",
            Tier::Gold => "gold",
            Tier::WealthCard => "wealth_card",
            Tier::Standard => "standard",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no tier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier {0:?}: expected diamond, gold, wealth_card or standard")]
pub struct UnknownTier(pub String);

impl FromStr for Tier {
    type Err = UnknownTier;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTier(s.to_owned()))
    }
}

/// The customer's risk appetite from their suitability assessment (C1-C5 in Chinese practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskProfile {
    /// C1 保守型.
    Conservative,
    /// C2 谨慎型.
    Cautious,
    /// C3 稳健型.
    Balanced,
    /// C4 积极型.
    Growth,
    /// C5 激进型: "risk-seeking" customers with a monthly contact cadence.
    Aggressive,
}

impl RiskProfile {
    /// Every profile, most cautious first.
    pub const ALL: [RiskProfile; 5] = [
        RiskProfile::Conservative,
        RiskProfile::Cautious,
        RiskProfile::Balanced,
        RiskProfile::Growth,
        RiskProfile::Aggressive,
    ];

    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskProfile::Conservative => "conservative",
            RiskProfile::Cautious => "cautious",
            RiskProfile::Balanced => "balanced",
            RiskProfile::Growth => "growth",
            RiskProfile::Aggressive => "aggressive",
        }
    }
}

impl fmt::Display for RiskProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no risk profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown risk profile {0:?}: expected conservative, cautious, balanced, growth or aggressive"
)]
pub struct UnknownRiskProfile(pub String);

impl FromStr for RiskProfile {
    type Err = UnknownRiskProfile;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RiskProfile::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRiskProfile(s.to_owned()))
    }
}

/// How sure we are of who the customer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentificationLevel {
    /// Not identified.
    Unknown,
    /// Matched by caller number or sender address, which can be forged.
    Matched,
    /// Verified (PIN, signed web token, authenticated session).
    Verified,
}

impl IdentificationLevel {
    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentificationLevel::Unknown => "unknown",
            IdentificationLevel::Matched => "matched",
            IdentificationLevel::Verified => "verified",
        }
    }
}

/// A word that names no identification level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown identification level {0:?}: expected unknown, matched or verified")]
pub struct UnknownIdentificationLevel(pub String);

impl FromStr for IdentificationLevel {
    type Err = UnknownIdentificationLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unknown" => Ok(IdentificationLevel::Unknown),
            "matched" => Ok(IdentificationLevel::Matched),
            "verified" => Ok(IdentificationLevel::Verified),
            _ => Err(UnknownIdentificationLevel(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Tier::ALL {
            assert_eq!(t.as_str().parse::<Tier>().ok(), Some(t));
        }
        for r in RiskProfile::ALL {
            assert_eq!(r.as_str().parse::<RiskProfile>().ok(), Some(r));
        }
        assert!("platinum".parse::<Tier>().is_err());
        assert!(Tier::Diamond < Tier::Standard, "higher tiers sort first");
    }
}
