-- Parent committees (家长委员会) of schools, grades and classes, one active
-- per unit and school year; their members (parents of the unit, one chair),
-- elections and work records. Dates are local days written `YYYY-MM-DD`.
CREATE TABLE parent_committees (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    school_year BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    formed_on TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    dissolved_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX parent_committees_one_active ON parent_committees (unit_id, school_year)
    WHERE status = 'active';
CREATE INDEX parent_committees_unit ON parent_committees (unit_id, school_year);

CREATE TABLE committee_members (
    committee_id BIGINT NOT NULL REFERENCES parent_committees(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    seat TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (committee_id, account_id)
);
CREATE UNIQUE INDEX committee_one_chair ON committee_members (committee_id) WHERE seat = 'chair';
CREATE INDEX committee_members_account ON committee_members (account_id);

CREATE TABLE committee_elections (
    id @PK@,
    committee_id BIGINT NOT NULL REFERENCES parent_committees(id),
    held_on TEXT NOT NULL,
    voters BIGINT NOT NULL,
    chair_id BIGINT NOT NULL REFERENCES accounts(id),
    note TEXT NOT NULL DEFAULT '',
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX committee_elections_committee ON committee_elections (committee_id, held_on);

CREATE TABLE committee_records (
    id @PK@,
    committee_id BIGINT NOT NULL REFERENCES parent_committees(id),
    held_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    attendees BIGINT NOT NULL DEFAULT 0,
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX committee_records_committee ON committee_records (committee_id, held_on);

-- The two parent lecturer groups of a school (双团): their lecturers
-- (parents of the school) and the lectures given.
CREATE TABLE parent_lecturers (
    school_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    specialty TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, kind, account_id)
);

CREATE TABLE parent_lectures (
    id @PK@,
    school_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    lecturer_id BIGINT NOT NULL REFERENCES accounts(id),
    held_on TEXT NOT NULL,
    audience TEXT NOT NULL,
    title TEXT NOT NULL,
    attendees BIGINT NOT NULL DEFAULT 0,
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX parent_lectures_school ON parent_lectures (school_id, held_on);
