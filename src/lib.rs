//! residue: finds the privilege that just-in-time access left behind.
//!
//! ```text
//!  sources ──► connectors ──► Inventory ──► PermissionGraph ──► rules (rayon) ──► Findings ──► reports / gate
//! ```
//! See DESIGN.md in the shared folder and README.md for the whole picture.

pub mod model;
pub mod finding;
pub mod graph;
pub mod config;
pub mod rules;
pub mod report;
pub mod connectors;
pub mod gate;
pub mod scan;
pub mod cli;
