-- Appeals (群众诉求): the two codes at every school gate, the appeals made
-- through them or on a parent's behalf, what happened to each, and the
-- calendar the business-day clocks follow.

-- A school's codes. Rotating a code adds a new row and points the old one
-- at it, so a poster still on the gate leads to a page naming the new code.
CREATE TABLE appeal_codes (
    id @PK@,
    token TEXT NOT NULL UNIQUE,
    school_id BIGINT NOT NULL REFERENCES units(id),
    -- school | bureau
    kind TEXT NOT NULL,
    replaced_by BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX appeal_codes_school ON appeal_codes (school_id, kind, id);

CREATE TABLE appeals (
    id @PK@,
    -- What the parent keeps to follow the appeal: random, unguessable.
    tracking_code TEXT NOT NULL UNIQUE,
    -- qr | hotline | home_visit | principal_mailbox | bureau_phone
    source TEXT NOT NULL,
    -- The hotline's ticket number (or another source's own reference).
    external_ref TEXT,
    -- The school it concerns (0 when it names only a district).
    school_id BIGINT NOT NULL,
    -- The unit whose inbox holds it now, and that unit's level.
    unit_id BIGINT NOT NULL REFERENCES units(id),
    level TEXT NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    -- A hash of the normalised text and its sender: the same appeal sent
    -- twice lands once.
    dedupe_key TEXT NOT NULL,
    status TEXT NOT NULL,
    handler_id BIGINT NOT NULL DEFAULT 0,
    urgent BIGINT NOT NULL DEFAULT 0,
    escalations BIGINT NOT NULL DEFAULT 0,
    reopened BIGINT NOT NULL DEFAULT 0,
    -- The clocks of the current level: started, due, met (0 while running).
    clock_start BIGINT NOT NULL,
    contact_due BIGINT NOT NULL,
    contacted_at BIGINT NOT NULL DEFAULT 0,
    reply_due BIGINT NOT NULL,
    replied_at BIGINT NOT NULL DEFAULT 0,
    -- The latest due time the deadline sweep has acted on, so an appeal it
    -- could not move further (the city's) is not picked again.
    swept_at BIGINT NOT NULL DEFAULT 0,
    -- The due time a "due soon" warning was sent for.
    warned_due BIGINT NOT NULL DEFAULT 0,
    -- A clock ran out at some level (for the board: "on time" is never overdue).
    contact_late BIGINT NOT NULL DEFAULT 0,
    reply_late BIGINT NOT NULL DEFAULT 0,
    -- The reply: three parts, kept as a draft until published.
    reply_policy TEXT NOT NULL DEFAULT '',
    reply_status TEXT NOT NULL DEFAULT '',
    reply_next_steps TEXT NOT NULL DEFAULT '',
    replied_by BIGINT NOT NULL DEFAULT 0,
    rating TEXT NOT NULL DEFAULT '',
    rating_comment TEXT NOT NULL DEFAULT '',
    rating_due BIGINT NOT NULL DEFAULT 0,
    rated_at BIGINT NOT NULL DEFAULT 0,
    closed_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The earliest deadline still running (far in the future once nothing
    -- runs): "overdue" is one range of an index, whatever the inbox's size.
    next_due BIGINT GENERATED ALWAYS AS (
        CASE
            WHEN status NOT IN ('received', 'in_progress', 'awaiting_sign_off') THEN 4611686018427387904
            WHEN contacted_at = 0 AND replied_at = 0 AND contact_due < reply_due THEN contact_due
            WHEN replied_at = 0 THEN reply_due
            WHEN contacted_at = 0 THEN contact_due
            ELSE 4611686018427387904
        END) STORED
);
CREATE INDEX appeals_inbox ON appeals (unit_id, id);
CREATE INDEX appeals_inbox_due ON appeals (unit_id, next_due);
CREATE INDEX appeals_next_due ON appeals (next_due);
CREATE INDEX appeals_inbox_status ON appeals (unit_id, status, id);
CREATE INDEX appeals_school ON appeals (school_id, id);
CREATE INDEX appeals_rating_due ON appeals (status, rating_due);
CREATE INDEX appeals_dedupe ON appeals (dedupe_key, created_at);
CREATE UNIQUE INDEX appeals_external ON appeals (source, external_ref);

-- Everything that happened to an appeal. Public events show on the
-- parent's status page; internal notes never do.
CREATE TABLE appeal_events (
    id @PK@,
    appeal_id BIGINT NOT NULL REFERENCES appeals(id),
    kind TEXT NOT NULL,
    public BIGINT NOT NULL,
    -- 0 for the parent or the system.
    actor_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX appeal_events_appeal ON appeal_events (appeal_id, id);

CREATE TABLE appeal_photos (
    appeal_id BIGINT NOT NULL REFERENCES appeals(id),
    media_id BIGINT NOT NULL REFERENCES media_files(id),
    PRIMARY KEY (appeal_id, media_id)
);

-- What a unit should know at once: an appeal escalated to it or away from
-- it, an urgent one. Shown at the top of the inbox until read.
CREATE TABLE appeal_notices (
    id @PK@,
    unit_id BIGINT NOT NULL,
    appeal_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX appeal_notices_unit ON appeal_notices (unit_id, read_at, id);

-- Holidays on working days and make-up working days (调休) on weekends.
CREATE TABLE calendar_days (
    day BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    note TEXT NOT NULL
);

-- Opinion watch: the keywords of each appeal, by day and place (the day
-- counts from 1970-01-01 in Beijing time). Derived data written in the
-- appeal's own transaction: no foreign key to check on every word.
CREATE TABLE appeal_keywords (
    appeal_id BIGINT NOT NULL,
    word TEXT NOT NULL,
    school_id BIGINT NOT NULL,
    district_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    PRIMARY KEY (appeal_id, word)
);
CREATE INDEX appeal_keywords_day ON appeal_keywords (day, word);
CREATE INDEX appeal_keywords_district ON appeal_keywords (district_id, day);
CREATE INDEX appeal_keywords_school ON appeal_keywords (school_id, day);

-- Reusable replies per category, written by a unit for itself and the
-- units below it.
CREATE TABLE appeal_templates (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    policy TEXT NOT NULL,
    status TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX appeal_templates_unit ON appeal_templates (unit_id, category);

-- The level above checks closed appeals by calling parents back.
CREATE TABLE appeal_callbacks (
    id @PK@,
    appeal_id BIGINT NOT NULL REFERENCES appeals(id),
    -- The unit that checks (the level above the one that closed it).
    unit_id BIGINT NOT NULL,
    sampled_at BIGINT NOT NULL,
    -- '' until recorded; then resolved | unresolved | unreachable
    outcome TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    checked_by BIGINT NOT NULL DEFAULT 0,
    checked_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (appeal_id)
);
CREATE INDEX appeal_callbacks_unit ON appeal_callbacks (unit_id, outcome, id);

-- The board's counts per school (or, for appeals naming none, per holding
-- district) and month of receipt (YYYYMM, Beijing time), kept as appeals
-- change, so a board reads a few rows per school, not every appeal.
CREATE TABLE appeal_board_rollups (
    holder_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    total BIGINT NOT NULL,
    contact_due BIGINT NOT NULL,
    contact_on_time BIGINT NOT NULL,
    reply_due BIGINT NOT NULL,
    reply_on_time BIGINT NOT NULL,
    escalated BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    pleased BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    PRIMARY KEY (holder_id, month)
);
