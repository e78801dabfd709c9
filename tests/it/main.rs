//! The integration test binary: the architecture rules (`tidy`), the store on SQLite and
//! PostgreSQL (`store`) and the log's durability across a killed process (`durability`).
//! Shared helpers live in `support`. Nothing here is compiled into the product.

mod durability;
mod store;
mod support;
mod tidy;
