//! Failed-authentication counting for the registrar: per (source address, user) and per user,
//! in a fixed window. A pair past its limit may try again only after a back-off that doubles
//! with each further failure; a user past its (higher) limit slows every pair that has failed
//! for that user at least once. Phones behind the same address that authenticate correctly are
//! never counted, so a guesser does not lock out a whole floor behind one NAT address.
//!
//! Pure: time is passed in; memory is bounded (`max_entries`).

use std::collections::HashMap;
use std::time::Duration;

use core::net::IpAddr;

use crate::domain::Timestamp;

/// Limits of the throttle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures of one (source, user) pair before it is slowed.
    pub pair_limit: u32,
    /// Failures for one user (from anywhere) before every failing source is slowed.
    pub user_limit: u32,
    /// Counting window; counters reset when it has passed since their first failure.
    pub window: Duration,
    /// The first back-off once a pair is slowed; doubles per further failure.
    pub base_delay: Duration,
    /// The longest back-off.
    pub max_delay: Duration,
    /// Counters kept at most (each map); beyond it new pairs are not counted until pruning.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            pair_limit: 5,
            user_limit: 20,
            window: Duration::from_secs(15 * 60),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_entries: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    failures: u32,
    since: Timestamp,
    next_try: Timestamp,
}

/// The failure counters.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    pairs: HashMap<(IpAddr, String), Counter>,
    users: HashMap<String, Counter>,
}

impl Throttle {
    /// An empty throttle.
    #[must_use]
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            pairs: HashMap::new(),
            users: HashMap::new(),
        }
    }

    fn live(&self, c: Option<&Counter>, now: Timestamp) -> Option<Counter> {
        c.copied()
            .filter(|c| now.since(c.since) < self.config.window)
    }

    fn backoff(&self, excess: u32) -> Duration {
        self.config
            .base_delay
            .saturating_mul(1u32 << excess.min(16))
            .min(self.config.max_delay)
    }

    /// `Some(delay)` when this attempt must be refused without checking the password, answered
    /// only after `delay` (the time until the pair may try again, at least the base back-off).
    #[must_use]
    pub fn refuse(&self, source: IpAddr, user: &str, now: Timestamp) -> Option<Duration> {
        let pair = self.live(self.pairs.get(&(source, user.to_owned())), now)?;
        let user_slow = self
            .live(self.users.get(user), now)
            .is_some_and(|u| u.failures >= self.config.user_limit && now < u.next_try);
        let pair_slow = pair.failures >= self.config.pair_limit && now < pair.next_try;
        if !(pair_slow || user_slow) {
            return None;
        }
        let until = if pair_slow { pair.next_try } else { now };
        Some(until.since(now).max(self.config.base_delay))
    }

    /// Counts a failure; returns the pair's count when it has just reached its limit or the
    /// user has just reached theirs (worth a warning), `None` otherwise.
    pub fn failed(&mut self, source: IpAddr, user: &str, now: Timestamp) -> Option<u32> {
        let key = (source, user.to_owned());
        let pair = self.bump_pair(key, now);
        let user_count = self.bump_user(user, now);
        let pair_hit = pair.is_some_and(|c| c == self.config.pair_limit);
        let user_hit = user_count.is_some_and(|c| c == self.config.user_limit);
        (pair_hit || user_hit).then(|| pair.unwrap_or(0))
    }

    fn fresh(now: Timestamp) -> Counter {
        Counter {
            failures: 0,
            since: now,
            next_try: now,
        }
    }

    fn bump_pair(&mut self, key: (IpAddr, String), now: Timestamp) -> Option<u32> {
        if !self.pairs.contains_key(&key) && self.pairs.len() >= self.config.max_entries {
            return None;
        }
        let live = self.live(self.pairs.get(&key), now);
        let mut c = live.unwrap_or_else(|| Self::fresh(now));
        c.failures = c.failures.saturating_add(1);
        if c.failures >= self.config.pair_limit {
            c.next_try = now.plus(self.backoff(c.failures - self.config.pair_limit));
        }
        self.pairs.insert(key, c);
        Some(c.failures)
    }

    fn bump_user(&mut self, user: &str, now: Timestamp) -> Option<u32> {
        if !self.users.contains_key(user) && self.users.len() >= self.config.max_entries {
            return None;
        }
        let live = self.live(self.users.get(user), now);
        let mut c = live.unwrap_or_else(|| Self::fresh(now));
        c.failures = c.failures.saturating_add(1);
        if c.failures >= self.config.user_limit {
            c.next_try = now.plus(self.config.base_delay);
        }
        self.users.insert(user.to_owned(), c);
        Some(c.failures)
    }

    /// A correct password from this pair forgets its failures (not the user's).
    pub fn succeeded(&mut self, source: IpAddr, user: &str) {
        self.pairs.remove(&(source, user.to_owned()));
    }

    /// Drops counters whose window has passed.
    pub fn prune(&mut self, now: Timestamp) {
        let window = self.config.window;
        self.pairs.retain(|_, c| now.since(c.since) < window);
        self.users.retain(|_, c| now.since(c.since) < window);
    }

    /// Counters held (pairs, users), for tests and metrics.
    #[must_use]
    pub fn len(&self) -> (usize, usize) {
        (self.pairs.len(), self.users.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_000_000);

    fn at(ms: u64) -> Timestamp {
        T0.plus(Duration::from_millis(ms))
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn a_pair_is_slowed_after_its_limit_with_doubling_backoff() {
        let mut t = Throttle::new(ThrottleConfig::default());
        for i in 1..5 {
            assert_eq!(t.failed(ip(2), "alice", at(i)), None);
            assert_eq!(t.refuse(ip(2), "alice", at(i)), None);
        }
        assert_eq!(t.failed(ip(2), "alice", at(5)), Some(5), "warn once");
        assert_eq!(
            t.refuse(ip(2), "alice", at(5)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(t.refuse(ip(2), "alice", at(1005)), None, "may try again");
        assert_eq!(t.failed(ip(2), "alice", at(1005)), None);
        assert_eq!(
            t.refuse(ip(2), "alice", at(1005)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(t.refuse(ip(1), "alice", at(1005)), None, "other phone");
        assert_eq!(t.refuse(ip(2), "bob", at(1005)), None, "other user");
    }

    #[test]
    fn success_forgets_the_pair_and_the_window_expires() {
        let mut t = Throttle::new(ThrottleConfig::default());
        for i in 0..7 {
            t.failed(ip(2), "alice", at(i));
        }
        t.succeeded(ip(2), "alice");
        assert_eq!(t.refuse(ip(2), "alice", at(10)), None);
        for i in 0..7 {
            t.failed(ip(3), "bob", at(i));
        }
        let later = at(15 * 60 * 1000 + 10);
        assert_eq!(t.refuse(ip(3), "bob", later), None);
        t.prune(later);
        assert_eq!(t.len(), (0, 0));
    }

    #[test]
    fn a_distributed_guess_slows_failing_sources_only() {
        let mut t = Throttle::new(ThrottleConfig::default());
        for i in 0..20u8 {
            t.failed(ip(10 + i), "alice", at(u64::from(i)));
        }
        assert!(t.refuse(ip(10), "alice", at(30)).is_some());
        assert_eq!(t.refuse(ip(1), "alice", at(30)), None, "never failed");
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Throttle::new(ThrottleConfig {
            max_entries: 3,
            ..ThrottleConfig::default()
        });
        for i in 0..10u8 {
            t.failed(ip(i), &format!("u{i}"), T0);
        }
        assert_eq!(t.len(), (3, 3));
    }

    proptest::proptest! {
        /// Whatever the sequence of failures, a source that never failed for a user is never
        /// refused for that user.
        #[test]
        fn innocent_pairs_are_never_refused(
            attempts in proptest::collection::vec((0u8..4, 0u8..3, 0u64..100_000), 0..200)
        ) {
            let mut t = Throttle::new(ThrottleConfig::default());
            for (src, user, ms) in attempts {
                t.failed(ip(src + 2), &format!("u{user}"), at(ms));
            }
            for user in 0..3 {
                proptest::prop_assert_eq!(t.refuse(ip(1), &format!("u{user}"), at(50_000)), None);
            }
        }
    }
}
