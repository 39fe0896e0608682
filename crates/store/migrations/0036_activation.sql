-- How far each unit's people use the platform, counted by a nightly job
-- (a full pass over grants, links and sign-ins) and read by the activation
-- board: staff roles held and those signed in within 30 days, parents
-- linked to a child, those confirmed, and those signed in within 30 days.
CREATE TABLE activation_snapshots (
    unit_id BIGINT PRIMARY KEY,
    staff BIGINT NOT NULL DEFAULT 0,
    staff_active BIGINT NOT NULL DEFAULT 0,
    parents BIGINT NOT NULL DEFAULT 0,
    parents_bound BIGINT NOT NULL DEFAULT 0,
    parents_active BIGINT NOT NULL DEFAULT 0,
    computed_at BIGINT NOT NULL
);
