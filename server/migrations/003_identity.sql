-- Identity, access, meetings. Same portable conventions as 001 (BIGINT millis, JSON text, 0/1).
CREATE TABLE account_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    trusted_tenant_ids TEXT NOT NULL,
    google_hosted_domains TEXT NOT NULL
);
CREATE TABLE external_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE TABLE api_keys (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys(key_hash);
CREATE INDEX api_keys_account ON api_keys(account_id);
CREATE TABLE login_failures (
    attempt_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(attempt_key, at);
CREATE TABLE availability (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    time_zone TEXT NOT NULL,
    slot_minutes BIGINT NOT NULL,
    windows TEXT NOT NULL
);
CREATE TABLE meetings (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    organizer_id BIGINT NOT NULL REFERENCES users(id),
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    contact_ids TEXT NOT NULL,
    company_ids TEXT NOT NULL,
    booked_email TEXT,
    link_enrollment_id BIGINT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    logged_at BIGINT NOT NULL
);
CREATE INDEX meetings_organizer ON meetings(organizer_id, starts_at);
