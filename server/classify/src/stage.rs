//! The SMTP stage of a failure (which command the refusal answered) and the corrections it
//! makes to the reason the words and codes gave: RFC 5321 refuses recipients at RCPT TO, so an
//! "unknown user" said anywhere else is a filter's wording, and a refused MAIL FROM says nothing
//! about the recipient.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::matcher::build;
use crate::reason::{self, Group};
use crate::text;

/// The SMTP command a failure was the reply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Mail,
    Rcpt,
    Data,
}

impl Command {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Command::Mail => "mail",
            Command::Rcpt => "rcpt",
            Command::Data => "data",
        }
    }
}

/// How MTAs name the command a reply answered: Postfix "(in reply to RCPT TO command)",
/// Exim "SMTP error from remote mail server after RCPT TO:", Sendmail/qmail "... while
/// talking to ...: >>> RCPT TO", Courier/others "after MAIL FROM".
const COMMAND_PHRASES: &[(&str, Command)] = &[
    ("in reply to rcpt to", Command::Rcpt),
    ("after rcpt to", Command::Rcpt),
    ("in reply to rcpt", Command::Rcpt),
    ("in reply to mail from", Command::Mail),
    ("after mail from", Command::Mail),
    ("in reply to mail", Command::Mail),
    ("in reply to end of data", Command::Data),
    ("in reply to data", Command::Data),
    ("after end of data", Command::Data),
    ("after data", Command::Data),
    ("end of data command", Command::Data),
    // qmail: "most progress was RCPT TO response", "said 550 for RCPT TO response".
    ("rcpt to response", Command::Rcpt),
    // Lotus/X3 style "SMTP:RCPT host 192.0.2.8: 553 ...".
    ("smtp:rcpt host", Command::Rcpt),
];

static COMMAND_AC: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| build(&COMMAND_PHRASES.iter().map(|p| p.0).collect::<Vec<_>>()));

/// The failing command: a phrase naming it, else the last `>>> COMMAND` of a session
/// transcript before the first `<<< 4xx/5xx` reply.
pub(crate) fn failed_command(s: &str) -> Option<Command> {
    // Phrases are often folded across lines ("(in reply to\n    RCPT TO command)").
    let flat = text::unfold(s);
    if let Some(m) = COMMAND_AC.as_ref().and_then(|ac| ac.find(&flat)) {
        return COMMAND_PHRASES.get(m.pattern().as_usize()).map(|p| p.1);
    }
    let mut last: Option<Command> = None;
    for line in s.lines() {
        let l = line.trim_start();
        if let Some(cmd) = l.strip_prefix(">>>") {
            let cmd = cmd.trim_start();
            last = if text::starts_with_ci(cmd, "rcpt") {
                Some(Command::Rcpt)
            } else if text::starts_with_ci(cmd, "mail") {
                Some(Command::Mail)
            } else if text::starts_with_ci(cmd, "data") || cmd == "." {
                Some(Command::Data)
            } else {
                None
            };
        } else if let Some(reply) = l.strip_prefix("<<<") {
            if matches!(reply.trim_start().as_bytes().first(), Some(b'4' | b'5')) {
                return last;
            }
        }
    }
    None
}

/// What [`correct`] weighs besides the reason itself.
pub(crate) struct Facts<'a> {
    pub command: Option<Command>,
    /// The RFC 3463 status chosen for the failure.
    pub status: Option<&'a str>,
    /// The diagnostic, or the human text when there is none.
    pub said: &'a str,
    /// The reporting MTA gave up on the recipient (`Action: failed`).
    pub failed_action: bool,
}

/// The reason and group once the SMTP stage and the status class have had their say.
pub(crate) fn correct(
    (mut reason, mut group): (&'static str, Group),
    f: &Facts<'_>,
) -> (&'static str, Group) {
    if reason == "userunknown" && f.status == Some("5.2.1") && f.command != Some(Command::Rcpt) {
        // RFC 3463 5.2.1 "mailbox disabled, not accepting messages" under an "unknown user"
        // text, not said at RCPT TO: the receiving side filters this sender.
        (reason, group) = ("filtered", Group::Policy);
    }
    // RFC 3463 X.1.x addressing codes that name the destination mailbox (not the host, 5.1.2,
    // nor the sender, 5.1.7/5.1.8); providers add their own details (Microsoft: 5.1.10, 5.1.351).
    let status_says_mailbox = f.status.is_some_and(|s| {
        s.strip_prefix("5.1.")
            .is_some_and(|d| !matches!(d, "2" | "6" | "7" | "8"))
    });
    let said = f.said;
    // "User unknown" / "Unknown user" / "No such user" with no stage and no addressing code is what content
    // filters and gateways say after they accepted the recipient; Postfix-style
    // `<user@host>: User unknown` is the RCPT TO wording and stays a bad address, as does the
    // mailbox server's own `Unknown user: name` (IMail, Sendmail's mail.local).
    let generic_unknown = (text::contains_ci(said, "user unknown")
        || text::contains_ci(said, "unknown user")
        || text::contains_ci(said, "no such user"))
        && !text::contains_ci(&text::unfold(said), ">: user unknown")
        && !text::contains_ci(said, "unknown user:");
    if f.command == Some(Command::Rcpt) && group == Group::Policy && reason != "userunknown" {
        // Refused at RCPT TO in words that say the mailbox does not exist ("550 5.7.1 No such
        // user!"): the words win over a security-class code.
        if let Some(("userunknown", g)) = reason::from_text(said) {
            (reason, group) = ("userunknown", g);
        }
    }
    match f.command {
        // The server refused the envelope sender: nothing is known about the recipient.
        Some(Command::Mail) if group == Group::Hard => {
            (reason, group) = ("rejected", Group::Policy);
        }
        // "Unknown user" said to anything but RCPT TO, without a 5.1.x status backing it,
        // is a content filter's wording (RFC 5321: recipients are refused at RCPT).
        Some(Command::Data)
            if reason == "userunknown" && !status_says_mailbox && generic_unknown =>
        {
            (reason, group) = ("filtered", Group::Policy);
        }
        None if reason == "userunknown" && !status_says_mailbox && generic_unknown => {
            (reason, group) = ("filtered", Group::Policy);
        }
        _ => {}
    }
    // The reporting MTA gave up (`Action: failed`) on a mailbox the next hop said does not
    // exist (X.1.1), even though that hop answered with a 4xx: retrying cannot succeed.
    let gave_up_on_mailbox =
        f.status == Some("4.1.1") && reason == "userunknown" && f.failed_action;
    if group == Group::Hard
        && reason != "notaccept"
        && !gave_up_on_mailbox
        && f.status.is_some_and(|s| s.starts_with('4'))
    {
        // A 4.x.x status is transient by definition (RFC 3463): a DNS lookup that failed
        // temporarily, not an address that does not exist.
        reason = if reason == "hostunknown" {
            "networkerror"
        } else {
            reason
        };
        group = Group::Soft;
    }
    (reason, group)
}
