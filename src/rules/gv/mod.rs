//! Rule family GV.
