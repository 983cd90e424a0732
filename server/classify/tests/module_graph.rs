//! The classifier's modules import each other one way only: the `use crate::...` lines of
//! `src/` form no cycle (the crate root, which declares every module and defines `Class` and
//! `Classification`, is left out). A shared helper lives in a leaf module (`text`, `matcher`,
//! `calendar`), not in the classifier that happened to need it first.
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name -> the sibling modules its `crate::` paths name.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The sibling modules named by `crate::x` paths in `source` (`crate::{x, y::z, Class}` too).
fn imports(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        let rest = &source[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())]
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for n in names {
            let n = n.trim();
            let end = n
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(n.len());
            if modules.contains(&n[..end]) {
                out.insert(n[..end].to_string());
            }
        }
    }
    out
}

fn graph_of(sources: &[(&str, String)]) -> Graph {
    let modules: BTreeSet<String> = sources.iter().map(|(m, _)| m.to_string()).collect();
    sources
        .iter()
        .map(|(m, s)| {
            let mut deps = imports(s, &modules);
            deps.remove(*m);
            (m.to_string(), deps)
        })
        .collect()
}

/// The first import cycle found, as `a -> b -> a`.
fn cycle(g: &Graph) -> Option<String> {
    fn visit(
        g: &Graph,
        m: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut c = path[at..].to_vec();
            c.push(m.to_string());
            return Some(c.join(" -> "));
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, d, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

#[test]
fn classifier_modules_import_each_other_one_way_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let p = e.path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if p.extension().is_some_and(|x| x == "rs") && name != "lib" {
            sources.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    assert!(
        sources.len() > 10,
        "no modules found under {}",
        src.display()
    );
    let sources: Vec<(&str, String)> = sources
        .iter()
        .map(|(m, s)| (m.as_str(), s.clone()))
        .collect();
    if let Some(c) = cycle(&graph_of(&sources)) {
        panic!(
            "import cycle between classifier modules: {c}. Move what both sides need into a \
             leaf module (`text`, `matcher`, `calendar` or a new one) so the imports run one way."
        );
    }
}

#[test]
fn a_helper_imported_back_up_is_reported_as_a_cycle() {
    let sources = [
        ("bounce", "use crate::stage;\n".to_string()),
        ("stage", "use crate::{bounce::build, text};\n".to_string()),
        ("text", String::new()),
    ];
    assert_eq!(
        cycle(&graph_of(&sources)).as_deref(),
        Some("bounce -> stage -> bounce")
    );
    let fixed = [
        ("bounce", "use crate::{matcher, stage};\n".to_string()),
        ("stage", "use crate::matcher::build;\n".to_string()),
        ("matcher", String::new()),
    ];
    assert_eq!(cycle(&graph_of(&fixed)), None);
}
