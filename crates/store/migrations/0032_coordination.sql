-- The coordination group of the city and of each district: its lead, its
-- member departments, its joint meetings (agenda, minutes in Markdown, the
-- departments present) and the follow-up items each meeting decides, owned
-- by a unit of the group's subtree. Dates are local days, `YYYY-MM-DD`.
CREATE TABLE coordination_groups (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    lead TEXT NOT NULL,
    set_up_on TEXT NOT NULL,
    updated_by BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE coordination_departments (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    name @TEXT_C@ NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    is_lead BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_id, name)
);

CREATE TABLE joint_meetings (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    agenda TEXT NOT NULL DEFAULT '',
    minutes TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX joint_meetings_unit ON joint_meetings (unit_id, held_on);

CREATE TABLE joint_meeting_attendance (
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings(id),
    department_id BIGINT NOT NULL REFERENCES coordination_departments(id),
    PRIMARY KEY (meeting_id, department_id)
);

CREATE TABLE meeting_items (
    id @PK@,
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings(id),
    owner_unit_id BIGINT NOT NULL REFERENCES units(id),
    decision TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    done_on TEXT NOT NULL DEFAULT '',
    done_note TEXT NOT NULL DEFAULT '',
    done_by BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX meeting_items_meeting ON meeting_items (meeting_id);
CREATE INDEX meeting_items_owner ON meeting_items (owner_unit_id, status, due_on);

-- The guidance centre of the city or a district, with its family education
-- section, and the services it gives.
CREATE TABLE guidance_centers (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    name TEXT NOT NULL,
    section TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    established_on TEXT NOT NULL,
    updated_by BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE guidance_services (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    people BIGINT NOT NULL DEFAULT 0,
    researcher_id BIGINT NOT NULL DEFAULT 0,
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX guidance_services_unit ON guidance_services (unit_id, held_on);
