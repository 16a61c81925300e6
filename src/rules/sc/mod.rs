//! Rule family SC.
