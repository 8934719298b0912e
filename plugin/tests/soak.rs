//! Two minutes of `examples/soak.rs` (the hour-long soak of `benches/soak.sh`): a live
//! pipeline with styles and properties changing every two seconds keeps flowing, and its
//! resident memory stays flat after the warm-up. Its own test binary: the memory is its alone.

#[path = "../examples/soak.rs"]
mod soak;

use std::time::Duration;

#[test]
fn two_minutes_live_with_changes_keep_memory_flat() {
    let soak = soak::Soak {
        duration: Duration::from_secs(120),
        interval: Duration::from_secs(10),
        warm_up: Duration::from_secs(40),
        tolerance_mib: 8.0,
    };
    let samples = soak
        .run(|s| {
            eprintln!(
                "{:>4.0} s {:>6.1} MiB {:>5.1} fps {}",
                s.seconds, s.rss_mib, s.fps, s.change
            )
        })
        .expect("the pipeline runs for two minutes");
    assert_eq!(samples.len(), 12);
    // frames keep coming (how many depends on the machine: not asserted beyond "some")
    assert!(
        samples.iter().all(|s| s.fps > 0.0),
        "a 10 s interval without frames"
    );
    match soak.check(&samples) {
        Ok(summary) => eprintln!("{summary}"),
        Err(why) => panic!("{why}"),
    }
}
