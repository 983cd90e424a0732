//! Ties an inbound message to the enrollments it concerns: the sequence thread first
//! (In-Reply-To/References, Exchange parent ids, ids embedded in a bounce, a bounce's failed
//! recipient, then sender + normalized subject), then the sender's own live enrollments (primary
//! or secondary address), then same-company peers. Reads only; decides nothing.

use sequencer_classify::{normalize_subject, Class, MessageMeta};

use super::*;
use crate::engine::decide::{is_free_mail, same_company, Sender};
use crate::store::SentRef;

/// One enrollment a message concerns, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub enrollment_id: EnrollmentId,
    pub sender: Sender,
    pub in_thread: bool,
    pub bounced_step: Option<u32>,
}

impl App {
    pub(crate) async fn correlate(
        &self,
        account: AccountId,
        meta: &MessageMeta,
        class: Class,
        from: Option<&EmailAddress>,
        failed: &[String],
    ) -> Result<Vec<Target>> {
        let mut targets: Vec<Target> = Vec::new();
        let bounce = class.is_bounce() || class == Class::DelayNotice;
        if let Some(sent) = self.thread_of(account, meta, bounce, from, failed).await? {
            let sender = match (
                from,
                self.store.enrollment(account, sent.enrollment_id).await?,
            ) {
                (Some(f), Some(row)) if !bounce => {
                    self.sender_relation(account, row.enrollment.contact_id, f)
                        .await?
                }
                _ => Sender::Other,
            };
            targets.push(Target {
                enrollment_id: sent.enrollment_id,
                sender,
                in_thread: true,
                bounced_step: bounce.then_some(sent.step_number),
            });
        }
        if bounce {
            return Ok(targets);
        }
        let Some(from) = from else { return Ok(targets) };
        let Some(m) = self.store.contact_by_email(account, from).await? else {
            return Ok(targets);
        };
        let sender = if m.primary {
            Sender::Contact
        } else {
            Sender::Alias
        };
        for id in self
            .store
            .live_enrollment_ids(account, None, Some(m.contact.id), None)
            .await?
        {
            push(
                &mut targets,
                Target {
                    enrollment_id: id,
                    sender,
                    in_thread: false,
                    bounced_step: None,
                },
            );
        }
        if class == Class::HumanReply {
            let domain = from.domain();
            let by_domain = (!is_free_mail(domain)).then_some(domain);
            let company = m.contact.company_id;
            for peer in self
                .store
                .company_peers(account, company, by_domain)
                .await?
            {
                let peer_domain = peer.email.rsplit_once('@').map_or("", |(_, d)| d);
                if peer.contact_id != m.contact.id
                    && same_company(
                        domain,
                        company.map(|c| c.0),
                        peer_domain,
                        peer.company_id.map(|c| c.0),
                    )
                {
                    push(
                        &mut targets,
                        Target {
                            enrollment_id: peer.enrollment_id,
                            sender: Sender::SameCompany,
                            in_thread: false,
                            bounced_step: None,
                        },
                    );
                }
            }
        }
        Ok(targets)
    }

    /// The sent sequence email this message answers or reports on, if any.
    async fn thread_of(
        &self,
        account: AccountId,
        meta: &MessageMeta,
        bounce: bool,
        from: Option<&EmailAddress>,
        failed: &[String],
    ) -> Result<Option<SentRef>> {
        let mut ids: Vec<String> = Vec::new();
        // Embedded ids first for bounces: their In-Reply-To, if any, is not ours.
        let groups: [&Vec<String>; 4] = if bounce {
            [
                &meta.embedded_message_ids,
                &meta.in_reply_to,
                &meta.references,
                &meta.exchange_parent_ids,
            ]
        } else {
            [
                &meta.in_reply_to,
                &meta.references,
                &meta.exchange_parent_ids,
                &meta.embedded_message_ids,
            ]
        };
        for g in groups {
            ids.extend(g.iter().cloned());
        }
        if let Some(sent) = self
            .store
            .sent_by_message_ids(account, &ids)
            .await?
            .into_iter()
            .next()
        {
            return Ok(Some(sent));
        }
        if bounce {
            for rcpt in failed {
                if let Some(sent) = self
                    .store
                    .sent_to(account, &rcpt.to_lowercase(), 1)
                    .await?
                    .into_iter()
                    .next()
                {
                    return Ok(Some(sent));
                }
            }
            return Ok(None);
        }
        let subject = normalize_subject(&meta.subject);
        let Some(from) = from else { return Ok(None) };
        if subject.is_empty() {
            return Ok(None);
        }
        let sent = self.store.sent_to(account, from.as_str(), 50).await?;
        Ok(sent
            .into_iter()
            .find(|s| normalize_subject(&s.subject) == subject))
    }

    /// How `from` relates to the contact: primary address, alias, or someone else.
    async fn sender_relation(
        &self,
        account: AccountId,
        contact: ContactId,
        from: &EmailAddress,
    ) -> Result<Sender> {
        let Some(c) = self.store.contact(account, contact).await? else {
            return Ok(Sender::Other);
        };
        Ok(if &c.email == from {
            Sender::Contact
        } else if c.secondary_emails.contains(from) {
            Sender::Alias
        } else {
            Sender::Other
        })
    }
}

fn push(targets: &mut Vec<Target>, t: Target) {
    if !targets.iter().any(|x| x.enrollment_id == t.enrollment_id) {
        targets.push(t);
    }
}
