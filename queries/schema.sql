-- Tables of the store. Facts carry the codes of their ancestors by tree depth (d1 = province,
-- d2 = the unit below it, ...) so a subtree roll-up is one filtered aggregate, never a join.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS regions (
    code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    level TINYINT NOT NULL,        -- 0 country, 1 province, 2 prefecture, 3 county, 4 township, 5 village
    parent_code VARCHAR,
    depth TINYINT NOT NULL,        -- steps from the country root; differs from level where levels are skipped
    d1 VARCHAR, d2 VARCHAR, d3 VARCHAR, d4 VARCHAR, d5 VARCHAR,
    batch_id INTEGER               -- the upload that created a village; NULL for the official tree
);

CREATE TABLE IF NOT EXISTS indicators (
    id VARCHAR PRIMARY KEY,
    name_zh VARCHAR NOT NULL,
    aliases VARCHAR,
    unit VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    numerator VARCHAR,
    denominator VARCHAR,
    category VARCHAR,
    description VARCHAR,
    headline TINYINT,
    sort_order INTEGER,
    frequency VARCHAR NOT NULL,    -- month, quarter or year: how often a unit reports it
    carry INTEGER,                 -- stocks and scores: reporting periods a value may be carried forward
    max_value DECIMAL(18, 6)       -- the largest plausible value; imports above it are refused (NULL for ratios)
);

CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY,
    file_name VARCHAR,
    sha256 VARCHAR,
    uploader VARCHAR,
    created_at TIMESTAMP DEFAULT current_timestamp,
    inserted INTEGER,
    replaced INTEGER,
    skipped INTEGER,
    villages INTEGER DEFAULT 0,
    undone_at TIMESTAMP,           -- set when the batch was undone
    kind VARCHAR DEFAULT 'facts'   -- facts, or targets (目标值)
);

-- Values a batch replaced, so that undoing it restores exactly what was there before.
CREATE TABLE IF NOT EXISTS fact_history (
    batch_id INTEGER NOT NULL,     -- the batch that replaced the value
    region_code VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    months TINYINT NOT NULL,
    value DECIMAL(18, 6) NOT NULL,
    old_batch_id INTEGER NOT NULL  -- the batch that had written the replaced value
);

CREATE TABLE IF NOT EXISTS facts (
    region_code VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    months TINYINT NOT NULL,       -- 1 month, 3 quarter, 12 year
    value DECIMAL(18, 6) NOT NULL,  -- exact: sums never depend on row order
    batch_id INTEGER NOT NULL,
    valid_to DATE,                 -- period_end of the next report of this region and indicator (stocks)
    d1 VARCHAR, d2 VARCHAR, d3 VARCHAR, d4 VARCHAR, d5 VARCHAR
);

-- Facts summed per county (level 3) and per city (level 2, the county rows summed again)
-- (buckets.py): what the views of a city (level 3) and of the country or a province (level 2) read
-- instead of millions of facts. bucket: the county (d3) or city (d2), or the region itself above.
-- Flows: one row per period and cover (the smallest coarser report of the same region and
-- indicator that contains the period, if any: flow_totals.sql counts a fact once). Stocks: per
-- period and valid_to. Ratios (indicator_id = the ratio): the regions' pairs of numerator and
-- denominator in effect together, from effective (the later part's end) to valid_to (the earlier
-- next report); period_start/period_end are those of the older part. units: facts (pairs) summed.
-- lone (ratios only): +1 for each part while in effect, -2 for each pair while in effect; summed
-- over the rows in effect it counts the regions with one part only (a ratio reads its own rows).
CREATE TABLE IF NOT EXISTS bucket_totals (
    bucket VARCHAR NOT NULL,
    d1 VARCHAR, d2 VARCHAR, d3 VARCHAR,
    indicator_id VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    effective DATE,
    valid_to DATE,
    cover_start DATE,
    cover_end DATE,
    value DECIMAL(38, 6) NOT NULL,
    den DECIMAL(38, 6),
    units BIGINT NOT NULL,
    lone BIGINT,
    level TINYINT NOT NULL
);

-- The sums of bucket_totals at `sums_level` (buckets.level) of the indicators `ids` in effect at
-- `at_end` in the subtree of `region_code` (at tree depth `at_depth`), not expired (period_end at
-- or after `oldest`): what the stock and ratio roll-ups read (stock_totals_buckets.sql,
-- ratio_totals_buckets.sql). `sums_level` is a parameter of its own, so that DuckDB skips the
-- other level's row groups (an expression was not pushed down).
CREATE OR REPLACE MACRO held_sums(ids, at_end, oldest, region_code, at_depth, sums_level) AS TABLE
    FROM bucket_totals
    WHERE list_contains(ids, indicator_id)
      AND effective <= at_end AND period_end >= oldest AND (valid_to IS NULL OR valid_to > at_end)
      AND CASE at_depth WHEN 0 THEN region_code WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = region_code
      AND level = sums_level::TINYINT;

-- Per township-level unit (乡镇/街道, level 4) and reporting period (period_start, period_end of
-- its facts), which indicators it reported, itself or its villages: bit k of mask is the k-th
-- indicator by id, from 0 (view indicator_bits). What the 报送情况 page reads instead of the
-- facts; kept in step with them like bucket_totals (unit_reports_refresh.sql). d1..d3: the unit's
-- ancestors by depth (d3 is its county bucket, or the unit itself at depth 3).
CREATE OR REPLACE VIEW indicator_bits AS   -- bit k of unit_reports.mask: the k-th indicator by id
SELECT id AS indicator_id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS bit FROM indicators;

CREATE TABLE IF NOT EXISTS unit_reports (
    unit VARCHAR NOT NULL,
    d1 VARCHAR, d2 VARCHAR, d3 VARCHAR,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    mask UBIGINT NOT NULL
);

-- Targets (目标值) per region, indicator, year and optionally quarter (NULL: the year's target),
-- in the catalog unit (ratios in %). Never facts: no roll-up, bucket or report reads them
-- (targets.py compares them with the roll-ups). Written by targets batches (batches.kind).
CREATE TABLE IF NOT EXISTS targets (
    region_code VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    year SMALLINT NOT NULL,
    quarter TINYINT,               -- 1-4, NULL for a year target
    value DECIMAL(18, 6) NOT NULL,
    batch_id INTEGER NOT NULL
);

-- Targets a batch replaced, so that undoing it restores them exactly (like fact_history).
CREATE TABLE IF NOT EXISTS target_history (
    batch_id INTEGER NOT NULL,
    region_code VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    year SMALLINT NOT NULL,
    quarter TINYINT,
    value DECIMAL(18, 6) NOT NULL,
    old_batch_id INTEGER NOT NULL
);

-- Accounts (accounts.py). role: viewer (reads), staff (writes inside scope's subtree), admin
-- (everything). scope: the region whose subtree the user may write; read_scope: the region whose
-- subtree the user may read (NULL: every region). Passwords only as argon2id hashes.
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY,
    display_name VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    read_scope VARCHAR,
    disabled BOOLEAN NOT NULL DEFAULT false,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    must_change BOOLEAN NOT NULL DEFAULT false,   -- a one-time password: change it at first login
    demo BOOLEAN NOT NULL DEFAULT false,          -- a documented demo login of the demo database
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Logins (kind 'session', ended after inactivity) and command-line tokens (kind 'token', until
-- revoked): only the SHA-256 of the token is stored.
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 VARCHAR PRIMARY KEY,
    user_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);

-- Append-only audit log (audit.py): no query updates or deletes its rows, undo included.
CREATE SEQUENCE IF NOT EXISTS audit_ids;
CREATE TABLE IF NOT EXISTS audit (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    logged_at TIMESTAMP NOT NULL,
    user_name VARCHAR,
    action VARCHAR NOT NULL,
    object VARCHAR,
    detail VARCHAR,
    file_name VARCHAR,
    file_sha256 VARCHAR,
    ok BOOLEAN NOT NULL
);
