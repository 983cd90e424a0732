//! The acceptance figures over `tests/corpora`, printed and asserted.

use std::path::Path;

use sequencer_classify::eval::evaluate;

#[test]
fn corpus_figures_meet_the_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora");
    let r = evaluate(&root);
    println!("{r}");
    for m in &r.misses {
        println!("  {m}");
    }
    assert!(r.bounces >= 700, "corpus not found: {r}");
    assert!(r.bounce_pct() >= 99.0, "{r}");
    assert!(r.recipient_pct() >= 97.0, "{r}");
    // Delay notices are graded by the cause they state (`eval.rs`); with every delay notice
    // counted as soft instead, the figure is lower: guard it too, so neither can slip unseen.
    assert!(r.group_pct() >= 95.0, "{r}");
    let delay_as_soft = r.groups_agree_delay_as_soft as f64 * 100.0 / r.groups_scored as f64;
    assert!(delay_as_soft >= 94.5, "{r}");
    assert_eq!(r.autoreplies_right, r.autoreplies, "{r}");
}
