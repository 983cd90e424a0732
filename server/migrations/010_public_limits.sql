-- The public surface (issue 19). Rate limits that hold across instances: one counter per bucket
-- and fixed window, incremented atomically by an upsert, forgotten after expires_at.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_expiry ON rate_limits(expires_at);
-- A booking made on a user's own booking page waits here until the booker proves the address
-- by opening the link emailed to it. Only then is the slot booked and the meeting rules applied.
-- confirmed_at is set once (the link works one time) together with the meeting it created.
CREATE TABLE pending_bookings (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    organizer_id BIGINT NOT NULL REFERENCES users(id),
    email TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    meeting_id BIGINT
);
CREATE INDEX pending_bookings_organizer ON pending_bookings(organizer_id, created_at)
