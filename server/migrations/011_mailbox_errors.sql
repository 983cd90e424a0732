-- Issue 19: the last error of a mailbox's IMAP connection (a refused target, a refused login, a
-- TLS failure), shown to admins in the mailbox list. NULL while the last session worked.
ALTER TABLE mailboxes ADD COLUMN last_error TEXT;
ALTER TABLE mailboxes ADD COLUMN last_error_at BIGINT
