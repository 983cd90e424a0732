-- Inbound mail: connected mailboxes (webhook secret, IMAP settings), per-folder IMAP sync state,
-- and every processed inbound message (the idempotency key and the evidence store).
CREATE TABLE mailboxes (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    user_id BIGINT REFERENCES users(id),
    address TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    imap_host TEXT,
    imap_port BIGINT,
    imap_tls BIGINT NOT NULL,
    imap_username TEXT,
    imap_password TEXT,
    imap_oauth_token TEXT,
    imap_folders TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mailboxes_account_address ON mailboxes(account_id, address);
CREATE TABLE imap_folders (
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id),
    folder TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);
CREATE TABLE inbound_messages (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    mailbox_id BIGINT,
    message_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    from_email TEXT,
    subject TEXT NOT NULL,
    class TEXT NOT NULL,
    signals TEXT NOT NULL,
    outcome TEXT NOT NULL,
    raw_size BIGINT NOT NULL,
    raw TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX inbound_messages_account_message_id ON inbound_messages(account_id, message_id);
CREATE UNIQUE INDEX inbound_messages_account_hash ON inbound_messages(account_id, content_hash);
CREATE INDEX sent_messages_to_email ON sent_messages(account_id, to_email);
