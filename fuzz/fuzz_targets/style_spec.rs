#![no_main]
// The body is dinstyle::fuzzing::style_spec, so that the test suite replays this target's corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dinstyle::fuzzing::style_spec(data));
