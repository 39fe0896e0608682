-- A school's family-education organisation: its work group (工作小组), one
-- member of which is the coordinator (总协调员), and its plan for each term.
-- A member is an account: staff of the school, or (as the committee's
-- representative) a parent with a child there.
CREATE TABLE work_group_members (
    school_id BIGINT NOT NULL REFERENCES units(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    duty TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, account_id)
);
-- One coordinator per school.
CREATE UNIQUE INDEX work_group_one_coordinator ON work_group_members (school_id)
    WHERE duty = 'coordinator';

-- The school's family-education plan for a term (Markdown), the latest
-- wording kept.
CREATE TABLE school_plans (
    school_id BIGINT NOT NULL REFERENCES units(id),
    school_year BIGINT NOT NULL,
    term TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, school_year, term)
);

-- How many schools of a unit's subtree have what the plan asks of each
-- school (a coordinator, a full work group, this term's plan...), one row
-- per unit and measure; a school's own row is its flag (0 or 1).
CREATE TABLE coverage_rollups (
    unit_id BIGINT NOT NULL,
    measure @TEXT_C@ NOT NULL,
    schools BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, measure)
);
