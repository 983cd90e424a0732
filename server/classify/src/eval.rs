//! Evaluation against the labelled corpora (feature `eval`). The only module of this crate
//! that does IO: it reads the corpus folders and their label files, runs [`crate::classify`]
//! on every message, and scores the results. Used by the threshold test and the `eval` and
//! `throughput` examples; dev-only, no production crate enables the feature.
//!
//! Scoring (one unit = one message file):
//! - bounce detected: a labelled bounce (any reason but `feedback`, `vacation`, `delivered`)
//!   is classed `bounce_hard`, `bounce_soft` or `bounce_policy`, or `delay_notice` when the
//!   message itself says `Action: delayed` (the issue: "`Action: delayed` is only a delay
//!   notice"; Sisimai labels these by the delay's cause). The report also gives the figure
//!   without them;
//! - recipient right: our failed recipients equal the labelled set (case-insensitive);
//! - group agreement: hard/soft/policy equals the label's group (corpus README grouping,
//!   `suspend` counted as hard; `onhold`/`undefined` rows are not scored). Maintainer labels
//!   win over Sisimai-derived hints where both exist; a delay notice is graded by the cause
//!   it cites (its `cause:hard|soft|policy` signal: Sisimai labels delays by their cause, and
//!   a delay with no stated cause is soft), and the report also prints the figure with
//!   every delay notice counted as soft; a
//!   "no longer in use" auto-reply (`left_company`) agrees with a `suspend` label (the corpus
//!   README: "Treat it like an invalid contact; Sisimai now calls this `suspend`");
//! - auto-reply samples: class and return date exactly as in `ooo-autoreply-samples/labels.tsv`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::{classify, Class, Classification};

/// Scores per metric, plus the files that missed (for debugging and review).
#[derive(Debug, Default)]
pub struct EvalReport {
    pub bounces: usize,
    pub bounces_detected: usize,
    /// Of the detected, how many are delay notices (`Action: delayed`) rather than bounces.
    pub bounces_as_delay: usize,
    pub recipients_scored: usize,
    pub recipients_right: usize,
    pub groups_scored: usize,
    pub groups_agree: usize,
    /// Agreement if every delay notice counted as soft whatever cause it cites (the figure
    /// before delay causes were read), for comparison.
    pub groups_agree_delay_as_soft: usize,
    pub autoreplies: usize,
    pub autoreplies_right: usize,
    pub non_bounces: usize,
    pub non_bounces_right: usize,
    pub messages: usize,
    pub misses: Vec<String>,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

impl EvalReport {
    pub fn bounce_pct(&self) -> f64 {
        pct(self.bounces_detected, self.bounces)
    }
    pub fn recipient_pct(&self) -> f64 {
        pct(self.recipients_right, self.recipients_scored)
    }
    pub fn group_pct(&self) -> f64 {
        pct(self.groups_agree, self.groups_scored)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "messages classified:            {}", self.messages)?;
        writeln!(f, "labelled bounces classed bounce: {}/{} = {:.1}% (of which delay notices: {}; bounce classes only: {:.1}%)", self.bounces_detected, self.bounces, self.bounce_pct(), self.bounces_as_delay, pct(self.bounces_detected - self.bounces_as_delay, self.bounces))?;
        writeln!(
            f,
            "failed recipient right:         {}/{} = {:.1}%",
            self.recipients_right,
            self.recipients_scored,
            self.recipient_pct()
        )?;
        writeln!(
            f,
            "hard/soft/policy agreement:     {}/{} = {:.2}% (delay notices graded by the cause they cite; all counted soft: {:.2}%)",
            self.groups_agree,
            self.groups_scored,
            self.group_pct(),
            pct(self.groups_agree_delay_as_soft, self.groups_scored)
        )?;
        writeln!(
            f,
            "auto-reply samples right:       {}/{}",
            self.autoreplies_right, self.autoreplies
        )?;
        writeln!(
            f,
            "non-bounces not classed bounce: {}/{}",
            self.non_bounces_right, self.non_bounces
        )
    }
}

/// Outreach group of a Sisimai reason; `None` when the reason is not a scored failure.
pub fn reason_group(reason: &str) -> Option<Class> {
    Some(match reason {
        "userunknown" | "hostunknown" | "hasmoved" | "notaccept" | "suspend" => Class::BounceHard,
        "mailboxfull" | "expired" | "systemerror" | "systemfull" | "networkerror"
        | "toomanyconn" | "speeding" | "exceedlimit" | "mesgtoobig" | "mailererror"
        | "failedstarttls" => Class::BounceSoft,
        "blocked" | "badreputation" | "spamdetected" | "virusdetected" | "policyviolation"
        | "authfailure" | "requireptr" | "rejected" | "securityerror" | "norelaying"
        | "notcompliantrfc" | "contenterror" | "filtered" | "syntaxerror" => Class::BouncePolicy,
        _ => return None,
    })
}

/// One labelled bounce file.
struct Expect {
    path: PathBuf,
    recipients: Vec<String>,
    group: Option<Class>,
    bounce: bool,
    /// Labelled `suspend` (mailbox disabled / no longer in use).
    suspend: bool,
}

fn tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.trim().to_string()))
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a BTreeMap<String, String>, k: &str) -> &'a str {
    row.get(k).map(String::as_str).unwrap_or_default()
}

fn expectations(root: &Path) -> Vec<Expect> {
    let mut out: Vec<Expect> = Vec::new();
    let sis = root.join("sisimai-set-of-emails");
    for row in tsv(&sis.join("labels.tsv")) {
        let reason = get(&row, "expected_reason");
        let path = sis.join("maildir/bsd").join(get(&row, "file"));
        let bounce = !matches!(reason, "feedback" | "vacation" | "delivered");
        let rcpt = get(&row, "observed_recipient").to_lowercase();
        match out.last_mut() {
            Some(e) if e.path == path => {
                if !rcpt.is_empty() && !e.recipients.contains(&rcpt) {
                    e.recipients.push(rcpt);
                }
            }
            _ => out.push(Expect {
                path,
                recipients: if rcpt.is_empty() { vec![] } else { vec![rcpt] },
                group: reason_group(reason),
                bounce,
                suspend: reason == "suspend",
            }),
        }
    }
    let zoo = root.join("php-bounce-handler-zoonru");
    for row in tsv(&zoo.join("expected.tsv")) {
        let reason = get(&row, "sisimai_observed_reason");
        let fbl = get(&row, "zoonru_expected_type") == "fbl";
        let bounce = !fbl
            && !matches!(
                reason,
                "feedback" | "vacation" | "delivered" | "NOT-DECODED"
            );
        let rcpt = match get(&row, "zoonru_expected_recipient") {
            "" => get(&row, "sisimai_observed_recipient"),
            r => r,
        };
        let group = match get(&row, "zoonru_expected_action") {
            "transient" => Some(Class::BounceSoft),
            _ => reason_group(reason),
        };
        out.push(Expect {
            path: zoo.join("eml").join(get(&row, "file")),
            recipients: vec![rcpt.to_lowercase()],
            group,
            bounce,
            suspend: reason == "suspend",
        });
    }
    let rb = root.join("ruby-bounce_email");
    for row in tsv(&rb.join("expected.tsv")) {
        let group = match get(&row, "expected_type") {
            "hard" => Some(Class::BounceHard),
            "soft" => Some(Class::BounceSoft),
            _ => reason_group(get(&row, "sisimai_observed_reason")),
        };
        out.push(Expect {
            path: rb.join(get(&row, "file")),
            recipients: vec![get(&row, "sisimai_observed_recipient").to_lowercase()],
            group,
            bounce: get(&row, "expected_bounced") == "true",
            suspend: get(&row, "sisimai_observed_reason") == "suspend",
        });
    }
    out
}

/// Classifies one file (empty bytes if unreadable).
pub fn classify_file(path: &Path) -> Classification {
    classify(&std::fs::read(path).unwrap_or_default())
}

/// Runs the classifier over the corpora at `corpora_root` and scores it.
pub fn evaluate(corpora_root: &Path) -> EvalReport {
    let mut r = EvalReport::default();
    for e in expectations(corpora_root) {
        let c = classify_file(&e.path);
        r.messages += 1;
        let name = e.path.display().to_string();
        if !e.bounce {
            r.non_bounces += 1;
            if c.class.is_bounce() {
                r.misses.push(format!("false-bounce {name}: {:?}", c.class));
            } else {
                r.non_bounces_right += 1;
            }
            continue;
        }
        r.bounces += 1;
        if c.class.is_bounce() {
            r.bounces_detected += 1;
        } else if c.class == Class::DelayNotice {
            r.bounces_detected += 1;
            r.bounces_as_delay += 1;
        } else {
            r.misses
                .push(format!("not-bounce {name}: {:?} {:?}", c.class, c.signals));
        }
        let want: Vec<String> = e
            .recipients
            .iter()
            .filter(|x| !x.is_empty())
            .cloned()
            .collect();
        if !want.is_empty() {
            r.recipients_scored += 1;
            let mut got = c.failed_recipients.clone();
            got.sort();
            got.dedup();
            let mut w = want.clone();
            w.sort();
            if got == w {
                r.recipients_right += 1;
            } else {
                r.misses
                    .push(format!("recipient {name}: want {w:?} got {got:?}"));
            }
        }
        if let Some(g) = e.group {
            r.groups_scored += 1;
            let cause = |w: &str| {
                c.signals
                    .iter()
                    .any(|s| s.strip_prefix("cause:") == Some(w))
            };
            let same = c.class == g
                || (c.class == Class::DelayNotice
                    && match g {
                        Class::BounceHard => cause("hard"),
                        Class::BounceSoft => cause("soft"),
                        _ => cause("policy"),
                    })
                || (c.class == Class::LeftCompany && e.suspend);
            let same_if_delay_soft = if c.class == Class::DelayNotice {
                g == Class::BounceSoft
            } else {
                same
            };
            r.groups_agree_delay_as_soft += usize::from(same_if_delay_soft);
            if same {
                r.groups_agree += 1;
            } else {
                r.misses.push(format!(
                    "group {name}: want {g:?} got {:?} {:?}",
                    c.class, c.signals
                ));
            }
        }
    }
    autoreplies(corpora_root, &mut r);
    r
}

/// `(file, class, expected_return_date)` of the auto-reply samples, and whether each is right.
pub fn autoreply_results(root: &Path) -> Vec<(String, bool, String)> {
    let dir = root.join("ooo-autoreply-samples");
    tsv(&dir.join("labels.tsv"))
        .iter()
        .map(|row| {
            let file = get(row, "file").to_string();
            let c = classify_file(&dir.join(&file));
            let want_date = get(row, "expected_return_date")
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let class_ok = match get(row, "class") {
                "ooo" => c.class == Class::Ooo,
                "auto_reply_other" => c.class == Class::AutoReplyOther,
                "other_not_autoreply" => {
                    !matches!(
                        c.class,
                        Class::Ooo | Class::AutoReplyOther | Class::LeftCompany
                    ) && !c.class.is_bounce()
                }
                s if s.starts_with("left_company") => c.class == Class::LeftCompany,
                _ => false,
            };
            let date_ok = if want_date.ends_with('Z') {
                c.return_at
                    .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    == Some(want_date.clone())
            } else if want_date.len() == 10 && want_date.as_bytes()[4] == b'-' {
                c.return_date.map(|d| d.to_string()) == Some(want_date.clone())
            } else {
                c.return_date.is_none() && c.return_at.is_none()
            };
            let got = format!(
                "{} {:?} {:?} {:?}",
                c.class.as_str(),
                c.return_date,
                c.return_at,
                c.signals
            );
            (
                file,
                class_ok && date_ok,
                format!("want {} {want_date}; got {got}", get(row, "class")),
            )
        })
        .collect()
}

fn autoreplies(root: &Path, r: &mut EvalReport) {
    for (file, ok, detail) in autoreply_results(root) {
        r.autoreplies += 1;
        if ok {
            r.autoreplies_right += 1;
        } else {
            r.misses.push(format!("autoreply {file}: {detail}"));
        }
    }
}

/// Every message file under the corpora (for throughput and robustness runs).
pub fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("eml" | "txt"))
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("LICENSE"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
