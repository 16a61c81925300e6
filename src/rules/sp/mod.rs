//! Rule family SP.
