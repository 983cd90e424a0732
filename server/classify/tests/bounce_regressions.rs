//! Misclassifications found on the labelled corpora, each pinned as a test: the corpus file
//! that showed it, what the classifier got wrong, and what it must say now.
#![allow(clippy::unwrap_used)] // tests are exempt (house style)

use std::path::Path;

use sequencer_classify::{classify, Class, Classification};

fn corpus(rel: &str) -> Classification {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpora")
        .join(rel);
    classify(&std::fs::read(&p).unwrap())
}

fn bsd(name: &str) -> Classification {
    corpus(&format!("sisimai-set-of-emails/maildir/bsd/{name}"))
}

fn sorted(c: &Classification) -> Vec<String> {
    let mut v = c.failed_recipients.clone();
    v.sort();
    v
}

/// Action and Status written before the recipient fields, no blank line between blocks:
/// both recipients used to collapse into one.
#[test]
fn dsn_blocks_with_action_first_keep_every_recipient() {
    let c = bsd("lhost-messagingserver-03.eml");
    assert!(c.class.is_bounce(), "{c:?}");
    assert_eq!(
        sorted(&c),
        ["mikeneko@example.org", "sabineko@example.org"],
        "{c:?}"
    );
}

/// `Final-Recipient: rfc822;@smtp.example.net:kijitora@server` is a source route to an
/// internal host; the Original-Recipient is the address that failed.
#[test]
fn source_routed_final_recipient_falls_back_to_original() {
    let c = bsd("lhost-messagingserver-02.eml");
    assert_eq!(c.failed_recipients, ["kijitora@example.net"], "{c:?}");
    let c = corpus("php-bounce-handler-zoonru/eml/12.eml");
    assert_eq!(
        c.failed_recipients,
        ["andressaravia@fibertel.com.ar"],
        "{c:?}"
    );
}

/// `Final-Recipient: RFC822; @mx.example.org` has no mailbox: read the human text instead.
#[test]
fn domain_only_final_recipient_falls_back_to_the_text() {
    let c = bsd("lhost-sendmail-15.eml");
    assert_eq!(c.failed_recipients, ["kijitora@example.org"], "{c:?}");
}

/// A quoted local part names the same mailbox unquoted; an RFC 2047 encoded-word local part
/// keeps its leading `=`.
#[test]
fn quoted_and_encoded_local_parts() {
    let c = bsd("lhost-postfix-32.eml");
    assert_eq!(
        c.failed_recipients,
        ["neko....nyaan....@libsisimai.org"],
        "{c:?}"
    );
    let c = bsd("lhost-sendmail-25.eml");
    assert_eq!(
        c.failed_recipients,
        ["=?utf-8?b?8j+qipcfkig=?=@example.org"],
        "{c:?}"
    );
}

/// A failure list line that is only the address names it even when it is the bounce's own
/// To (qmail, Exim) or a role address of another host (Biglobe, DragonFly).
#[test]
fn listed_addresses_count_even_when_they_look_like_the_sender() {
    assert_eq!(
        bsd("lhost-qmail-08.eml").failed_recipients,
        ["shironeko@example.ad.jp"]
    );
    assert_eq!(
        bsd("lhost-einsundeins-03.eml").failed_recipients,
        ["xxxx@xxxx.fr"]
    );
    assert_eq!(
        bsd("lhost-biglobe-01.eml").failed_recipients,
        ["postmaster@mxr.biglobe.ne.jp"]
    );
    assert_eq!(
        bsd("lhost-dragonfly-04.eml").failed_recipients,
        ["postmaster@cx.libsisimai.org"]
    );
}

/// Sendmail v5 transcripts list each failure as `554 <user@host>... 550 Host unknown`.
#[test]
fn sendmail_transcript_lines_name_every_recipient() {
    let c = bsd("lhost-v5sendmail-04.eml");
    assert_eq!(
        sorted(&c),
        ["kijitora@example.ed.jp", "mikeneko@example.ac.jp"],
        "{c:?}"
    );
}

/// A `boundary=` parameter on its own unfolded line leaves mail-parser no readable part; the
/// raw body is read instead (Verizon / Apache James bounces used to be human replies).
#[test]
fn broken_mime_structure_still_reads_the_body() {
    let c = bsd("lhost-verizon-02.eml");
    assert!(c.class.is_bounce(), "{c:?}");
    assert_eq!(
        c.failed_recipients,
        ["may-be-straycat-nyaaaaaan@vtext.com"],
        "{c:?}"
    );
}

/// "The original message was received at ..." is Sendmail's preamble, not the start of the
/// original: the `>>> DATA` / `<<< 550 Unknown user` transcript after it is read, and an
/// unknown user said to DATA is a filter (policy), not a dead address.
#[test]
fn courier_transcript_after_the_preamble_is_read() {
    let c = bsd("lhost-courier-02.eml");
    assert_eq!(c.class, Class::BouncePolicy, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "smtp:data"), "{c:?}");
}

/// "(in reply to\n    RCPT TO command)" folded across lines still names RCPT TO.
#[test]
fn folded_command_phrase_is_recognised() {
    let c = bsd("lhost-postfix-36.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "smtp:rcpt"), "{c:?}");
}

/// "Failed addresses follow" bodies from a MAILER-DAEMON are bounces.
#[test]
fn failed_addresses_follow_is_a_bounce() {
    let c = bsd("rfc3464-37.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert_eq!(c.failed_recipients, ["kijitora@neko.nyaan.example.com"]);
}

/// Google Groups refuses a post with a localized notice and no status (here in Arabic): the
/// list refused this sender, which says nothing about the address.
#[test]
fn google_groups_refusal_is_policy() {
    let c = bsd("lhost-googlegroups-03.eml");
    assert_eq!(c.class, Class::BouncePolicy, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "list:google-groups"), "{c:?}");
}

/// RFC 3463 X.7.13 is "User Account Disabled": the mailbox is gone for outreach (hard), not
/// a security refusal of the sender.
#[test]
fn status_5_7_13_is_a_disabled_account() {
    let c = bsd("lhost-dragonfly-21.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:suspend"), "{c:?}");
}

/// A permanent failure whose reason nothing names is a policy bounce: the contact is
/// unenrolled but the address is not marked bad on no evidence.
#[test]
fn unexplained_permanent_failure_does_not_mark_the_address() {
    let c = bsd("lhost-exim-49.eml");
    assert_eq!(c.class, Class::BouncePolicy, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:undefined"), "{c:?}");
}

/// Gmail's "DNS type 'mx' lookup ... responded with code NOERROR" is a domain that takes no
/// mail: hard, even though Gmail frames it with a 4.0.0 status.
#[test]
fn no_mx_answer_is_hard_despite_a_4xx_status() {
    let c = bsd("rhost-gsuite-03.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:notaccept"), "{c:?}");
}

/// `Status: 5.0.0` with the server's own `550 5.7.26 ...` in the diagnostic: the specific
/// code wins (authentication failure, policy).
#[test]
fn specific_code_in_the_diagnostic_beats_a_generic_status() {
    let c = bsd("lhost-opensmtpd-11.eml");
    assert_eq!(c.class, Class::BouncePolicy, "{c:?}");
    assert_eq!(c.bounce_status.as_deref(), Some("5.7.26"), "{c:?}");
}

/// Wordings with no status code that still name the reason: quota (soft), Exchange 5.5's
/// unrecognized recipient (hard), Exim's null-MX (hard), a locked account (hard).
#[test]
fn reason_wordings_without_codes() {
    let soft = corpus("php-bounce-handler-zoonru/eml/26.eml");
    assert_eq!(soft.class, Class::BounceSoft, "{soft:?}");
    for name in [
        "lhost-exchange2003-07.eml",
        "lhost-mailru-05.eml",
        "lhost-qmail-10.eml",
    ] {
        let c = bsd(name);
        assert_eq!(c.class, Class::BounceHard, "{name}: {c:?}");
    }
}

/// "User unknown" with no SMTP stage and no addressing code is a gateway's filter wording
/// (policy); the Postfix RCPT wording `<user@host>: User unknown` stays a bad address.
#[test]
fn stage_less_unknown_user_is_a_filter_but_rcpt_wording_is_not() {
    for name in [
        "lhost-mcafee-01.eml",
        "lhost-x1-01.eml",
        "lhost-mxlogic-03.eml",
    ] {
        let c = bsd(name);
        assert_eq!(c.class, Class::BouncePolicy, "{name}: {c:?}");
        assert!(c.signals.iter().any(|s| s == "reason:filtered"), "{c:?}");
    }
    let c = bsd("rhost-gsuite-09.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
}

/// Diagnostic type X-Unix: the receiving side's delivery program failed (soft), whatever the
/// status says; "Denied by policy" / "Host network not allowed" are policy refusals.
#[test]
fn mailer_errors_and_policy_denials() {
    let c = bsd("lhost-postfix-01.eml");
    assert_eq!(c.class, Class::BounceSoft, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:mailererror"), "{c:?}");
    assert_eq!(bsd("lhost-postfix-42.eml").class, Class::BouncePolicy);
    assert_eq!(bsd("rhost-mimecast-01.eml").class, Class::BouncePolicy);
}

/// Postfix's "Recipient address rejected:" prefix and a transcript's "RCPT TO" only say where
/// the refusal happened; the words after them name the reason (here a mailer error, soft).
#[test]
fn refusal_prefixes_yield_to_the_reason_that_follows() {
    let c = bsd("lhost-dragonfly-13.eml");
    assert_eq!(c.class, Class::BounceSoft, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:mailererror"), "{c:?}");
}

/// `Final-Recipient: RFC822; ...` is DSN syntax, not a complaint about RFC 822 compliance.
#[test]
fn rfc822_address_type_is_not_a_compliance_complaint() {
    let c = bsd("rfc3464-04.eml");
    assert_eq!(c.class, Class::BounceSoft, "{c:?}");
    assert!(
        !c.signals.iter().any(|s| s == "reason:notcompliantrfc"),
        "{c:?}"
    );
}

/// An explicit "this user doesn't have an account" said at DATA is still a bad address: only
/// the generic "unknown user" wording at DATA is a filter's.
#[test]
fn explicit_no_account_at_data_stays_hard() {
    let c = bsd("lhost-sendmail-41.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "smtp:data"), "{c:?}");
}

/// "SMTP:RCPT host ...: 553 5.3.0 <addr>... No such user here": 5.3.0 is generic, the RCPT
/// stage and the words say the address is bad.
#[test]
fn generic_5_3_0_yields_to_the_words() {
    let c = bsd("lhost-x3-01.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "smtp:rcpt"), "{c:?}");
}

/// "550 5.7.1 No such user!" after RCPT TO: the words say the mailbox does not exist, which
/// beats the security-class code; "the recipient account is blocked" is a disabled account.
#[test]
fn rcpt_stage_no_such_user_and_blocked_accounts_are_hard() {
    let c = corpus("php-bounce-handler-zoonru/eml/fixture_bounce_001.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    let c = bsd("rhost-franceptt-05.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:suspend"), "{c:?}");
}

/// Microsoft answers an unknown recipient with "5.4.1 Recipient address rejected: Access
/// denied" (directory-based edge blocking): RFC 3463's X.4.1 "no answer from host" does not
/// apply, the words decide (hard).
#[test]
fn microsoft_5_4_1_access_denied_is_an_unknown_recipient() {
    let c = bsd("lhost-mimecast-01.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert!(c.signals.iter().any(|s| s == "reason:userunknown"), "{c:?}");
}

/// A gateway's own notice says only "could not be delivered" and attaches, as message/rfc822,
/// the bounce it got from the next hop: a delivery report (X5) or a Sendmail transcript
/// (InterScan). The wrapped bounce gives the reason and the recipient; the outer notice's
/// Received lines (`for <shironeko@...>`) must not.
#[test]
fn a_bounce_wrapped_by_a_gateway_gives_the_reason() {
    let c = bsd("lhost-x5-01.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert_eq!(c.failed_recipients, ["kijitora@neko.example.org"], "{c:?}");
    assert!(c.signals.iter().any(|s| s == "wrapped:bounce"), "{c:?}");
    let c = bsd("lhost-trendmicro-03.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert_eq!(c.failed_recipients, ["kijitora@example.jp"], "{c:?}");
    assert_eq!(c.bounce_status.as_deref(), Some("5.1.1"), "{c:?}");
}

/// RFC 3463 X.3.2 "System not accepting network messages" in its permanent form: the host
/// takes no mail, like a null MX.
#[test]
fn permanent_5_3_2_means_the_host_takes_no_mail() {
    let c = bsd("lhost-dragonfly-16.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
    assert_eq!(c.bounce_status.as_deref(), Some("5.3.2"), "{c:?}");
}

/// `Action: failed` on `450 4.1.1 ... User unknown in virtual alias table`: the reporting MTA
/// gave up on a mailbox that does not exist; a retry cannot succeed.
#[test]
fn a_failed_action_on_4_1_1_user_unknown_is_hard() {
    let c = bsd("lhost-postfix-05.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
}

/// Refused before any address was looked at: Postfix "server refused to talk to me", iCloud
/// "ESMTP not accepting connections", qmail "my name was rejected" (HELO), a relay refusal, and
/// Yahoo's TSS04 deferral for "user complaints" (4.7.0). The sender is refused, whatever the
/// status class says.
#[test]
fn refusals_of_the_sending_host_are_policy() {
    for f in [
        "lhost-postfix-49.eml",
        "lhost-postfix-50.eml",
        "lhost-sendmail-56.eml",
        "lhost-qmail-04.eml",
        "lhost-postfix-44.eml",
        "lhost-postfix-74.eml",
        "rhost-yahooinc-02.eml",
    ] {
        let c = bsd(f);
        assert_eq!(c.class, Class::BouncePolicy, "{f}: {c:?}");
    }
}

/// Transient causes in words no status backs: a receiving server without TLS (Gmail: "500
/// Remote server does not support TLS") and IMail giving up ("Delivery failed 20 attempts").
#[test]
fn missing_tls_and_exhausted_retries_are_soft() {
    for f in ["lhost-gmail-07.eml", "lhost-imailserver-04.eml"] {
        let c = bsd(f);
        assert_eq!(c.class, Class::BounceSoft, "{f}: {c:?}");
    }
}

/// cPanel's Exim: "The account or domain may not exist, they may be blacklisted, or missing the
/// proper dns entries". The first guess is what it saw; "blacklisted" is a hedge.
#[test]
fn cpanel_may_not_exist_is_hard() {
    let c = bsd("lhost-exim-31.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
}

/// fml refusing a post from a non-member: no bounce headers, only the list manager's notice.
/// The list is unreachable for this sender (policy, like the list hosts of `list_refusal`),
/// and the failed address is the list named on the refusal's line, not its `-ctl` address.
#[test]
fn a_list_manager_refusing_a_non_member_is_policy_for_the_list() {
    let c = bsd("lhost-fml-02.eml");
    assert_eq!(c.class, Class::BouncePolicy, "{c:?}");
    assert_eq!(c.failed_recipients, ["neko-nyaan@example.org"], "{c:?}");
    assert!(c.signals.iter().any(|s| s == "list:refused-post"), "{c:?}");
}

/// A list's own mail that talks about members, even in a refusal's words, is list mail: only
/// the list manager's address sends refusal notices.
#[test]
fn list_mail_about_members_is_not_a_refusal() {
    let digest = b"From: news@lists.example.org\r\nTo: rep@seller.example\r\nSubject: Digest\r\n\
List-Id: <news.lists.example.org>\r\n\r\nWelcome to our members-only list. Post by non-member \
is held for <mod@lists.example.org>.\r\n";
    let reminder = b"From: news@lists.example.org\r\nTo: rep@seller.example\r\nSubject: Digest\r\n\
List-Id: <news.lists.example.org>\r\n\r\nReminder: you are not allowed to post job ads here; \
send them to jobs@lists.example.org.\r\n";
    for raw in [&digest[..], &reminder[..]] {
        let c = classify(raw);
        assert_eq!(c.class, Class::ListMail, "{c:?}");
    }
}

/// A delay notice stays a delay notice, but says why it is delayed (`cause:*`): Exim's
/// "Delay reason: ... 450 service permits 2 unverifyable sending IPs" refuses the sender, a
/// notice with no stated cause is merely temporary, and an antivirus footer ("analizado con
/// NOD32 antivirus") is not a virus finding: phrases start a word.
#[test]
fn delay_notices_state_their_cause() {
    let cause = |c: &Classification| {
        c.signals
            .iter()
            .find_map(|s| s.strip_prefix("cause:").map(str::to_string))
    };
    let c = bsd("lhost-exim-38.eml");
    assert_eq!(c.class, Class::DelayNotice, "{c:?}");
    assert_eq!(cause(&c).as_deref(), Some("policy"), "{c:?}");
    let c = corpus("php-bounce-handler-zoonru/eml/46.eml");
    assert_eq!(c.class, Class::DelayNotice, "{c:?}");
    assert_eq!(cause(&c).as_deref(), Some("soft"), "{c:?}");
    assert!(
        !c.signals.iter().any(|s| s == "reason:virusdetected"),
        "{c:?}"
    );
    let c = bsd("lhost-gmail-06.eml");
    assert_eq!(c.class, Class::DelayNotice, "{c:?}");
    assert_eq!(cause(&c).as_deref(), Some("soft"), "{c:?}");
}

/// The mailbox server's own "Unknown user: name" (IMail, Sendmail's mail.local) names a
/// missing mailbox; only the stage-less generic wording is a filter's.
#[test]
fn a_mailbox_servers_unknown_user_colon_is_hard() {
    for f in ["lhost-imailserver-01.eml", "rfc3464-06.eml"] {
        let c = bsd(f);
        assert_eq!(c.class, Class::BounceHard, "{f}: {c:?}");
    }
}

/// qmail appends its own guess, `(#5.1.1)`, to the remote server's words: "mailbox ... is over
/// quota temporarily (#5.1.1)" is a full mailbox; its DNS failure wording ("couldn't find a
/// mail exchanger or IP address") is a missing domain, not an IP refusal.
#[test]
fn qmail_guessed_codes_yield_to_the_words() {
    let c = bsd("lhost-mailfoundry-02.eml");
    assert_eq!(c.class, Class::BounceSoft, "{c:?}");
    for f in ["lhost-qmail-11.eml", "lhost-qmail-12.eml"] {
        let c = bsd(f);
        assert_eq!(c.class, Class::BounceHard, "{f}: {c:?}");
    }
}

/// Gmail's "DNS type 'mx' lookup ... had no relevant answers" (no record at all, retried as
/// 4.0.0) is transient; a bare NOERROR answer for a null-MX domain stays "accepts no mail".
#[test]
fn no_dns_answer_is_transient_but_null_mx_is_hard() {
    for f in ["rfc3464-62.eml", "rhost-gsuite-13.eml"] {
        let c = bsd(f);
        assert_eq!(c.class, Class::BounceSoft, "{f}: {c:?}");
    }
    let c = bsd("rhost-gsuite-03.eml");
    assert_eq!(c.class, Class::BounceHard, "{c:?}");
}
