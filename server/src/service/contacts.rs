//! Companies, contacts and the contact record.

use shared::{
    CompanyRequest, CompanyView, ContactRecordView, ContactRequest, ContactView, UnenrollReason,
};

use super::views::*;
use super::*;
use crate::store::ContactFields;

/// A company's name: required, one header-safe line (it can reach a subject via
/// `{{company.name}}`).
fn company_name(name: &str) -> Result<String> {
    let name = HeaderText::parse("name", name, text::NAME_MAX)?;
    if name.is_empty() {
        return Err(ServiceError::Validation("the company name is empty".into()));
    }
    Ok(name.into_string())
}

fn clean_domains(domains: &[String]) -> Result<Vec<String>> {
    text::list_len("domains", domains)?;
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let d = HeaderText::parse("domains", d, text::DOMAIN_MAX)?;
        let d = d.as_str().trim_start_matches('@').to_lowercase();
        if d.is_empty() || !d.contains('.') || d.contains(char::is_whitespace) || d.contains('@') {
            return Err(ServiceError::Validation(format!(
                "'{d}' is not a valid domain"
            )));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

impl App {
    pub async fn create_company(
        &self,
        caller: &Caller,
        req: &CompanyRequest,
    ) -> Result<CompanyView> {
        caller.allow(super::permissions::Action::CreateCompany, None)?;
        let name = company_name(&req.name)?;
        let domains = clean_domains(&req.domains)?;
        let c = self
            .store
            .create_company(caller.account.id, &name, &domains, self.now())
            .await?;
        Ok(company_view(&c))
    }

    pub async fn update_company(
        &self,
        caller: &Caller,
        id: CompanyId,
        req: &CompanyRequest,
    ) -> Result<CompanyView> {
        caller.allow(super::permissions::Action::EditCompany, None)?;
        let name = company_name(&req.name)?;
        let domains = clean_domains(&req.domains)?;
        let mut c = self
            .store
            .company(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("company"))?;
        c.name = name;
        c.domains = domains;
        self.store.update_company(&c).await?;
        Ok(company_view(&c))
    }

    pub async fn company(&self, caller: &Caller, id: CompanyId) -> Result<CompanyView> {
        let c = self
            .store
            .company(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("company"))?;
        Ok(company_view(&c))
    }

    pub async fn companies(&self, caller: &Caller) -> Result<Vec<CompanyView>> {
        Ok(self
            .store
            .companies(caller.account.id)
            .await?
            .iter()
            .map(company_view)
            .collect())
    }

    async fn contact_fields(&self, caller: &Caller, req: &ContactRequest) -> Result<ContactFields> {
        // Everything here can reach a header: the address as To, the names and title through
        // a subject's personalization tokens. Parsed before any lookup, so bad input changes nothing.
        let email = EmailAddress::parse(&req.email)?;
        text::list_len("secondary_emails", &req.secondary_emails)?;
        let first_name = HeaderText::parse("first_name", &req.first_name, text::NAME_MAX)?;
        let last_name = HeaderText::parse("last_name", &req.last_name, text::NAME_MAX)?;
        let title = HeaderText::parse("title", &req.title, text::NAME_MAX)?;
        let mut secondary: Vec<EmailAddress> = Vec::new();
        for e in &req.secondary_emails {
            let e = EmailAddress::parse(e)?;
            if e != email && !secondary.contains(&e) {
                secondary.push(e);
            }
        }
        let company_id = req.company_id.map(CompanyId);
        if let Some(id) = company_id {
            self.store
                .company(caller.account.id, id)
                .await?
                .ok_or(ServiceError::NotFound("company"))?;
        }
        let owner_id = req.owner_id.map(UserId);
        if let Some(id) = owner_id {
            self.store
                .user(caller.account.id, id)
                .await?
                .ok_or(ServiceError::NotFound("owner"))?;
        }
        Ok(ContactFields {
            email,
            secondary_emails: secondary,
            first_name: first_name.into_string(),
            last_name: last_name.into_string(),
            title: title.into_string(),
            company_id,
            owner_id,
        })
    }

    pub async fn create_contact(
        &self,
        caller: &Caller,
        req: &ContactRequest,
    ) -> Result<ContactView> {
        caller.allow(super::permissions::Action::CreateContact, None)?;
        let fields = self.contact_fields(caller, req).await?;
        self.ensure_addresses_free(caller, None, &fields).await?;
        let c = self
            .store
            .create_contact(caller.account.id, &fields, self.now())
            .await?;
        self.contact_view_of(caller, &c).await
    }

    pub async fn update_contact(
        &self,
        caller: &Caller,
        id: ContactId,
        req: &ContactRequest,
    ) -> Result<ContactView> {
        caller.allow(super::permissions::Action::EditContact, None)?;
        let fields = self.contact_fields(caller, req).await?;
        self.ensure_addresses_free(caller, Some(id), &fields)
            .await?;
        if !self
            .store
            .update_contact(caller.account.id, id, &fields)
            .await?
        {
            return Err(ServiceError::NotFound("contact"));
        }
        self.contact(caller, id).await
    }

    /// An address belongs to one contact at most, as primary or secondary.
    async fn ensure_addresses_free(
        &self,
        caller: &Caller,
        me: Option<ContactId>,
        f: &ContactFields,
    ) -> Result<()> {
        for e in std::iter::once(&f.email).chain(&f.secondary_emails) {
            if let Some(m) = self.store.contact_by_email(caller.account.id, e).await? {
                if Some(m.contact.id) != me {
                    return Err(ServiceError::Conflict(format!(
                        "{e} already belongs to contact {}",
                        m.contact.id.0
                    )));
                }
            }
        }
        Ok(())
    }

    pub async fn contact(&self, caller: &Caller, id: ContactId) -> Result<ContactView> {
        let c = self
            .store
            .contact(caller.account.id, id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or(ServiceError::NotFound("contact"))?;
        self.contact_view_of(caller, &c).await
    }

    pub async fn contacts(
        &self,
        caller: &Caller,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ContactView>> {
        let companies = self.store.companies(caller.account.id).await?;
        let users = self.store.users(caller.account.id).await?;
        let contacts = self
            .store
            .contacts(caller.account.id, limit.clamp(1, 1000), offset.max(0))
            .await?;
        Ok(contacts
            .iter()
            .map(|c| {
                let co = c
                    .company_id
                    .and_then(|id| companies.iter().find(|x| x.id == id));
                let ow = c.owner_id.and_then(|id| users.iter().find(|x| x.id == id));
                contact_view(c, co, ow)
            })
            .collect())
    }

    pub(crate) async fn contact_view_of(
        &self,
        caller: &Caller,
        c: &Contact,
    ) -> Result<ContactView> {
        let company = match c.company_id {
            Some(id) => self.store.company(caller.account.id, id).await?,
            None => None,
        };
        let owner = match c.owner_id {
            Some(id) => self.store.user(caller.account.id, id).await?,
            None => None,
        };
        Ok(contact_view(c, company.as_ref(), owner.as_ref()))
    }

    /// The contact record: details, current enrollment, past ones and the visible timeline.
    pub async fn contact_record(
        &self,
        caller: &Caller,
        id: ContactId,
    ) -> Result<ContactRecordView> {
        let contact = self.contact(caller, id).await?;
        let enrollments = self
            .store
            .enrollments_of_contact(caller.account.id, id, 100)
            .await?;
        let (live, past): (Vec<_>, Vec<_>) =
            enrollments.iter().partition(|r| r.enrollment.is_live());
        let timeline = self
            .store
            .timeline(caller.account.id, id, false, 200)
            .await?;
        Ok(ContactRecordView {
            contact,
            current_enrollment: live.first().map(|r| enrollment_view(r)),
            past_enrollments: past.iter().map(|r| enrollment_view(r)).collect(),
            timeline: timeline.iter().map(event_view).collect(),
        })
    }

    /// Deletes a contact (kept for history) and unenrolls it (`contact_deleted`).
    pub async fn delete_contact(&self, caller: &Caller, id: ContactId) -> Result<()> {
        caller.allow(super::permissions::Action::DeleteContact, None)?;
        let now = self.now();
        let live = self
            .store
            .live_enrollment_ids(caller.account.id, None, Some(id), None)
            .await?;
        let mut tx = self.store.begin_write().await?;
        if !self
            .store
            .mark_contact_deleted(&mut tx, caller.account.id, id, now)
            .await?
        {
            return Err(ServiceError::NotFound("contact"));
        }
        self.end_for_deletion(
            &mut tx,
            caller,
            &live,
            UnenrollReason::ContactDeleted,
            "contact deleted",
            now,
        )
        .await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        Ok(())
    }
}
