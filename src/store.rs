//! The store: the only module that speaks SQL. SQLite by default, PostgreSQL when the URL says
//! `postgres://`; the same portable SQL (`$1` placeholders) runs on both through `sqlx::Any`.
//!
//! Writes of durable facts arrive as `WriteItem`s (events plus the row changes they imply) from
//! the interaction log writer, which commits them in groups; reads are plain queries on the
//! pool. No business decisions are made here.

pub mod acd;
pub mod agents;
pub mod customers;
pub mod events;
pub mod interactions;
pub mod mutation;
mod pool;
pub mod queues;
pub mod sessions;
pub mod stations;

pub use mutation::{Mutation, WriteItem};
pub use pool::{Backend, Db};

/// Everything that can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we can open.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row does not hold what its columns promise.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt {
        /// The table read.
        table: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A write violated a uniqueness rule (a login or external id that already exists).
    #[error("{what} already exists")]
    Conflict {
        /// What already exists.
        what: String,
    },
    /// A write referred to a row that does not exist.
    #[error("{what} does not exist")]
    Missing {
        /// What is missing.
        what: String,
    },
}

impl StoreError {
    /// Wraps a column-decoding problem.
    pub(crate) fn corrupt(table: &'static str, detail: impl ToString) -> Self {
        StoreError::Corrupt {
            table,
            detail: detail.to_string(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (at most 500).
    pub limit: i64,
}

impl Page {
    /// A page, with the limit clamped to 1..=500 and the offset to >= 0.
    #[must_use]
    pub fn new(offset: i64, limit: i64) -> Self {
        Self {
            offset: offset.max(0),
            limit: limit.clamp(1, 500),
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(0, 50)
    }
}
