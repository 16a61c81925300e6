//! residue: finds the privilege that just-in-time access left behind.
//!
//! ```text
//!  sources ──► connectors ──► Inventory ──► PermissionGraph ──► rules (rayon) ──► Findings ──► reports / gate
//! ```
//! See DESIGN.md in the shared folder and README.md for the whole picture.

pub mod allocator;
pub mod cli;
pub mod collect;
pub mod config;
pub mod connectors;
pub mod finding;
pub mod fuzzing;
pub mod gate;
pub mod generate;
pub mod graph;
pub mod inventory;
pub mod model;
pub mod report;
pub mod rules;
pub mod scan;
