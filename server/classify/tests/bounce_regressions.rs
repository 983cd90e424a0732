//! Misclassifications found on the labelled corpora, pinned as one table: each group names
//! what the classifier got wrong (a sentence), why the answer is what it is (the comment), and
//! rows of (message file, what it must say now). One [`check`] reads every row; a failure
//! lists every row that broke, with the whole classification.
//!
//! Adding a regression is adding a row: `bsd(NAME)` is a file of sisimai's `maildir/bsd`,
//! `corpus(PATH)` any file under `tests/corpora`, `file(NAME)` a message written for this table
//! in `tests/regressions` (messages live in files, not in Rust literals). Then say what must
//! hold: `.is(Class)` or `.bounce()` (any bounce class), `.to(&[..])` (the failed recipients,
//! in order) or `.to_any_order(&[..])`, `.status(CODE)`, `.with(&[signals])`,
//! `.without(&[signals])`, `.cause(GROUP)` (the first `cause:` signal of a delay notice).
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

use std::path::Path;

use sequencer_classify::{classify, Class, Classification};
use Class::{BounceHard, BouncePolicy, BounceSoft, DelayNotice, ListMail};

/// Where a row's message comes from.
#[derive(Clone, Copy)]
enum Input {
    /// A path under `tests/corpora`.
    Corpus(&'static str),
    /// A file of `tests/corpora/sisimai-set-of-emails/maildir/bsd`.
    Bsd(&'static str),
    /// A file of `tests/regressions` (a message written for this table).
    File(&'static str),
}

/// What a row expects of the class.
#[derive(Clone, Copy)]
enum Is {
    /// Exactly this class.
    Class(Class),
    /// One of the three bounce classes.
    Bounce,
}

/// One message and everything that must hold for it; `None` / empty means "not checked".
#[derive(Clone, Copy)]
struct Row {
    input: Input,
    class: Option<Is>,
    /// The failed recipients, and whether their order counts.
    recipients: Option<(&'static [&'static str], bool)>,
    status: Option<&'static str>,
    with: &'static [&'static str],
    without: &'static [&'static str],
    cause: Option<&'static str>,
}

const fn row(input: Input) -> Row {
    Row {
        input,
        class: None,
        recipients: None,
        status: None,
        with: &[],
        without: &[],
        cause: None,
    }
}

const fn bsd(name: &'static str) -> Row {
    row(Input::Bsd(name))
}

const fn corpus(path: &'static str) -> Row {
    row(Input::Corpus(path))
}

const fn file(path: &'static str) -> Row {
    row(Input::File(path))
}

impl Row {
    const fn is(self, class: Class) -> Row {
        Row {
            class: Some(Is::Class(class)),
            ..self
        }
    }
    const fn bounce(self) -> Row {
        Row {
            class: Some(Is::Bounce),
            ..self
        }
    }
    const fn to(self, recipients: &'static [&'static str]) -> Row {
        Row {
            recipients: Some((recipients, true)),
            ..self
        }
    }
    const fn to_any_order(self, recipients: &'static [&'static str]) -> Row {
        Row {
            recipients: Some((recipients, false)),
            ..self
        }
    }
    const fn status(self, status: &'static str) -> Row {
        Row {
            status: Some(status),
            ..self
        }
    }
    const fn with(self, signals: &'static [&'static str]) -> Row {
        Row {
            with: signals,
            ..self
        }
    }
    const fn without(self, signals: &'static [&'static str]) -> Row {
        Row {
            without: signals,
            ..self
        }
    }
    const fn cause(self, cause: &'static str) -> Row {
        Row {
            cause: Some(cause),
            ..self
        }
    }

    fn name(&self) -> String {
        match self.input {
            Input::Corpus(p) => p.to_string(),
            Input::Bsd(n) => n.to_string(),
            Input::File(p) => p.to_string(),
        }
    }

    fn classify(&self) -> Classification {
        let read = |rel: &str| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join(rel);
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        match self.input {
            Input::Corpus(p) => classify(&read(&format!("corpora/{p}"))),
            Input::Bsd(n) => classify(&read(&format!(
                "corpora/sisimai-set-of-emails/maildir/bsd/{n}"
            ))),
            Input::File(n) => classify(&read(&format!("regressions/{n}"))),
        }
    }
}

/// Every expectation of `row` that does not hold, one line each (empty: the row holds).
/// `checked` counts the expectations looked at.
fn check(row: &Row, checked: &mut usize) -> Vec<String> {
    let c = row.classify();
    let mut wrong = Vec::new();
    let mut expect = |ok: bool, what: String| {
        *checked += 1;
        if !ok {
            wrong.push(what);
        }
    };
    match row.class {
        Some(Is::Class(class)) => expect(c.class == class, format!("class {class:?}")),
        Some(Is::Bounce) => expect(c.class.is_bounce(), "a bounce class".into()),
        None => {}
    }
    if let Some((want, ordered)) = row.recipients {
        let mut got = c.failed_recipients.clone();
        if !ordered {
            got.sort();
        }
        expect(got == want, format!("failed recipients {want:?}"));
    }
    if let Some(status) = row.status {
        expect(
            c.bounce_status.as_deref() == Some(status),
            format!("status {status}"),
        );
    }
    for s in row.with {
        expect(c.signals.iter().any(|x| x == s), format!("signal {s}"));
    }
    for s in row.without {
        expect(!c.signals.iter().any(|x| x == s), format!("no signal {s}"));
    }
    if let Some(cause) = row.cause {
        let first = c
            .signals
            .iter()
            .find_map(|s| s.strip_prefix("cause:"))
            .map(str::to_string);
        expect(first.as_deref() == Some(cause), format!("cause:{cause}"));
    }
    if wrong.is_empty() {
        return wrong;
    }
    vec![format!(
        "{}: expected {}; got {c:?}",
        row.name(),
        wrong.join(", ")
    )]
}

/// The regressions: (what must hold, in a sentence; the rows that show it).
const TABLE: &[(&str, &[Row])] = &[
    // Action and Status written before the recipient fields, no blank line between blocks:
    // both recipients used to collapse into one.
    (
        "DSN blocks with Action first keep every recipient",
        &[bsd("lhost-messagingserver-03.eml")
            .bounce()
            .to_any_order(&["mikeneko@example.org", "sabineko@example.org"])],
    ),
    // `Final-Recipient: rfc822;@smtp.example.net:kijitora@server` is a source route to an
    // internal host; the Original-Recipient is the address that failed.
    (
        "a source-routed Final-Recipient falls back to the Original-Recipient",
        &[
            bsd("lhost-messagingserver-02.eml").to(&["kijitora@example.net"]),
            corpus("php-bounce-handler-zoonru/eml/12.eml").to(&["andressaravia@fibertel.com.ar"]),
        ],
    ),
    // `Final-Recipient: RFC822; @mx.example.org` has no mailbox: read the human text instead.
    (
        "a domain-only Final-Recipient falls back to the text",
        &[bsd("lhost-sendmail-15.eml").to(&["kijitora@example.org"])],
    ),
    // A quoted local part names the same mailbox unquoted; an RFC 2047 encoded-word local
    // part keeps its leading `=`.
    (
        "quoted and encoded local parts",
        &[
            bsd("lhost-postfix-32.eml").to(&["neko....nyaan....@libsisimai.org"]),
            bsd("lhost-sendmail-25.eml").to(&["=?utf-8?b?8j+qipcfkig=?=@example.org"]),
        ],
    ),
    // A failure list line that is only the address names it even when it is the bounce's own
    // To (qmail, Exim) or a role address of another host (Biglobe, DragonFly).
    (
        "listed addresses count even when they look like the sender",
        &[
            bsd("lhost-qmail-08.eml").to(&["shironeko@example.ad.jp"]),
            bsd("lhost-einsundeins-03.eml").to(&["xxxx@xxxx.fr"]),
            bsd("lhost-biglobe-01.eml").to(&["postmaster@mxr.biglobe.ne.jp"]),
            bsd("lhost-dragonfly-04.eml").to(&["postmaster@cx.libsisimai.org"]),
        ],
    ),
    // Sendmail v5 transcripts list each failure as `554 <user@host>... 550 Host unknown`.
    (
        "Sendmail transcript lines name every recipient",
        &[bsd("lhost-v5sendmail-04.eml")
            .to_any_order(&["kijitora@example.ed.jp", "mikeneko@example.ac.jp"])],
    ),
    // A `boundary=` parameter on its own unfolded line leaves mail-parser no readable part;
    // the raw body is read instead (Verizon / Apache James bounces used to be human replies).
    (
        "a broken MIME structure still reads the body",
        &[bsd("lhost-verizon-02.eml")
            .bounce()
            .to(&["may-be-straycat-nyaaaaaan@vtext.com"])],
    ),
    // "The original message was received at ..." is Sendmail's preamble, not the start of
    // the original: the `>>> DATA` / `<<< 550 Unknown user` transcript after it is read, and
    // an unknown user said to DATA is a filter (policy), not a dead address.
    (
        "a Courier transcript after the preamble is read",
        &[bsd("lhost-courier-02.eml")
            .is(BouncePolicy)
            .with(&["smtp:data"])],
    ),
    // "(in reply to\n    RCPT TO command)" folded across lines still names RCPT TO.
    (
        "a folded command phrase is recognised",
        &[bsd("lhost-postfix-36.eml")
            .is(BounceHard)
            .with(&["smtp:rcpt"])],
    ),
    // "Failed addresses follow" bodies from a MAILER-DAEMON are bounces.
    (
        "\"failed addresses follow\" is a bounce",
        &[bsd("rfc3464-37.eml")
            .is(BounceHard)
            .to(&["kijitora@neko.nyaan.example.com"])],
    ),
    // Google Groups refuses a post with a localized notice and no status (here in Arabic):
    // the list refused this sender, which says nothing about the address.
    (
        "a Google Groups refusal is policy",
        &[bsd("lhost-googlegroups-03.eml")
            .is(BouncePolicy)
            .with(&["list:google-groups"])],
    ),
    // RFC 3463 X.7.13 is "User Account Disabled": the mailbox is gone for outreach (hard),
    // not a security refusal of the sender.
    (
        "status 5.7.13 is a disabled account",
        &[bsd("lhost-dragonfly-21.eml")
            .is(BounceHard)
            .with(&["reason:suspend"])],
    ),
    // A permanent failure whose reason nothing names is a policy bounce: the contact is
    // unenrolled but the address is not marked bad on no evidence.
    (
        "an unexplained permanent failure does not mark the address",
        &[bsd("lhost-exim-49.eml")
            .is(BouncePolicy)
            .with(&["reason:undefined"])],
    ),
    // Gmail's "DNS type 'mx' lookup ... responded with code NOERROR" is a domain that takes
    // no mail: hard, even though Gmail frames it with a 4.0.0 status.
    (
        "a no-MX answer is hard despite a 4xx status",
        &[bsd("rhost-gsuite-03.eml")
            .is(BounceHard)
            .with(&["reason:notaccept"])],
    ),
    // `Status: 5.0.0` with the server's own `550 5.7.26 ...` in the diagnostic: the specific
    // code wins (authentication failure, policy).
    (
        "a specific code in the diagnostic beats a generic status",
        &[bsd("lhost-opensmtpd-11.eml")
            .is(BouncePolicy)
            .status("5.7.26")],
    ),
    // Wordings with no status code that still name the reason: quota (soft), Exchange 5.5's
    // unrecognized recipient (hard), Exim's null-MX (hard), a locked account (hard).
    (
        "reason wordings without codes",
        &[
            corpus("php-bounce-handler-zoonru/eml/26.eml").is(BounceSoft),
            bsd("lhost-exchange2003-07.eml").is(BounceHard),
            bsd("lhost-mailru-05.eml").is(BounceHard),
            bsd("lhost-qmail-10.eml").is(BounceHard),
        ],
    ),
    // "User unknown" with no SMTP stage and no addressing code is a gateway's filter wording
    // (policy); the Postfix RCPT wording `<user@host>: User unknown` stays a bad address.
    (
        "a stage-less unknown user is a filter but the RCPT wording is not",
        &[
            bsd("lhost-mcafee-01.eml")
                .is(BouncePolicy)
                .with(&["reason:filtered"]),
            bsd("lhost-x1-01.eml")
                .is(BouncePolicy)
                .with(&["reason:filtered"]),
            bsd("lhost-mxlogic-03.eml")
                .is(BouncePolicy)
                .with(&["reason:filtered"]),
            bsd("rhost-gsuite-09.eml").is(BounceHard),
        ],
    ),
    // Diagnostic type X-Unix: the receiving side's delivery program failed (soft), whatever
    // the status says; "Denied by policy" / "Host network not allowed" are policy refusals.
    (
        "mailer errors are soft and policy denials are policy",
        &[
            bsd("lhost-postfix-01.eml")
                .is(BounceSoft)
                .with(&["reason:mailererror"]),
            bsd("lhost-postfix-42.eml").is(BouncePolicy),
            bsd("rhost-mimecast-01.eml").is(BouncePolicy),
        ],
    ),
    // Postfix's "Recipient address rejected:" prefix and a transcript's "RCPT TO" only say
    // where the refusal happened; the words after them name the reason (here a mailer error,
    // soft).
    (
        "refusal prefixes yield to the reason that follows",
        &[bsd("lhost-dragonfly-13.eml")
            .is(BounceSoft)
            .with(&["reason:mailererror"])],
    ),
    // `Final-Recipient: RFC822; ...` is DSN syntax, not a complaint about RFC 822 compliance.
    (
        "the RFC822 address type is not a compliance complaint",
        &[bsd("rfc3464-04.eml")
            .is(BounceSoft)
            .without(&["reason:notcompliantrfc"])],
    ),
    // An explicit "this user doesn't have an account" said at DATA is still a bad address:
    // only the generic "unknown user" wording at DATA is a filter's.
    (
        "an explicit no-account at DATA stays hard",
        &[bsd("lhost-sendmail-41.eml")
            .is(BounceHard)
            .with(&["smtp:data"])],
    ),
    // "SMTP:RCPT host ...: 553 5.3.0 <addr>... No such user here": 5.3.0 is generic, the
    // RCPT stage and the words say the address is bad.
    (
        "a generic 5.3.0 yields to the words",
        &[bsd("lhost-x3-01.eml").is(BounceHard).with(&["smtp:rcpt"])],
    ),
    // "550 5.7.1 No such user!" after RCPT TO: the words say the mailbox does not exist,
    // which beats the security-class code; "the recipient account is blocked" is a disabled
    // account.
    (
        "an RCPT-stage no such user and blocked accounts are hard",
        &[
            corpus("php-bounce-handler-zoonru/eml/fixture_bounce_001.eml").is(BounceHard),
            bsd("rhost-franceptt-05.eml")
                .is(BounceHard)
                .with(&["reason:suspend"]),
        ],
    ),
    // Microsoft answers an unknown recipient with "5.4.1 Recipient address rejected: Access
    // denied" (directory-based edge blocking): RFC 3463's X.4.1 "no answer from host" does
    // not apply, the words decide (hard).
    (
        "Microsoft's 5.4.1 access denied is an unknown recipient",
        &[bsd("lhost-mimecast-01.eml")
            .is(BounceHard)
            .with(&["reason:userunknown"])],
    ),
    // A gateway's own notice says only "could not be delivered" and attaches, as
    // message/rfc822, the bounce it got from the next hop: a delivery report (X5) or a
    // Sendmail transcript (InterScan). The wrapped bounce gives the reason and the recipient;
    // the outer notice's Received lines (`for <shironeko@...>`) must not.
    (
        "a bounce wrapped by a gateway gives the reason",
        &[
            bsd("lhost-x5-01.eml")
                .is(BounceHard)
                .to(&["kijitora@neko.example.org"])
                .with(&["wrapped:bounce"]),
            bsd("lhost-trendmicro-03.eml")
                .is(BounceHard)
                .to(&["kijitora@example.jp"])
                .status("5.1.1"),
        ],
    ),
    // RFC 3463 X.3.2 "System not accepting network messages" in its permanent form: the host
    // takes no mail, like a null MX.
    (
        "a permanent 5.3.2 means the host takes no mail",
        &[bsd("lhost-dragonfly-16.eml").is(BounceHard).status("5.3.2")],
    ),
    // `Action: failed` on `450 4.1.1 ... User unknown in virtual alias table`: the reporting
    // MTA gave up on a mailbox that does not exist; a retry cannot succeed.
    (
        "a failed Action on 4.1.1 user unknown is hard",
        &[bsd("lhost-postfix-05.eml").is(BounceHard)],
    ),
    // Refused before any address was looked at: Postfix "server refused to talk to me",
    // iCloud "ESMTP not accepting connections", qmail "my name was rejected" (HELO), a relay
    // refusal, and Yahoo's TSS04 deferral for "user complaints" (4.7.0). The sender is
    // refused, whatever the status class says.
    (
        "refusals of the sending host are policy",
        &[
            bsd("lhost-postfix-49.eml").is(BouncePolicy),
            bsd("lhost-postfix-50.eml").is(BouncePolicy),
            bsd("lhost-sendmail-56.eml").is(BouncePolicy),
            bsd("lhost-qmail-04.eml").is(BouncePolicy),
            bsd("lhost-postfix-44.eml").is(BouncePolicy),
            bsd("lhost-postfix-74.eml").is(BouncePolicy),
            bsd("rhost-yahooinc-02.eml").is(BouncePolicy),
        ],
    ),
    // Transient causes in words no status backs: a receiving server without TLS (Gmail: "500
    // Remote server does not support TLS") and IMail giving up ("Delivery failed 20
    // attempts").
    (
        "missing TLS and exhausted retries are soft",
        &[
            bsd("lhost-gmail-07.eml").is(BounceSoft),
            bsd("lhost-imailserver-04.eml").is(BounceSoft),
        ],
    ),
    // cPanel's Exim: "The account or domain may not exist, they may be blacklisted, or
    // missing the proper dns entries". The first guess is what it saw; "blacklisted" is a
    // hedge.
    (
        "cPanel's \"may not exist\" is hard",
        &[bsd("lhost-exim-31.eml").is(BounceHard)],
    ),
    // fml refusing a post from a non-member: no bounce headers, only the list manager's
    // notice. The list is unreachable for this sender (policy, like the list hosts of
    // `list_refusal`), and the failed address is the list named on the refusal's line, not
    // its `-ctl` address.
    (
        "a list manager refusing a non-member is policy for the list",
        &[bsd("lhost-fml-02.eml")
            .is(BouncePolicy)
            .to(&["neko-nyaan@example.org"])
            .with(&["list:refused-post"])],
    ),
    // A list's own mail that talks about members, even in a refusal's words, is list mail:
    // only the list manager's address sends refusal notices.
    (
        "list mail about members is not a refusal",
        &[
            file("list-digest-about-members.eml").is(ListMail),
            file("list-reminder-not-allowed-to-post.eml").is(ListMail),
        ],
    ),
    // A delay notice stays a delay notice, but says why it is delayed (`cause:*`): Exim's
    // "Delay reason: ... 450 service permits 2 unverifyable sending IPs" refuses the sender, a
    // notice with no stated cause is merely temporary, and an antivirus footer ("analizado
    // con NOD32 antivirus") is not a virus finding: phrases start a word.
    (
        "delay notices state their cause",
        &[
            bsd("lhost-exim-38.eml").is(DelayNotice).cause("policy"),
            corpus("php-bounce-handler-zoonru/eml/46.eml")
                .is(DelayNotice)
                .cause("soft")
                .without(&["reason:virusdetected"]),
            bsd("lhost-gmail-06.eml").is(DelayNotice).cause("soft"),
        ],
    ),
    // The mailbox server's own "Unknown user: name" (IMail, Sendmail's mail.local) names a
    // missing mailbox; only the stage-less generic wording is a filter's.
    (
        "a mailbox server's \"Unknown user:\" is hard",
        &[
            bsd("lhost-imailserver-01.eml").is(BounceHard),
            bsd("rfc3464-06.eml").is(BounceHard),
        ],
    ),
    // qmail appends its own guess, `(#5.1.1)`, to the remote server's words: "mailbox ... is
    // over quota temporarily (#5.1.1)" is a full mailbox; its DNS failure wording ("couldn't
    // find a mail exchanger or IP address") is a missing domain, not an IP refusal.
    (
        "qmail's guessed codes yield to the words",
        &[
            bsd("lhost-mailfoundry-02.eml").is(BounceSoft),
            bsd("lhost-qmail-11.eml").is(BounceHard),
            bsd("lhost-qmail-12.eml").is(BounceHard),
        ],
    ),
    // Gmail's "DNS type 'mx' lookup ... had no relevant answers" (no record at all, retried
    // as 4.0.0) is transient; a bare NOERROR answer for a null-MX domain stays "accepts no
    // mail".
    (
        "no DNS answer is transient but a null MX is hard",
        &[
            bsd("rfc3464-62.eml").is(BounceSoft),
            bsd("rhost-gsuite-13.eml").is(BounceSoft),
            bsd("rhost-gsuite-03.eml").is(BounceHard),
        ],
    ),
];

#[test]
fn every_pinned_misclassification_stays_fixed() {
    let mut checked = 0;
    let wrong: Vec<String> = TABLE
        .iter()
        .flat_map(|(what, rows)| {
            rows.iter()
                .flat_map(|r| check(r, &mut checked))
                .map(move |line| format!("{what}: {line}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of the pinned regressions broke:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The helper itself can fail: a row that expects the wrong class, recipient, status,
/// signal or cause is reported, once per row, naming the file and every broken expectation.
#[test]
fn a_row_that_no_longer_holds_is_reported_with_what_broke() {
    let mut checked = 0;
    let ok = bsd("lhost-trendmicro-03.eml")
        .is(BounceHard)
        .to(&["kijitora@example.jp"])
        .status("5.1.1");
    assert!(check(&ok, &mut checked).is_empty());
    let broken = bsd("lhost-trendmicro-03.eml")
        .is(BounceSoft)
        .to(&["someone@else.example"])
        .status("4.0.0")
        .with(&["no-such-signal"])
        .cause("soft");
    let lines = check(&broken, &mut checked);
    assert_eq!(lines.len(), 1, "{lines:?}");
    for part in [
        "lhost-trendmicro-03.eml",
        "class BounceSoft",
        "failed recipients [\"someone@else.example\"]",
        "status 4.0.0",
        "signal no-such-signal",
        "cause:soft",
    ] {
        assert!(lines[0].contains(part), "{part} missing from {lines:?}");
    }
    assert_eq!(checked, 3 + 5);
}
