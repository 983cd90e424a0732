//! Phrase matchers shared by every classifier: one case-insensitive Aho-Corasick automaton
//! per phrase table, built once into an immutable static. Depends on nothing in this crate;
//! `bounce`, `stage`, `listnotice` and `autoreply` all build their tables here, so none of
//! them imports another for it.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// An ASCII-case-insensitive automaton over `phrases`; `None` only if the table cannot be
/// built (never for the crate's literal tables), in which case nothing matches.
pub(crate) fn build(phrases: &[&str]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(phrases)
        .ok()
}

/// Whether any phrase of the table occurs in `s`.
pub(crate) fn hit(ac: &LazyLock<Option<AhoCorasick>>, s: &str) -> bool {
    ac.as_ref().is_some_and(|a| a.is_match(s))
}
