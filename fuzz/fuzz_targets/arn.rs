#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| residue::fuzzing::fuzz("arn", data));
