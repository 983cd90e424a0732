//! Why a delivery failed: a table of diagnostic phrases (what receiving servers and MTAs
//! actually write) and RFC 3463 status codes, mapped onto reasons and their outreach group
//! (hard: the address is bad; soft: temporary; policy: the receiving side refused the sender).
//! Reason names follow Sisimai's vocabulary so they line up with the corpus labels.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Hard,
    Soft,
    Policy,
}

impl Group {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Group::Hard => "hard",
            Group::Soft => "soft",
            Group::Policy => "policy",
        }
    }
}

/// `(phrase, reason, group)`; earlier rows win when several match.
/// Phrases are matched case-insensitively against the diagnostic text.
const PHRASES: &[(&str, &str, Group)] = &[
    // --- mailbox disabled / gone (hard for outreach) ---
    ("mailbox disabled", "suspend", Group::Hard),
    ("mailbox is disabled", "suspend", Group::Hard),
    ("account disabled", "suspend", Group::Hard),
    ("account is disabled", "suspend", Group::Hard),
    ("account has been disabled", "suspend", Group::Hard),
    ("account is inactive", "suspend", Group::Hard),
    ("mailbox is inactive", "suspend", Group::Hard),
    ("mailbox inactive", "suspend", Group::Hard),
    ("account suspended", "suspend", Group::Hard),
    ("account has been suspended", "suspend", Group::Hard),
    ("is deactivated", "suspend", Group::Hard),
    ("has been deactivated", "suspend", Group::Hard),
    (
        "mailbox unavailable or access denied",
        "suspend",
        Group::Hard,
    ),
    ("recipient suspended", "suspend", Group::Hard),
    ("user suspended", "suspend", Group::Hard),
    ("boite du destinataire archivee", "suspend", Group::Hard),
    (
        "email account that you tried to reach is disabled",
        "suspend",
        Group::Hard,
    ),
    (
        "email account that you tried to reach is inactive",
        "suspend",
        Group::Hard,
    ),
    ("is no longer in use", "suspend", Group::Hard),
    ("currently suspended", "suspend", Group::Hard),
    ("account is locked", "suspend", Group::Hard),
    ("account is blocked", "suspend", Group::Hard),
    ("compte du destinataire est bloque", "suspend", Group::Hard),
    // --- full mailbox (soft) ---
    ("mailbox full", "mailboxfull", Group::Soft),
    ("mailbox is full", "mailboxfull", Group::Soft),
    ("mailbox has exceeded", "mailboxfull", Group::Soft),
    ("mailbox exceeds allowed size", "mailboxfull", Group::Soft),
    ("over quota", "mailboxfull", Group::Soft),
    ("overquota", "mailboxfull", Group::Soft),
    ("quota exceeded", "mailboxfull", Group::Soft),
    ("exceeded storage allocation", "mailboxfull", Group::Soft),
    ("exceeded its quota", "mailboxfull", Group::Soft),
    ("exceeds quota", "mailboxfull", Group::Soft),
    ("exceed the quota", "mailboxfull", Group::Soft),
    ("would exceed quota", "mailboxfull", Group::Soft),
    ("over the allowed quota", "mailboxfull", Group::Soft),
    ("insufficient disk space", "mailboxfull", Group::Soft),
    ("not enough storage space", "mailboxfull", Group::Soft),
    ("user has exceeded", "mailboxfull", Group::Soft),
    ("recipient's mailbox is full", "mailboxfull", Group::Soft),
    ("mailfolder is full", "mailboxfull", Group::Soft),
    ("mail box full", "mailboxfull", Group::Soft),
    ("is over its quota", "mailboxfull", Group::Soft),
    ("out of storage", "mailboxfull", Group::Soft),
    ("postbox full", "mailboxfull", Group::Soft),
    ("quota violation", "mailboxfull", Group::Soft),
    ("too much mail data", "mailboxfull", Group::Soft),
    ("user is over quota", "mailboxfull", Group::Soft),
    ("box is full", "mailboxfull", Group::Soft),
    ("full mailbox", "mailboxfull", Group::Soft),
    ("quota usage exceeded", "mailboxfull", Group::Soft),
    ("not have enough space", "mailboxfull", Group::Soft),
    ("disk quota", "mailboxfull", Group::Soft),
    ("size limit", "mailboxfull", Group::Soft),
    (
        "mailbox exceeded the local limit",
        "mailboxfull",
        Group::Soft,
    ),
    (
        "in recipient's mailbox exceeded",
        "mailboxfull",
        Group::Soft,
    ),
    // --- message too big (soft) ---
    ("message too large", "mesgtoobig", Group::Soft),
    ("message is too large", "mesgtoobig", Group::Soft),
    ("message size exceeds", "mesgtoobig", Group::Soft),
    ("message exceeds maximum", "mesgtoobig", Group::Soft),
    ("message too big", "mesgtoobig", Group::Soft),
    ("size exceeds the maximum", "mesgtoobig", Group::Soft),
    ("exceeds size limit", "mesgtoobig", Group::Soft),
    ("message length exceeds", "mesgtoobig", Group::Soft),
    ("line limit exceeded", "mesgtoobig", Group::Soft),
    // Office 365 / Postfix wording for a recipient the directory does not know.
    (
        "recipient address rejected: access denied",
        "userunknown",
        Group::Hard,
    ),
    // --- policy: filters ---
    ("message expired", "expired", Group::Soft),
    ("receiving mail at a rate", "speeding", Group::Soft),
    ("frequency limited", "toomanyconn", Group::Soft),
    ("message filtered", "filtered", Group::Policy),
    ("due to recipient preferences", "filtered", Group::Policy),
    ("purported responsible address", "rejected", Group::Policy),
    // --- policy: authentication ---
    ("spf check", "authfailure", Group::Policy),
    ("spf fail", "authfailure", Group::Policy),
    ("spf validation", "authfailure", Group::Policy),
    ("sender policy framework", "authfailure", Group::Policy),
    ("dmarc", "authfailure", Group::Policy),
    ("dkim", "authfailure", Group::Policy),
    ("is not designated", "authfailure", Group::Policy),
    ("not authorized to send", "authfailure", Group::Policy),
    ("unauthenticated email", "authfailure", Group::Policy),
    ("email authentication", "authfailure", Group::Policy),
    // --- policy: relaying ---
    ("relay access denied", "norelaying", Group::Policy),
    ("not configured to relay", "norelaying", Group::Policy),
    ("relaying denied", "norelaying", Group::Policy),
    ("relay not permitted", "norelaying", Group::Policy),
    ("relaying not allowed", "norelaying", Group::Policy),
    ("we do not relay", "norelaying", Group::Policy),
    ("unable to relay", "norelaying", Group::Policy),
    ("not permitted to relay", "norelaying", Group::Policy),
    ("relay denied", "norelaying", Group::Policy),
    ("relay not allowed", "norelaying", Group::Policy),
    ("no relaying", "norelaying", Group::Policy),
    ("relaying to <", "norelaying", Group::Policy),
    // --- policy: spam / virus / content ---
    ("virus", "virusdetected", Group::Policy),
    ("malware", "virusdetected", Group::Policy),
    ("spam", "spamdetected", Group::Policy),
    ("junk mail", "spamdetected", Group::Policy),
    ("unsolicited", "spamdetected", Group::Policy),
    ("bulk mail", "spamdetected", Group::Policy),
    ("content rejected", "contenterror", Group::Policy),
    ("message content", "contenterror", Group::Policy),
    ("header error", "contenterror", Group::Policy),
    ("improper use of 8-bit", "contenterror", Group::Policy),
    ("rfc 5322", "notcompliantrfc", Group::Policy),
    ("rfc5322", "notcompliantrfc", Group::Policy),
    ("rfc 2822", "notcompliantrfc", Group::Policy),
    ("rfc2822", "notcompliantrfc", Group::Policy),
    ("822 compliant", "notcompliantrfc", Group::Policy),
    (
        "multiple addresses in from",
        "notcompliantrfc",
        Group::Policy,
    ),
    ("duplicate header", "notcompliantrfc", Group::Policy),
    // --- policy: reputation / blocklists / ptr ---
    ("reverse dns", "requireptr", Group::Policy),
    ("reverse lookup", "requireptr", Group::Policy),
    ("ptr record", "requireptr", Group::Policy),
    ("dns ptr", "requireptr", Group::Policy),
    ("no ptr", "requireptr", Group::Policy),
    ("cannot find your hostname", "requireptr", Group::Policy),
    ("cannot resolve your address", "requireptr", Group::Policy),
    (
        "client host rejected: cannot find",
        "requireptr",
        Group::Policy,
    ),
    ("unresolvable", "requireptr", Group::Policy),
    ("not resolve", "requireptr", Group::Policy),
    ("no reverse", "requireptr", Group::Policy),
    ("poor reputation", "badreputation", Group::Policy),
    // Yahoo TSS04 "temporarily deferred due to unexpected volume or user complaints".
    ("user complaints", "badreputation", Group::Policy),
    ("bad reputation", "badreputation", Group::Policy),
    ("low reputation", "badreputation", Group::Policy),
    ("ip reputation", "badreputation", Group::Policy),
    ("sender reputation", "badreputation", Group::Policy),
    // cPanel's Exim: "The account or domain may not exist, they may be blacklisted, or
    // missing the proper dns entries": the first guess is what it saw.
    (
        "account or domain may not exist",
        "userunknown",
        Group::Hard,
    ),
    // qmail's DNS failure: "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)";
    // before the "ip address" refusal wording below.
    ("couldn't find a mail exchanger", "hostunknown", Group::Hard),
    ("blacklist", "blocked", Group::Policy),
    // The server refused this client at the greeting (Postfix: "server refused to talk to
    // me: 554 ..."; iCloud: "554 ... ESMTP not accepting connections").
    ("refused to talk to me", "blocked", Group::Policy),
    // qmail: "Connected to 192.0.2.1 but my name was rejected" (HELO refused).
    ("my name was rejected", "blocked", Group::Policy),
    ("not accepting connections", "blocked", Group::Policy),
    ("blocklist", "blocked", Group::Policy),
    ("black list", "blocked", Group::Policy),
    ("block list", "blocked", Group::Policy),
    ("dnsbl", "blocked", Group::Policy),
    ("rbl", "blocked", Group::Policy),
    ("spamhaus", "blocked", Group::Policy),
    ("spamcop", "blocked", Group::Policy),
    ("blocked", "blocked", Group::Policy),
    ("banned", "blocked", Group::Policy),
    ("service refuse", "blocked", Group::Policy),
    ("access denied", "blocked", Group::Policy),
    ("client host rejected", "blocked", Group::Policy),
    ("connection refused", "blocked", Group::Policy),
    ("connection rejected", "blocked", Group::Policy),
    ("not allowed to send", "blocked", Group::Policy),
    ("your ip", "blocked", Group::Policy),
    ("your host", "blocked", Group::Policy),
    ("ip address", "blocked", Group::Policy),
    ("dynamic ip", "blocked", Group::Policy),
    ("dial-up", "blocked", Group::Policy),
    ("hostname does not", "blocked", Group::Policy),
    ("too many", "toomanyconn", Group::Soft),
    ("rate limit", "speeding", Group::Soft),
    ("ratelimit", "speeding", Group::Soft),
    ("temporarily deferred", "speeding", Group::Soft),
    ("sender address rejected", "rejected", Group::Policy),
    // Mailing-list hosts (Google Groups) refusing a non-member's post.
    ("permission to post", "rejected", Group::Policy),
    ("投稿する権限", "rejected", Group::Policy),
    ("sender rejected", "rejected", Group::Policy),
    // Gmail's "Send mail as" alias whose SMTP settings are wrong: the sender's own setup.
    ("'send mail as'", "rejected", Group::Policy),
    ("domain of sender address", "rejected", Group::Policy),
    ("sender verify failed", "rejected", Group::Policy),
    ("sender address", "rejected", Group::Policy),
    ("sender domain", "rejected", Group::Policy),
    ("envelope sender", "rejected", Group::Policy),
    ("from address", "rejected", Group::Policy),
    ("mail from", "rejected", Group::Policy),
    ("rejected by policy", "policyviolation", Group::Policy),
    ("denied by policy", "policyviolation", Group::Policy),
    ("network not allowed", "policyviolation", Group::Policy),
    ("policy violation", "policyviolation", Group::Policy),
    ("violates", "policyviolation", Group::Policy),
    ("prohibited", "policyviolation", Group::Policy),
    ("not authorized", "securityerror", Group::Policy),
    ("authentication required", "securityerror", Group::Policy),
    ("encryption required", "securityerror", Group::Policy),
    ("starttls", "failedstarttls", Group::Soft),
    ("does not support tls", "failedstarttls", Group::Soft),
    ("syntax error", "syntaxerror", Group::Policy),
    // --- address does not exist (hard) ---
    ("user unknown", "userunknown", Group::Hard),
    ("unknown user", "userunknown", Group::Hard),
    ("no such user", "userunknown", Group::Hard),
    ("no such mailbox", "userunknown", Group::Hard),
    ("no such recipient", "userunknown", Group::Hard),
    ("no such address", "userunknown", Group::Hard),
    ("no such account", "userunknown", Group::Hard),
    ("unknown recipient", "userunknown", Group::Hard),
    ("recipient unknown", "userunknown", Group::Hard),
    ("unknown address", "userunknown", Group::Hard),
    ("address unknown", "userunknown", Group::Hard),
    ("unknown local part", "userunknown", Group::Hard),
    ("unknown mailbox", "userunknown", Group::Hard),
    ("mailbox unknown", "userunknown", Group::Hard),
    ("invalid recipient", "userunknown", Group::Hard),
    ("invalid mailbox", "userunknown", Group::Hard),
    ("invalid address", "userunknown", Group::Hard),
    ("recipient rejected", "userunknown", Group::Hard),
    ("recipient not found", "userunknown", Group::Hard),
    ("user not found", "userunknown", Group::Hard),
    ("address not found", "userunknown", Group::Hard),
    ("mailbox not found", "userunknown", Group::Hard),
    ("not found in", "userunknown", Group::Hard),
    ("does not exist", "userunknown", Group::Hard),
    ("doesn't exist", "userunknown", Group::Hard),
    ("doesn't have a", "userunknown", Group::Hard),
    ("not exist", "userunknown", Group::Hard),
    ("no mailbox", "userunknown", Group::Hard),
    ("no longer available", "userunknown", Group::Hard),
    ("no longer valid", "userunknown", Group::Hard),
    ("not a valid", "userunknown", Group::Hard),
    ("is not a known user", "userunknown", Group::Hard),
    ("unrouteable address", "userunknown", Group::Hard),
    ("unroutable address", "userunknown", Group::Hard),
    ("mailbox unavailable", "userunknown", Group::Hard),
    ("mailbox not available", "userunknown", Group::Hard),
    ("bad destination mailbox", "userunknown", Group::Hard),
    ("no valid recipients", "userunknown", Group::Hard),
    ("unknown or illegal alias", "userunknown", Group::Hard),
    ("not our customer", "userunknown", Group::Hard),
    ("not listed in", "userunknown", Group::Hard),
    ("no account by that name", "userunknown", Group::Hard),
    ("is not a valid mailbox", "userunknown", Group::Hard),
    // Exchange 5.5 IMS, IMail, InterScan wordings.
    (
        "recipient name is not recognized",
        "userunknown",
        Group::Hard,
    ),
    ("invalid final delivery userid", "userunknown", Group::Hard),
    ("check if address is correct", "userunknown", Group::Hard),
    ("utente sconosciuto", "userunknown", Group::Hard),
    ("destinataire inconnu", "userunknown", Group::Hard),
    ("unbekannt", "userunknown", Group::Hard),
    ("existiert nicht", "userunknown", Group::Hard),
    ("has moved", "hasmoved", Group::Hard),
    ("moved to", "hasmoved", Group::Hard),
    // Gmail's DNS error text: the domain exists but publishes no MX ("NOERROR"), or does not
    // exist at all ("NXDOMAIN"). A definitive DNS answer, whatever status code frames it.
    // Gmail: every lookup (MX, AAAA, A) "had no relevant answers": no record at all, which it
    // retries (4.0.0), unlike a null MX (RFC 7505), an explicit "accepts no mail" (next row).
    ("had no relevant answers", "networkerror", Group::Soft),
    ("responded with code noerror", "notaccept", Group::Hard),
    ("responded with code nxdomain", "hostunknown", Group::Hard),
    ("host unknown", "hostunknown", Group::Hard),
    ("unknown host", "hostunknown", Group::Hard),
    ("host not found", "hostunknown", Group::Hard),
    ("domain not found", "hostunknown", Group::Hard),
    ("unknown domain", "hostunknown", Group::Hard),
    ("domain unknown", "hostunknown", Group::Hard),
    ("no such domain", "hostunknown", Group::Hard),
    ("domain does not exist", "hostunknown", Group::Hard),
    ("name or service not known", "hostunknown", Group::Hard),
    ("nxdomain", "hostunknown", Group::Hard),
    ("unrouteable mail domain", "hostunknown", Group::Hard),
    ("unroutable mail domain", "hostunknown", Group::Hard),
    ("dns error", "hostunknown", Group::Hard),
    ("domain name not found", "hostunknown", Group::Hard),
    ("illegal host/domain", "hostunknown", Group::Hard),
    ("no mx", "notaccept", Group::Hard),
    ("null mx", "notaccept", Group::Hard),
    ("does not accept mail", "notaccept", Group::Hard),
    ("not accept any mail", "notaccept", Group::Hard),
    ("accepts no mail", "notaccept", Group::Hard),
    // RFC 3463 X.3.2 in words.
    ("not accepting network messages", "notaccept", Group::Hard),
    ("domain is not reachable", "hostunknown", Group::Hard),
    // Exim: a null MX (RFC 7505) or SRV record says the domain takes no mail.
    ("indicated no smtp service", "notaccept", Group::Hard),
    ("dns lookup failure", "hostunknown", Group::Hard),
    // --- temporary (soft) ---
    ("retry time", "expired", Group::Soft),
    ("envelope expired", "expired", Group::Soft),
    ("failing for a long time", "expired", Group::Soft),
    (
        "did not accept our requests to connect",
        "expired",
        Group::Soft,
    ),
    ("not delivered within", "expired", Group::Soft),
    ("was aborted after", "expired", Group::Soft),
    ("host not reachable", "expired", Group::Soft),
    ("will be retried for", "expired", Group::Soft),
    ("retry timeout", "expired", Group::Soft),
    ("delivery time expired", "expired", Group::Soft),
    ("message expired", "expired", Group::Soft),
    ("too long", "expired", Group::Soft),
    ("could not be delivered for", "expired", Group::Soft),
    ("has been delayed", "expired", Group::Soft),
    ("undeliverable for", "expired", Group::Soft),
    ("giving up", "expired", Group::Soft),
    // IMail: "Delivery failed 20 attempts: user@example.com".
    ("attempts:", "expired", Group::Soft),
    ("gave up", "expired", Group::Soft),
    ("timed out", "networkerror", Group::Soft),
    ("timeout", "networkerror", Group::Soft),
    ("connection refused", "networkerror", Group::Soft),
    ("network is unreachable", "networkerror", Group::Soft),
    ("mail loop", "networkerror", Group::Soft),
    ("loops back", "networkerror", Group::Soft),
    ("too many hops", "networkerror", Group::Soft),
    ("routing loop", "networkerror", Group::Soft),
    ("no route to host", "networkerror", Group::Soft),
    ("temporary failure", "systemerror", Group::Soft),
    ("temporarily", "systemerror", Group::Soft),
    ("try again", "systemerror", Group::Soft),
    ("system error", "systemerror", Group::Soft),
    ("transaction failed", "systemerror", Group::Soft),
    ("service currently unavailable", "systemerror", Group::Soft),
    ("service unavailable", "systemerror", Group::Soft),
    ("internal error", "systemerror", Group::Soft),
    ("local error", "systemerror", Group::Soft),
    ("server error", "systemerror", Group::Soft),
    ("disk full", "systemfull", Group::Soft),
    // Domino: the name matches several directory entries (an administrator must fix it).
    ("several matches found", "systemerror", Group::Soft),
    ("insufficient system storage", "systemfull", Group::Soft),
    ("mailer error", "mailererror", Group::Soft),
    ("pipe to", "mailererror", Group::Soft),
    ("command not found", "mailererror", Group::Soft),
    ("x-unix", "mailererror", Group::Soft),
    // Postfix prefixes for any refusal at RCPT TO ("Recipient address rejected: Mailbox
    // full"): only when nothing more specific follows do they mean the address is bad.
    ("recipient address rejected", "userunknown", Group::Hard),
    ("address rejected", "userunknown", Group::Hard),
    ("rcpt to", "userunknown", Group::Hard),
];

/// List hosts that answer a post they will not take (a non-member, posting closed, no such
/// group) with a localized notice and no status: `(recipient domain, signal)`. Such a failure
/// means the list refused this sender, not that an address is bad.
const LIST_HOSTS: &[(&str, &str)] = &[("googlegroups.com", "list:google-groups")];

/// The signal of the list host every failed recipient belongs to, if any.
pub(crate) fn list_refusal(recipients: &[String]) -> Option<&'static str> {
    LIST_HOSTS.iter().find_map(|(domain, signal)| {
        let on_host = |a: &String| a.rsplit_once('@').is_some_and(|(_, d)| d == *domain);
        (!recipients.is_empty() && recipients.iter().all(on_host)).then_some(*signal)
    })
}

static PHRASE_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(PHRASES.iter().map(|p| p.0))
        .ok()
});

/// The best phrase match in `text`: the earliest row of [`PHRASES`] found anywhere.
pub(crate) fn from_text(text: &str) -> Option<(&'static str, Group)> {
    let ac = PHRASE_AC.as_ref()?;
    // A phrase starts a word: "virus" is not found in "antivirus".
    let starts_word = |at: usize| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    };
    let best = ac
        .find_overlapping_iter(text)
        .filter(|m| starts_word(m.start()))
        .map(|m| m.pattern().as_usize())
        .min()?;
    PHRASES.get(best).map(|p| (p.1, p.2))
}

/// The reason an RFC 3463 code implies on its own, when it is specific enough.
pub(crate) fn from_status(code: &str) -> Option<(&'static str, Group)> {
    let mut it = code.split('.');
    let class = it.next()?;
    let subject = it.next()?;
    let detail = it.next()?;
    if class == "4" {
        return Some(match (subject, detail) {
            ("2", "2") => ("mailboxfull", Group::Soft),
            ("4", "7") => ("expired", Group::Soft),
            ("7", _) => ("blocked", Group::Policy),
            _ => ("systemerror", Group::Soft),
        });
    }
    if class != "5" {
        return None;
    }
    Some(match (subject, detail) {
        ("1", "1") | ("1", "0") => ("userunknown", Group::Hard),
        ("1", "2") => ("hostunknown", Group::Hard),
        ("1", "3") => ("userunknown", Group::Hard),
        ("1", "6") => ("hasmoved", Group::Hard),
        ("1", "10") => ("notaccept", Group::Hard),
        ("1", "7") | ("1", "8") => ("rejected", Group::Policy),
        ("2", "1") => ("suspend", Group::Hard),
        ("2", "2") => ("mailboxfull", Group::Soft),
        ("2", "3") => ("mesgtoobig", Group::Soft),
        ("3", "4") => ("mesgtoobig", Group::Soft),
        // RFC 3463 X.3.2 "System not accepting network messages", in its permanent form.
        ("3", "2") => ("notaccept", Group::Hard),
        ("3", _) => ("systemerror", Group::Soft),
        ("4", "4") => ("hostunknown", Group::Hard),
        ("4", "7") => ("expired", Group::Soft),
        ("4", _) => ("networkerror", Group::Soft),
        ("6", _) => ("contenterror", Group::Policy),
        ("7", "0") | ("7", "1") => ("blocked", Group::Policy),
        ("7", "26") | ("7", "25") | ("7", "23") | ("7", "27") => ("authfailure", Group::Policy),
        // RFC 3463 X.7.13 "User Account Disabled".
        ("7", "13") => ("suspend", Group::Hard),
        ("7", _) => ("securityerror", Group::Policy),
        _ => return None,
    })
}
