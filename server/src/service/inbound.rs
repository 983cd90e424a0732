//! `handle_inbound`: one raw message in, its effects out. Classify and correlate (pure code and
//! reads), decide per enrollment with the pure engine, then record the message and apply every
//! decision in ONE write transaction, so it serializes with the send gate and the same message
//! twice (same Message-ID or content hash) has one effect. Malformed mail is recorded as
//! `unknown`, never an error. Knows nothing of HTTP, IMAP or files.

use sequencer_classify::{classify, parse_meta, Class, Classification};
use sha2::{Digest, Sha256};

use super::correlate::Target;
use super::*;
use crate::domain::{Actor, Evidence};
use crate::engine::decide::{decide, Action, Decision, Facts, Policy, Signal};
use crate::store::{EndRequest, NewEvent, NewInbound, StoreError, Tx};

/// What processing one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundOutcome {
    /// The stored message (the first one, for a duplicate).
    pub inbound_id: Option<i64>,
    pub duplicate: bool,
    pub class: String,
    /// One line per effect, e.g. `enrollment 3: unenroll replied`.
    pub effects: Vec<String>,
}

/// Everything an enrollment's decision needs, read before the write transaction.
struct Prepared {
    target: Target,
    policy: Policy,
    return_at: Option<Millis>,
}

impl App {
    /// Processes one raw RFC 5322 message received for `account` (through `mailbox`, if known).
    pub async fn handle_inbound(
        &self,
        account: AccountId,
        mailbox: Option<i64>,
        raw: &[u8],
    ) -> Result<InboundOutcome> {
        let now = self.now();
        let c = classify(raw);
        let meta = parse_meta(raw);
        let hash = hex::encode(Sha256::digest(raw));
        let key = meta
            .message_id
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("sha256:{hash}"));
        let class = c.class.as_str().to_string();
        if let Some(id) = self.store.inbound_seen(account, &key, &hash).await? {
            return Ok(InboundOutcome {
                inbound_id: Some(id),
                duplicate: true,
                class,
                effects: Vec::new(),
            });
        }
        let from = meta
            .from
            .as_deref()
            .and_then(|f| EmailAddress::parse(f).ok());
        let own = match &from {
            Some(f) => self.store.is_own_address(account, f.as_str()).await?,
            None => false,
        };
        let targets = if own {
            Vec::new()
        } else {
            self.correlate(account, &meta, c.class, from.as_ref(), &c.failed_recipients)
                .await?
        };
        let mut prepared = Vec::with_capacity(targets.len());
        for target in targets {
            let Some(row) = self.store.enrollment(account, target.enrollment_id).await? else {
                continue;
            };
            let Some(seq) = self
                .store
                .sequence(account, row.enrollment.sequence_id)
                .await?
            else {
                continue;
            };
            let policy = Policy {
                ooo_policy: seq.ooo_policy,
                unenroll_same_company: seq.unenroll_same_company,
            };
            prepared.push(Prepared {
                target,
                policy,
                return_at: return_at(&c, &seq.window.time_zone),
            });
        }
        let evidence = Evidence {
            message_id: meta.message_id.clone(),
            from: from
                .as_ref()
                .map(|f| f.to_string())
                .or_else(|| meta.from.clone()),
            subject: Some(meta.subject.clone()),
            class: Some(class.clone()),
            signals: c.signals.clone(),
            ..Default::default()
        };
        let record = NewInbound {
            account_id: account,
            mailbox_id: mailbox,
            message_id: &key,
            content_hash: &hash,
            from_email: from.as_ref().map(|f| f.as_str()),
            subject: &meta.subject,
            class: &class,
            signals: &c.signals,
            raw,
            received_at: now,
        };
        // Nothing below reads through another pooled connection: on SQLite this transaction
        // holds the write lock.
        let mut tx = self.store.begin_write().await?;
        let Some(inbound_id) = self.store.insert_inbound(&mut tx, &record).await? else {
            tx.rollback().await.map_err(StoreError::from)?;
            let first = self.store.inbound_seen(account, &key, &hash).await?;
            return Ok(InboundOutcome {
                inbound_id: first,
                duplicate: true,
                class,
                effects: Vec::new(),
            });
        };
        let mut effects = Vec::new();
        let mut stopped = Vec::new();
        if own {
            effects.push("ignored: sent from one of the account's own addresses".to_string());
        }
        for p in &prepared {
            let Some(e) = self
                .store
                .lock_enrollment(&mut tx, p.target.enrollment_id)
                .await?
            else {
                continue;
            };
            let facts = Facts {
                state: e.state,
                pause_reason: e.pause_reason,
                current_step: e.current_step,
                soft_bounces: e.soft_bounces,
                enrolled_at: e.enrolled_at,
            };
            let signal = Signal {
                class: c.class,
                sender: p.target.sender,
                in_thread: p.target.in_thread,
                received_at: now,
                return_at: p.return_at,
                bounced_step: p.target.bounced_step,
            };
            let d = decide(&facts, &signal, &p.policy, now);
            if let Some(effect) = self.apply(&mut tx, &e, &d, &c, &evidence, now).await? {
                effects.push(format!("enrollment {}: {effect}", e.id.0));
                stopped.push(e.id);
            }
        }
        self.store
            .set_inbound_outcome(&mut tx, inbound_id, &effects)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        // An email the gate handed to the relay before this commit is delivered and recorded
        // before the sender of this message hears back: once a reply is processed, nothing
        // more arrives (store::send_gate).
        self.wait_for_sends(&stopped).await?;
        Ok(InboundOutcome {
            inbound_id: Some(inbound_id),
            duplicate: false,
            class,
            effects,
        })
    }

    /// Applies one decision inside the transaction; describes the effect, if any.
    async fn apply(
        &self,
        tx: &mut Tx,
        e: &Enrollment,
        d: &Decision,
        c: &Classification,
        evidence: &Evidence,
        now: Millis,
    ) -> Result<Option<String>> {
        let actor = Actor::rule(d.rule);
        let mut summary = event_summary(d.event.unwrap_or(""), c, evidence);
        let effect = match d.action {
            Action::Keep => None,
            Action::Unenroll {
                reason,
                mark_bounced,
            } => {
                if mark_bounced {
                    self.record_hard_bounce(tx, e, evidence, now).await?;
                }
                Some(format!(
                    "unenroll {reason}{}",
                    if mark_bounced {
                        " (address marked bounced)"
                    } else {
                        ""
                    }
                ))
            }
            Action::Pause { reason, until } => {
                self.store
                    .pause(tx, e.id, reason, until, &actor, evidence)
                    .await?;
                if let Some(u) = until {
                    summary.push_str(&format!("; paused until {}", crate::clock::rfc3339(u)));
                }
                Some(format!("pause {reason}"))
            }
            Action::SoftBounce { retry_step, at } => {
                self.store
                    .count_soft_bounce(tx, e.id, retry_step.map(|s| (s, at)))
                    .await?;
                Some(match retry_step {
                    Some(s) => format!(
                        "soft bounce counted, step {s} retried at {}",
                        crate::clock::rfc3339(at)
                    ),
                    None => "soft bounce counted".to_string(),
                })
            }
        };
        if let Some(kind) = d.event {
            let ev = NewEvent {
                account_id: e.account_id,
                contact_id: e.contact_id,
                sequence_id: Some(e.sequence_id),
                enrollment_id: Some(e.id),
                kind: kind.to_string(),
                at: now,
                hidden: d.hidden,
                reason: None,
                actor: Some(actor.clone()),
                evidence: Some(evidence.clone()),
                summary,
            };
            self.store.insert_events(tx, &[ev]).await?;
        }
        // The unenroll comes after the message's own event, so it is the newest on the timeline.
        if let Action::Unenroll { reason, .. } = d.action {
            let req = EndRequest {
                state: EnrollmentState::Unenrolled,
                reason: Some(reason),
                actor,
                evidence: evidence.clone(),
                now,
                hidden: d.hidden,
            };
            self.store
                .end_enrollments(tx, e.account_id, &[e.id], &req)
                .await?;
        }
        Ok(effect.or_else(|| d.event.map(|k| format!("recorded {k}"))))
    }
}

/// The moment an absent person is back: Apple's machine-readable end, else the first day back at
/// midnight in the sequence's time zone.
fn return_at(c: &Classification, tz: &chrono_tz::Tz) -> Option<Millis> {
    use chrono::TimeZone;
    if c.class != Class::Ooo {
        return None;
    }
    if let Some(at) = c.return_at {
        return Some(at.timestamp_millis());
    }
    let day = c.return_date?.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&day)
        .earliest()
        .map(|t| t.timestamp_millis())
}

fn event_summary(kind: &str, c: &Classification, ev: &Evidence) -> String {
    let from = ev.from.clone().unwrap_or_else(|| "unknown sender".into());
    // ": subject", or nothing when the message has none (no dangling colon).
    let subject = match ev.subject.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => format!(": {s}"),
        _ => String::new(),
    };
    match kind {
        "reply_received" => format!("Reply from {from}{subject}"),
        "email_received" => format!("Email from {from}{subject}"),
        "same_company_email" => format!("{from}, at the same company, emailed{subject}"),
        "bounce_received" | "soft_bounce_received" => {
            format!(
                "Email bounced ({}): {}",
                c.class.as_str().replace('_', " "),
                c.failed_recipients.join(", ")
            )
        }
        "ooo_received" => match c.return_date {
            Some(d) => format!("Out-of-office reply from {from}, back {d}"),
            None => format!("Out-of-office reply from {from}"),
        },
        "auto_reply_received" => format!(
            "Automatic reply ({}) from {from}{subject}",
            c.class.as_str().replace('_', " ")
        ),
        "held_for_review" => {
            format!("Unclassifiable message from {from} held the enrollment for review{subject}")
        }
        _ => format!("Message from {from}{subject}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_the_subject_only_when_there_is_one() {
        let c = classify(b"From: ana@globex.example\r\nSubject: x\r\n\r\nhi\r\n");
        let with = Evidence {
            from: Some("ana@globex.example".into()),
            subject: Some("Re: Intro".into()),
            ..Default::default()
        };
        assert_eq!(
            event_summary("reply_received", &c, &with),
            "Reply from ana@globex.example: Re: Intro"
        );
        let without = Evidence {
            subject: Some("  ".into()),
            ..with
        };
        assert_eq!(
            event_summary("held_for_review", &c, &without),
            "Unclassifiable message from ana@globex.example held the enrollment for review"
        );
    }
}
