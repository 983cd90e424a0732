//! Fuzz target: any bytes through `classify` and `parse_meta`; neither may panic.
//! Seed the corpus from `../tests/corpora`. Any crash becomes a regression test in
//! `tests/robustness.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = sequencer_classify::classify(data);
    let m = sequencer_classify::parse_meta(data);
    let _ = sequencer_classify::normalize_subject(&m.subject);
    let _ = c.class.as_str();
});
