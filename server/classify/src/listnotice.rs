//! Notices from mailing-list managers that refuse a post: the list is unreachable for this
//! sender, a policy failure, though the notice carries none of a bounce's headers.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::doc::Doc;
use crate::matcher::build;
use crate::{recipients, text, Class, Classification};

/// Headers only a mailing-list manager writes on its own notices (fml, Mailman, Sympa, ezmlm,
/// Majordomo, Google Groups and anything RFC 2369/2919 compliant).
const LIST_MANAGER_HEADERS: &[&str] = &[
    "list-id",
    "list-subscribe",
    "list-help",
    "x-mlserver",
    "x-ml-name",
    "x-mailman-version",
    "x-sympa-to",
    "mailing-list",
];

/// What a list manager says when it refuses a post from a non-member or a closed list.
/// Said to the poster, so a list's own mail that mentions members is not a refusal; a
/// moderation hold ("post by non-member to a members-only list") is not one either.
const LIST_REFUSALS: &[&str] = &[
    "you are not a member",
    "not a member of this mailing list",
    "you are not allowed to post",
    "you are not allowed to send to",
    "you are not authorized to post",
];

static LIST_REFUSAL_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(LIST_REFUSALS));

/// A list manager's notice that it refused the post: the list (the address written as a
/// recipient, `<list@host>`) is unreachable for this sender, which is policy, as for the
/// list hosts of `reason::list_refusal`.
pub(crate) fn refusal(doc: &Doc, human: &str, signals: &[String]) -> Option<Classification> {
    let from_list = LIST_MANAGER_HEADERS.iter().any(|h| doc.header(h).is_some());
    if !from_list || !from_list_admin(doc.sender_local()) {
        return None;
    }
    let at = LIST_REFUSAL_AC.as_ref()?.find(human)?.start();
    // The list is named on the refusal's own line ("... of this mailing list <list@host>.");
    // other addresses of the notice are its control and owner addresses.
    let start = human[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = human[at..].find('\n').map_or(human.len(), |i| at + i);
    let on_line: Vec<String> = text::addresses(&human[start..end])
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| doc.from.as_deref() != Some(a.as_str()) && !doc.to.contains(a))
        .collect();
    let recipients = if on_line.is_empty() {
        recipients::from_text(doc, human)
    } else {
        on_line
    };
    if recipients.is_empty() {
        return None;
    }
    let mut c = Classification::new(Class::BouncePolicy);
    c.failed_recipients = recipients;
    c.signals = signals.to_vec();
    c.signals.push("list:refused-post".into());
    c.signals.push("reason:rejected".into());
    Some(c)
}

/// The list manager's own address (fml `list-admin`, Mailman `list-owner`/`-bounces`/
/// `-request`, ezmlm/Majordomo `owner-list`, fml `-ctl`, the managers' names), not a member
/// posting to the list: only it sends refusal notices.
fn from_list_admin(local: &str) -> bool {
    const SUFFIXES: &[&str] = &["-admin", "-owner", "-request", "-bounces", "-ctl"];
    const NAMES: &[&str] = &["mailman", "sympa", "majordomo", "listserv", "ezmlm"];
    SUFFIXES.iter().any(|s| local.ends_with(s))
        || local.starts_with("owner-")
        || NAMES.contains(&local)
}
