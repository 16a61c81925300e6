//! residue.yaml: raw options → validated settings, all errors at once with file:line.

mod policy;

pub use policy::AuditPolicy;
