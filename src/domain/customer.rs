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

impl fmt::Display for IdentificationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

/// One tier's thresholds: a customer qualifies when any set threshold is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRule {
    /// The tier granted.
    pub tier: Tier,
    /// Minimum assets, in fen (0.01 yuan).
    pub min_assets: Option<i64>,
    /// Minimum trading turnover over the last 12 months, in fen.
    pub min_turnover: Option<i64>,
    /// Minimum commission contributed over the last 12 months, in fen.
    pub min_commission: Option<i64>,
}

/// A customer's figures that tier rules look at (all in fen; unknown figures are `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierFigures {
    /// Assets under custody.
    pub assets: Option<i64>,
    /// Trading turnover.
    pub turnover: Option<i64>,
    /// Commission contributed.
    pub commission: Option<i64>,
}

impl TierRule {
    /// The default rules: diamond from 5 million yuan of assets (or 100,000 yuan of commission),
    /// gold from 500,000 yuan (or 20,000 commission, or 50 million turnover), wealth card from
    /// 100,000 yuan; standard otherwise.
    #[must_use]
    pub fn defaults() -> Vec<TierRule> {
        const YUAN: i64 = 100;
        vec![
            TierRule {
                tier: Tier::Diamond,
                min_assets: Some(5_000_000 * YUAN),
                min_turnover: None,
                min_commission: Some(100_000 * YUAN),
            },
            TierRule {
                tier: Tier::Gold,
                min_assets: Some(500_000 * YUAN),
                min_turnover: Some(50_000_000 * YUAN),
                min_commission: Some(20_000 * YUAN),
            },
            TierRule {
                tier: Tier::WealthCard,
                min_assets: Some(100_000 * YUAN),
                min_turnover: None,
                min_commission: None,
            },
        ]
    }

    fn qualifies(&self, f: TierFigures) -> bool {
        let meets = |min: Option<i64>, have: Option<i64>| matches!((min, have), (Some(m), Some(h)) if h >= m);
        meets(self.min_assets, f.assets)
            || meets(self.min_turnover, f.turnover)
            || meets(self.min_commission, f.commission)
    }
}

/// The highest tier whose rule the figures meet; `Standard` when none does.
#[must_use]
pub fn tier_for(rules: &[TierRule], figures: TierFigures) -> Tier {
    rules
        .iter()
        .filter(|r| r.qualifies(figures))
        .map(|r| r.tier)
        .min()
        .unwrap_or(Tier::Standard)
}

#[cfg(test)]
mod tier_tests {
    use super::*;

    fn check(assets: Option<i64>, turnover: Option<i64>, commission: Option<i64>, expected: Tier) {
        let got = tier_for(
            &TierRule::defaults(),
            TierFigures {
                assets,
                turnover,
                commission,
            },
        );
        assert_eq!(
            got, expected,
            "assets {assets:?} turnover {turnover:?} commission {commission:?}"
        );
    }

    #[test]
    fn default_rules_follow_the_brokerage_split() {
        let y = 100;
        check(Some(6_000_000 * y), None, None, Tier::Diamond);
        check(Some(5_000_000 * y), None, None, Tier::Diamond);
        check(Some(4_999_999 * y), None, None, Tier::Gold);
        check(Some(500_000 * y), None, None, Tier::Gold);
        check(Some(499_999 * y), None, None, Tier::WealthCard);
        check(Some(100_000 * y), None, None, Tier::WealthCard);
        check(Some(99_999 * y), None, None, Tier::Standard);
        check(None, None, None, Tier::Standard);
        check(Some(10_000 * y), None, Some(150_000 * y), Tier::Diamond);
        check(Some(10_000 * y), Some(60_000_000 * y), None, Tier::Gold);
    }
}
