//! Passwords, session tokens and sign-in throttling.
//!
//! Password hashes are argon2 (PHC strings); a bearer token is 32 random bytes, and only its
//! SHA-256 is stored. `Throttle` is a pure counter of recent failures per account and per
//! source address; its owner passes `now`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

/// Hashing or randomness failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The password could not be hashed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The system random source failed.
    #[error("no system randomness: {0}")]
    Random(String),
    /// A password is too short or too long.
    #[error("a password must be 8 to 128 characters")]
    PasswordLength,
}

/// Hashes a password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if !(8..=128).contains(&password.chars().count()) {
        return Err(AuthError::PasswordLength);
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash (a malformed hash never matches).
#[must_use]
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that no password matches, verified against when the login is unknown so that the
/// answer takes as long as for a known login.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-used").unwrap_or_default())
}

/// Random bytes from the system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

/// A new bearer token: 32 random bytes as 64 hex characters.
pub fn new_token() -> Result<String, AuthError> {
    Ok(hex(&random_bytes::<32>()?))
}

/// A generated password of 16 characters from an alphabet without look-alikes.
pub fn generate_password() -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    Ok(random_bytes::<16>()?
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

/// SHA-256 of a token, hex: what the store keeps.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a sign-in attempt may not even be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// Too many recent failures for this account.
    Account,
    /// Too many recent failures from this source address.
    Source,
}

/// Recent sign-in failures per account and per source address, within a sliding window.
#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    max_per_account: u32,
    max_per_source: u32,
    by_account: HashMap<String, VecDeque<Instant>>,
    by_source: HashMap<String, VecDeque<Instant>>,
}

impl Throttle {
    /// A throttle allowing `max_per_account` and `max_per_source` failures per `window`.
    #[must_use]
    pub fn new(window: Duration, max_per_account: u32, max_per_source: u32) -> Self {
        Self {
            window,
            max_per_account,
            max_per_source,
            by_account: HashMap::new(),
            by_source: HashMap::new(),
        }
    }

    /// Whether an attempt for `account` from `source` may be checked now.
    pub fn check(&mut self, account: &str, source: &str, now: Instant) -> Result<(), Throttled> {
        let window = self.window;
        let recent = |map: &mut HashMap<String, VecDeque<Instant>>, key: &str| {
            let Some(q) = map.get_mut(key) else { return 0 };
            while q
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= window)
            {
                q.pop_front();
            }
            let n = q.len();
            if n == 0 {
                map.remove(key);
            }
            n
        };
        if recent(&mut self.by_source, source) >= self.max_per_source as usize {
            return Err(Throttled::Source);
        }
        if recent(&mut self.by_account, account) >= self.max_per_account as usize {
            return Err(Throttled::Account);
        }
        Ok(())
    }

    /// Records a failed attempt.
    pub fn record_failure(&mut self, account: &str, source: &str, now: Instant) {
        self.by_account
            .entry(account.to_owned())
            .or_default()
            .push_back(now);
        self.by_source
            .entry(source.to_owned())
            .or_default()
            .push_back(now);
    }

    /// Forgets the account's failures after a successful sign-in.
    pub fn record_success(&mut self, account: &str) {
        self.by_account.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse").expect("hash");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::PasswordLength)
        ));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token().expect("token"), new_token().expect("token"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        let p = generate_password().expect("password");
        assert_eq!(p.chars().count(), 16);
    }

    #[test]
    fn throttle_counts_per_account_and_source_within_the_window() {
        let t0 = Instant::now();
        let mut t = Throttle::new(Duration::from_secs(60), 3, 5);
        for i in 0..3 {
            assert_eq!(t.check("li.wei", "10.0.0.1", t0), Ok(()), "attempt {i}");
            t.record_failure("li.wei", "10.0.0.1", t0);
        }
        assert_eq!(t.check("li.wei", "10.0.0.1", t0), Err(Throttled::Account));
        assert_eq!(
            t.check("li.wei", "10.0.0.9", t0),
            Err(Throttled::Account),
            "another address does not help"
        );
        assert_eq!(
            t.check("wang.fang", "10.0.0.1", t0),
            Ok(()),
            "other accounts behind the address go on"
        );
        t.record_failure("a", "10.0.0.1", t0);
        t.record_failure("b", "10.0.0.1", t0);
        assert_eq!(t.check("wang.fang", "10.0.0.1", t0), Err(Throttled::Source));
        let later = t0 + Duration::from_secs(61);
        assert_eq!(
            t.check("li.wei", "10.0.0.1", later),
            Ok(()),
            "the window slides"
        );
        t.record_failure("li.wei", "10.0.0.1", later);
        t.record_success("li.wei");
        assert_eq!(t.check("li.wei", "10.0.0.2", later), Ok(()));
    }
}
