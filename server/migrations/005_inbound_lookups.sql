-- Indexes for the reads inbound mail makes per message (webhook, IMAP, ingest): without them each
-- of these scans every enrollment or contact of the account.
-- Is the sender one of the account's own addresses (the sender of one of its enrollments)?
CREATE INDEX enrollments_account_sender ON enrollments(account_id, sender_email);
-- Same-company peers by email domain. `{{EMAIL_DOMAIN}}` is the part of `email` after its `@`,
-- spelled per backend (`Backend::email_domain`), and a query must spell it the same way to use it.
CREATE INDEX contacts_account_domain ON contacts(account_id, ({{EMAIL_DOMAIN}}));
-- Same-company peers by company record. Partial, so that the many contacts without a company do
-- not make a company look as large as the whole table to the planner's statistics.
CREATE INDEX contacts_account_company ON contacts(account_id, company_id) WHERE company_id IS NOT NULL;
