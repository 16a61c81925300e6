//! Connectors: each turns one source format into the canonical [`Inventory`], with
//! provenance on every record. Connectors know nothing about rules.

mod error;
pub mod generic;

pub use error::ConnectorError;
