#![no_main]
use residue::fuzzing::fuzz;
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz("teleport-audit", data));
