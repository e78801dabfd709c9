-- Switchyard foundation schema (PostgreSQL). Ids are UUIDv7 text, times are UTC epoch milliseconds.
-- Keep in step with sql/sqlite/0001_foundation.sql: the same tables, columns and indexes.

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE skills (
    name TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    team_id TEXT REFERENCES teams(id),
    capacity_voice BIGINT NOT NULL DEFAULT 1,
    capacity_chat BIGINT NOT NULL DEFAULT 3,
    capacity_email BIGINT NOT NULL DEFAULT 5,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE agent_skills (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    skill TEXT NOT NULL REFERENCES skills(name),
    proficiency BIGINT NOT NULL CHECK (proficiency BETWEEN 1 AND 10),
    PRIMARY KEY (agent_id, skill)
);

CREATE TABLE team_supervisors (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE queues (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    team_id TEXT REFERENCES teams(id),
    required_skills TEXT NOT NULL DEFAULT '',
    strategy TEXT NOT NULL DEFAULT 'longest_idle',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tier_rules (
    tier TEXT PRIMARY KEY,
    rank BIGINT NOT NULL,
    min_assets BIGINT,
    min_turnover BIGINT,
    min_commission BIGINT
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    external_id TEXT UNIQUE,
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    tier_override TEXT,
    tier_override_by TEXT,
    tier_override_reason TEXT,
    account_manager_id TEXT REFERENCES agents(id),
    risk_profile TEXT,
    preferred_channel TEXT,
    assets BIGINT,
    turnover BIGINT,
    commission BIGINT,
    attributes TEXT NOT NULL DEFAULT '{}',
    merged_into TEXT REFERENCES customers(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_name ON customers(name);
CREATE INDEX customers_manager ON customers(account_manager_id);

CREATE TABLE customer_phones (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    e164 TEXT NOT NULL,
    PRIMARY KEY (customer_id, e164)
);
CREATE INDEX customer_phones_e164 ON customer_phones(e164);

CREATE TABLE customer_emails (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (customer_id, address)
);
CREATE INDEX customer_emails_address ON customer_emails(address);

CREATE TABLE customer_accounts (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    account_number TEXT NOT NULL,
    PRIMARY KEY (customer_id, account_number)
);
CREATE INDEX customer_accounts_number ON customer_accounts(account_number);

CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    customer_id TEXT REFERENCES customers(id),
    identification TEXT NOT NULL,
    state TEXT NOT NULL,
    remote_address TEXT,
    local_address TEXT,
    subject TEXT,
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT,
    outcome TEXT,
    disposition TEXT,
    notes TEXT
);
CREATE INDEX interactions_customer ON interactions(customer_id, started_at);
CREATE INDEX interactions_started ON interactions(started_at);

CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    interaction_id TEXT NOT NULL REFERENCES interactions(id),
    kind TEXT NOT NULL,
    queue_id TEXT,
    agent_id TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    outcome TEXT
);
CREATE INDEX segments_interaction ON segments(interaction_id, started_at);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    follow_up_at BIGINT,
    opened_by TEXT,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX cases_customer ON cases(customer_id, opened_at);

CREATE TABLE case_interactions (
    case_id TEXT NOT NULL REFERENCES cases(id),
    interaction_id TEXT NOT NULL REFERENCES interactions(id),
    PRIMARY KEY (case_id, interaction_id)
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    idempotency_key TEXT,
    payload TEXT NOT NULL,
    UNIQUE (subject_kind, subject_id, seq)
);
CREATE UNIQUE INDEX events_idempotency ON events(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_occurred ON events(occurred_at);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_agent ON sessions(agent_id);
