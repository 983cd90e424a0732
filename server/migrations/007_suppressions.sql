-- Per-account suppression list (issue 19, finding 9): addresses no sequence email may reach again,
-- whichever contact carries them. email is normalized (lower-case, as EmailAddress stores it),
-- reason is unsubscribed or hard_bounce, evidence is JSON text (unsubscribe token id, bounce
-- message id...), contact_id names the contact that carried the address when it was suppressed.
CREATE TABLE suppressions (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT,
    contact_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, email)
);
-- Opt-outs and hard bounces recorded before the list existed suppress the contact's current
-- address. Nothing is deleted or changed in contacts.
INSERT INTO suppressions (account_id, email, reason, evidence, contact_id, created_at)
SELECT account_id, email, 'unsubscribed', NULL, id, 0 FROM contacts WHERE unsubscribed = 1
ON CONFLICT (account_id, email) DO NOTHING;
INSERT INTO suppressions (account_id, email, reason, evidence, contact_id, created_at)
SELECT account_id, email, 'hard_bounce', NULL, id, 0 FROM contacts WHERE email_status = 'bounced'
ON CONFLICT (account_id, email) DO NOTHING
