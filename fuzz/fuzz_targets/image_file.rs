#![no_main]
// The body is dinstyle::fuzzing::image_file, so that the test suite replays this target's corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dinstyle::fuzzing::image_file(data));
