-- Issue 19, findings 5 and 7. Same portable conventions as 001 (BIGINT millis, 0/1).
-- A Microsoft tenant (tid) or Google Workspace domain (hd) is trusted by at most one account,
-- and only once one of its admins proved it (service/trust.rs). provider is microsoft or google,
-- external_id the lower-cased tid or hd, proof how it was proven (microsoft_admin_token,
-- google_hd_token, or legacy for a value listed before proofs existed), proven_by the
-- Sequencer admin who proved it (none for legacy).
-- The unique index is the ownership rule itself.
-- Right after this file the store moves the old lists in account_settings here
-- (store::identity::adopt_legacy_trust): a value listed by one account only is kept as legacy,
-- a value listed by several accounts is dropped for all of them and recorded in
-- trusted_identity_conflicts (they must prove it again).
CREATE TABLE trusted_identities (
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    proof TEXT NOT NULL,
    proven_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX trusted_identities_owner ON trusted_identities(provider, external_id);
CREATE INDEX trusted_identities_account ON trusted_identities(account_id);
CREATE TABLE trusted_identity_conflicts (
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    account_id BIGINT NOT NULL
);
-- The password sign-in limiter: one counter row per (email, client address) key, counted up by
-- one atomic upsert so parallel attempts each see their own number (login_failures is no
-- longer written).
CREATE TABLE login_limits (
    attempt_key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);
