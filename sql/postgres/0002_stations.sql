-- Stations: SIP device accounts (desk phones, softphones). Each has its own SIP password,
-- stored only as digest HA1 values per realm and algorithm, never in plain text.
CREATE TABLE stations (
    name TEXT PRIMARY KEY,
    agent_id TEXT REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE station_credentials (
    station TEXT NOT NULL REFERENCES stations(name) ON DELETE CASCADE,
    realm TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    ha1 TEXT NOT NULL,
    PRIMARY KEY (station, realm, algorithm)
);

-- Registered contacts (soft state, reloaded at start-up; expired rows are ignored).
CREATE TABLE station_bindings (
    station TEXT NOT NULL REFERENCES stations(name) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    call_id TEXT NOT NULL,
    cseq BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (station, contact)
);
