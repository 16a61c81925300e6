//! Tests: see the functions.
