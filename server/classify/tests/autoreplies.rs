//! Every labelled auto-reply sample, and the hand-written fixtures for client/inbox
//! combinations the corpus lacks, classified and snapshotted one line per file.
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

#[path = "common_render.rs"]
mod common_render;

use std::path::Path;

use common_render::render;
use sequencer_classify::{classify, eval};

fn corpora() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora")
}

#[test]
fn every_labelled_autoreply_sample_is_right_including_return_dates() {
    let results = eval::autoreply_results(&corpora());
    assert_eq!(results.len(), 9);
    let wrong: Vec<_> = results.iter().filter(|r| !r.1).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

fn snapshot_dir(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let c = classify(&std::fs::read(p).unwrap());
            format!(
                "{}: {}",
                p.file_name().unwrap().to_string_lossy(),
                render(&c)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn autoreply_samples_snapshot() {
    insta::assert_snapshot!(snapshot_dir(&corpora().join("ooo-autoreply-samples")));
}

/// Gmail/Outlook/Apple/Yahoo/Zimbra OOO in every direction, plus near misses.
#[test]
fn client_and_inbox_fixtures_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    insta::assert_snapshot!(snapshot_dir(&dir));
}
