//! Rule family RV.
