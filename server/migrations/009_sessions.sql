-- Sessions (issue 19). A session is one sign-in of one browser or panel: its access tokens carry
-- the session id (`sid`) and are refused once it is revoked. Same portable conventions as 001
-- (BIGINT millis, text ids). Tokens and codes are stored as SHA-256 hex only.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
-- Every refresh token a session was given. The current one has no used_at. Presenting a used one
-- means it was copied: the session is revoked.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    issued_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
-- One-time sign-in codes (`/app/?code=`, printed by the demo and the CLI): single use, short-lived.
CREATE TABLE sign_in_codes (
    code_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
-- Tokens without a session id (minted by the operator's CLI) issued before not_before are refused:
-- revoking a user's sessions reaches them too.
CREATE TABLE session_cutoffs (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    not_before BIGINT NOT NULL
);
