//! Stable-toolchain stand-in for the fuzz target: thousands of deterministically mutated
//! corpus messages (byte flips, insertions, deletions, truncations, splices) go through
//! `classify` and `parse_meta`; nothing may panic.
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

use std::path::Path;

use sequencer_classify::{classify, eval, normalize_subject, parse_meta};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\r\n",
    b"\n\n",
    b":",
    b"<>",
    b"=?utf-8?q?",
    b"=?",
    b"?=",
    b"Content-Type: multipart/report; boundary=x\n",
    b"--x\n",
    b"Action: delayed\n",
    b"Status: 5.",
    b"\xff\xfe",
    b"\xe2\x80",
    b"\x00",
    b"Final-Recipient: rfc822;",
    b"X-Apple-Criteria: {endDate=",
    b"2024-02-30",
    b"31. Juni",
    b"\t",
    b"@",
    b"boundary=\"",
    b"base64\n",
];

fn mutate(rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = base.to_vec();
    for _ in 0..1 + rng.below(8) {
        let len = m.len().max(1);
        match rng.below(6) {
            0 => {
                let i = rng.below(len);
                if i < m.len() {
                    m[i] = rng.next() as u8;
                }
            }
            1 => {
                let i = rng.below(len);
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                let at = i.min(m.len());
                m.splice(at..at, ins.iter().copied());
            }
            2 => {
                let a = rng.below(len).min(m.len());
                let b = (a + rng.below(64)).min(m.len());
                m.drain(a..b);
            }
            3 => m.truncate(rng.below(len)),
            4 => {
                let a = rng.below(other.len().max(1)).min(other.len());
                let b = (a + rng.below(512)).min(other.len());
                let at = rng.below(len).min(m.len());
                m.splice(at..at, other[a..b].iter().copied());
            }
            _ => {
                let i = rng.below(len).min(m.len());
                m.insert(i, b"\r\n:<>@.-"[rng.below(8)]);
            }
        }
    }
    m
}

#[test]
fn mutated_corpus_messages_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora");
    let msgs: Vec<Vec<u8>> = eval::corpus_files(&root)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(msgs.len() > 700);
    let mut rng = Rng(0x5EED_CAFE_F00D_u64);
    for n in 0..4000 {
        let base = &msgs[rng.below(msgs.len())];
        let other = &msgs[rng.below(msgs.len())];
        let m = mutate(&mut rng, base, other);
        let c = classify(&m);
        let meta = parse_meta(&m);
        let _ = normalize_subject(&meta.subject);
        assert!(
            c.failed_recipients.iter().all(|r| *r == r.to_lowercase()),
            "case {n}"
        );
    }
}

/// Found by `mutated_corpus_messages_never_panic`: a quoted `Message-ID` line whose 11th byte
/// falls inside a multi-byte character used to panic in `parse_meta`.
#[test]
fn quoted_header_line_with_multibyte_char_at_the_cut_does_not_panic() {
    let raw = "Subject: x\nFrom: a@b.example\n\nMessage-ID\u{e9} <a@b>\nTo\u{e9} x\n";
    let meta = parse_meta(raw.as_bytes());
    assert!(meta.embedded_message_ids.is_empty());
    let _ = classify(raw.as_bytes());
}

#[test]
fn degenerate_inputs_never_panic() {
    for raw in [
        &b""[..],
        b"\n",
        b"\r\n\r\n",
        b":",
        b"From:",
        b"\xff\xff\xff",
        b"Subject: =?utf-8?b?",
        b"a: b\n\n\xc3",
    ] {
        let c = classify(raw);
        let _ = parse_meta(raw);
        let _ = c.class;
    }
    assert!(classify(b"").parse_error);
}

/// Found by `cargo fuzz run parse_classify` (debug assertions on): a cut multipart boundary in a
/// nested message trips a `debug_assert!` inside mail-parser. Classification must survive it.
#[test]
fn fuzz_found_cut_multipart_boundary_does_not_panic() {
    let raw = include_bytes!("fuzz-regressions/mail-parser-multipart-debug-assert.eml");
    let c = classify(raw);
    assert!(c.parse_error || c.class.is_bounce(), "{c:?}");
    let _ = parse_meta(raw);
}
