-- Portable schema for SQLite and PostgreSQL. Timestamps are BIGINT unix milliseconds (UTC),
-- structured data is JSON text, booleans are BIGINT 0/1. `{{ID}}` is replaced per backend.
CREATE TABLE accounts (
    id {{ID}},
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    seat TEXT,
    status TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_account_email ON users(account_id, email);
CREATE TABLE companies (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    domains TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX companies_account ON companies(account_id);
CREATE TABLE contacts (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    title TEXT NOT NULL,
    company_id BIGINT REFERENCES companies(id),
    owner_id BIGINT REFERENCES users(id),
    email_status TEXT NOT NULL,
    unsubscribed BIGINT NOT NULL,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_account_email ON contacts(account_id, email);
CREATE INDEX contacts_company ON contacts(company_id);
CREATE TABLE contact_emails (
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    account_id BIGINT NOT NULL,
    email TEXT NOT NULL
);
CREATE UNIQUE INDEX contact_emails_account_email ON contact_emails(account_id, email);
CREATE INDEX contact_emails_contact ON contact_emails(contact_id);
CREATE TABLE sequences (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    start_hour BIGINT NOT NULL,
    end_hour BIGINT NOT NULL,
    weekdays_only BIGINT NOT NULL,
    unenroll_same_company BIGINT NOT NULL,
    ooo_policy TEXT NOT NULL,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sequences_account ON sequences(account_id);
CREATE TABLE steps (
    sequence_id BIGINT NOT NULL REFERENCES sequences(id),
    number BIGINT NOT NULL,
    kind TEXT NOT NULL,
    delay_days BIGINT NOT NULL,
    business_days BIGINT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (sequence_id, number)
);
CREATE TABLE enrollments (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    sequence_id BIGINT NOT NULL REFERENCES sequences(id),
    enrolled_by BIGINT NOT NULL REFERENCES users(id),
    sender_email TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    state TEXT NOT NULL,
    current_step BIGINT NOT NULL,
    total_steps BIGINT NOT NULL,
    next_run_at BIGINT,
    pause_reason TEXT,
    paused_until BIGINT,
    unenroll_reason TEXT,
    ended_at BIGINT,
    actor_kind TEXT,
    actor_user_id BIGINT,
    actor_name TEXT,
    evidence TEXT,
    soft_bounces BIGINT NOT NULL,
    last_message_id TEXT,
    thread_refs TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX enrollments_one_live_per_contact ON enrollments(contact_id) WHERE state IN ('active', 'paused');
CREATE INDEX enrollments_due ON enrollments(next_run_at) WHERE state = 'active';
CREATE INDEX enrollments_sequence ON enrollments(sequence_id, state);
CREATE INDEX enrollments_contact ON enrollments(contact_id, enrolled_at);
CREATE TABLE sent_messages (
    id {{ID}},
    account_id BIGINT NOT NULL,
    enrollment_id BIGINT NOT NULL REFERENCES enrollments(id),
    step_number BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    to_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE UNIQUE INDEX sent_messages_message_id ON sent_messages(message_id);
CREATE INDEX sent_messages_enrollment ON sent_messages(enrollment_id);
CREATE INDEX sent_messages_state ON sent_messages(state, claimed_at);
CREATE TABLE tasks (
    id {{ID}},
    account_id BIGINT NOT NULL,
    enrollment_id BIGINT NOT NULL REFERENCES enrollments(id),
    step_number BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tasks_enrollment ON tasks(enrollment_id);
CREATE TABLE events (
    id {{ID}},
    account_id BIGINT NOT NULL,
    contact_id BIGINT NOT NULL,
    sequence_id BIGINT,
    enrollment_id BIGINT,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    hidden BIGINT NOT NULL,
    reason TEXT,
    actor_kind TEXT,
    actor_user_id BIGINT,
    actor_name TEXT,
    evidence TEXT,
    summary TEXT NOT NULL
);
CREATE INDEX events_contact ON events(contact_id, at);
CREATE INDEX events_sequence ON events(sequence_id, kind);
