//! The `eval` feature (the only code of this crate that reads files) is for development: this
//! crate's tests and examples enable it, and no other crate of the workspace may turn it on
//! through a normal dependency, so no production binary carries it.
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

use std::path::{Path, PathBuf};

/// `(section, line)` of every line of `manifest` that turns on `eval` for `sequencer-classify`
/// outside a `[dev-dependencies]` section.
fn production_eval_lines(manifest: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut in_classify_table = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            section = l.to_string();
            // `[dependencies.sequencer-classify]` spells the features on later lines.
            in_classify_table = l.contains("sequencer-classify");
            continue;
        }
        let names_classify = in_classify_table || l.starts_with("sequencer-classify");
        let dev = section.contains("dev-dependencies");
        if names_classify && !dev && l.contains("\"eval\"") {
            out.push((section.clone(), l.to_string()));
        }
    }
    out
}

/// Every `Cargo.toml` of the workspace but this crate's own.
fn manifests(root: &Path, own: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() && !name.starts_with('.') && name != "target" && name != "node_modules" {
                dirs.push(p);
            } else if name == "Cargo.toml" && p != own {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_other_crate_enables_the_eval_feature() {
    let own_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = own_dir.join("../..");
    let found = manifests(&root, &own_dir.join("Cargo.toml"));
    assert!(
        found.iter().any(|p| p.ends_with("server/Cargo.toml")),
        "workspace not found from {}",
        own_dir.display()
    );
    let wrong: Vec<String> = found
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            production_eval_lines(&text)
                .into_iter()
                .map(move |(section, line)| format!("{}: {section} {line}", p.display()))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "the classifier's `eval` feature (file IO) is dev-only, but a normal dependency enables \
         it:\n{}\nDrop the feature there; run the evaluation with `cargo run -p \
         sequencer-classify --features eval --example eval` or use it from [dev-dependencies].",
        wrong.join("\n")
    );
}

#[test]
fn a_normal_dependency_with_eval_is_found_and_a_dev_one_is_not() {
    let bad = "[dependencies]\nsequencer-classify = { workspace = true, features = [\"eval\"] }\n";
    assert_eq!(production_eval_lines(bad).len(), 1);
    let table = "[dependencies.sequencer-classify]\npath = \"x\"\nfeatures = [\"eval\"]\n";
    assert_eq!(production_eval_lines(table).len(), 1);
    let workspace =
        "[workspace.dependencies]\nsequencer-classify = { path = \"x\", features = [\"eval\"] }\n";
    assert_eq!(production_eval_lines(workspace).len(), 1);
    let dev = "[dev-dependencies]\nsequencer-classify = { path = \".\", features = [\"eval\"] }\n";
    assert!(production_eval_lines(dev).is_empty());
    let plain = "[dependencies]\nsequencer-classify = { workspace = true }\n";
    assert!(production_eval_lines(plain).is_empty());
}
