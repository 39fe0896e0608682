//! Authorization: the one place that says who may do what, and where.
//!
//! A grant is (role, unit) and covers the unit's whole subtree. An action on
//! a target unit is allowed when some grant of a role that may take the
//! action covers the target. Pages, the API and background jobs all ask here,
//! and store queries filter by the roots this module hands out, so a missing
//! check fails closed.

use crate::account::Role;
use crate::org::{UnitKind, path_within};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Grant {
    pub role: Role,
    pub unit_id: i64,
    pub unit_kind: UnitKind,
    pub unit_path: String,
}

/// The grants an account holds, as one text that changes whenever a grant
/// is added or removed (in any order): a session keeps the stamp it was
/// opened with and is renewed when it no longer matches.
pub fn grants_stamp(grants: &[Grant]) -> String {
    let mut parts: Vec<(&str, i64)> = grants
        .iter()
        .map(|g| (g.role.as_str(), g.unit_id))
        .collect();
    parts.sort_unstable();
    parts
        .iter()
        .map(|(r, u)| format!("{r}@{u}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Who is acting: an account and its grants.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: i64,
    pub username: String,
    pub grants: Vec<Grant>,
}

/// The verdict of the access gate on one object: allowed; hidden (outside
/// the caller's view, answered 404 whether or not it exists); or refused
/// (in view, but not this action: 403, audited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    Hidden,
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See a unit and its subtree in the org browser.
    ViewUnit,
    /// Create, edit, move or deactivate units.
    ManageUnit,
    /// List the accounts whose grants lie in a subtree.
    ViewAccounts,
    /// Create accounts and grants, deactivate them, reset passwords.
    ManageAccounts,
    /// Unlock an account locked by failed logins.
    UnlockAccount,
    /// Read a child's personal data (audited).
    ViewStudents,
    /// Add, edit and move students.
    ManageStudents,
    /// Issue class invite codes and confirm guardian links.
    ManageGuardians,
    /// Import units, classes, teachers, students and guardian links.
    Import,
    /// Read and export the audit log.
    ReadAudit,
    /// Issue and revoke integration tokens.
    ManageIntegrations,
    /// Write courses and lessons and submit them for review.
    AuthorCourses,
    /// Review, publish and withdraw courses and lessons.
    PublishCourses,
    /// Run the first lesson of term: campaigns and the lessons in them.
    ManageCampaigns,
    /// Plan and hold the required course's sessions with a class's parents.
    DeliverCourses,
    /// Submit micro-courses and lesson plans for review.
    Contribute,
    /// Review contributions at the level of the reviewer's unit.
    ReviewContributions,
    /// Work the appeals of a unit's inbox: assign, contact, note, transfer,
    /// reply, mark spam; raise one on a parent's behalf.
    HandleAppeals,
    /// Sign off a reply before the parent sees it (where the level asks for it).
    SignOffAppeals,
    /// The schools' gate codes and posters, and the calendar of days off.
    ManageAppeals,
    /// See the background jobs and run one again.
    OperateJobs,
    /// Name a school's coordinator and work group, and write its plan each term.
    ManageWorkGroup,
    /// Keep the parent committees of a school, grade or class and the
    /// school's parent lecturer groups (members, elections, work records,
    /// lectures).
    ManageCommittees,
    /// Keep the coordination group of the city or a district, its joint
    /// meetings and their follow-up items (an owner unit closes its own).
    ManageCoordination,
    /// Keep a guidance centre's record and its services.
    ManageGuidance,
    /// Run training programmes: sessions, check-in codes, attendance.
    ManageTraining,
    /// Keep the expert pool: add experts, record their profiles.
    ManageExperts,
    /// Ask an expert of the pool for a lecture or a review panel.
    RequestExperts,
    /// Select master-teacher studios and review them each year.
    ManageStudios,
    /// Review instructor certification: a district its schools'
    /// applications, the city the certificates and the ladder.
    CertifyInstructors,
}

impl Action {
    pub const ALL: [Action; 30] = [
        Self::ViewUnit,
        Self::ManageUnit,
        Self::ViewAccounts,
        Self::ManageAccounts,
        Self::UnlockAccount,
        Self::ViewStudents,
        Self::ManageStudents,
        Self::ManageGuardians,
        Self::Import,
        Self::ReadAudit,
        Self::ManageIntegrations,
        Self::AuthorCourses,
        Self::PublishCourses,
        Self::ManageCampaigns,
        Self::DeliverCourses,
        Self::Contribute,
        Self::ReviewContributions,
        Self::HandleAppeals,
        Self::SignOffAppeals,
        Self::ManageAppeals,
        Self::OperateJobs,
        Self::ManageWorkGroup,
        Self::ManageCommittees,
        Self::ManageCoordination,
        Self::ManageGuidance,
        Self::ManageTraining,
        Self::ManageExperts,
        Self::RequestExperts,
        Self::ManageStudios,
        Self::CertifyInstructors,
    ];

    /// The roles that may take the action (within the subtree of their grant).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        const ADMINS: &[Role] = &[CityAdmin, DistrictAdmin, SubdistrictAdmin, SchoolAdmin];
        match self {
            Self::ViewUnit => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
                HeadTeacher,
                Instructor,
                Teacher,
                Expert,
                Researcher,
                SystemAdmin,
                SecurityAdmin,
            ],
            Self::ManageUnit | Self::ManageAccounts | Self::Import | Self::ManageStudents => ADMINS,
            Self::ViewAccounts => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
                SystemAdmin,
                SecurityAdmin,
            ],
            Self::UnlockAccount => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                SecurityAdmin,
            ],
            Self::ViewStudents => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
                HeadTeacher,
                Instructor,
                Teacher,
            ],
            Self::ManageGuardians => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                HeadTeacher,
            ],
            Self::ReadAudit => &[AuditAdmin],
            // Keeping the platform running is the system administrator's.
            Self::OperateJobs => &[SystemAdmin],
            Self::ManageIntegrations => &[CityAdmin, DistrictAdmin, SystemAdmin],
            Self::AuthorCourses => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
                Instructor,
                Expert,
            ],
            Self::PublishCourses => &[CityAdmin, DistrictAdmin],
            // The city runs the campaign; a school adds its year-transition
            // lessons (the service checks which lessons a school may add).
            Self::ManageCampaigns => &[CityAdmin, SchoolAdmin, Coordinator],
            // The head teacher teaches the class; the school's instructors,
            // coordinator and administrator may stand in.
            Self::DeliverCourses => &[SchoolAdmin, Coordinator, HeadTeacher, Instructor],
            Self::Contribute => &[Coordinator, HeadTeacher, Instructor, Teacher, Expert],
            // Reviewers review at the level of their grant's unit (school,
            // district or city); experts hold city grants.
            Self::ReviewContributions => {
                &[CityAdmin, DistrictAdmin, SchoolAdmin, Coordinator, Expert]
            }
            // Appeals are handled by schools and by district and city
            // bureaus; subdistricts are not a level of the chain.
            Self::HandleAppeals => &[CityAdmin, DistrictAdmin, SchoolAdmin, Coordinator],
            Self::SignOffAppeals => &[CityAdmin, DistrictAdmin, SchoolAdmin],
            Self::ManageAppeals => &[CityAdmin, DistrictAdmin, SchoolAdmin],
            // Meetings are the city's and districts'; a school or subdistrict
            // that owns a follow-up item closes it (the service checks which).
            Self::ManageCoordination => &[CityAdmin, DistrictAdmin, SubdistrictAdmin, SchoolAdmin],
            Self::ManageGuidance => &[CityAdmin, DistrictAdmin, Researcher],
            Self::ManageExperts => &[CityAdmin],
            Self::ManageStudios => &[CityAdmin],
            Self::CertifyInstructors => &[CityAdmin, DistrictAdmin],
            Self::RequestExperts => &[CityAdmin, DistrictAdmin, SchoolAdmin, Coordinator],
            // Training is run by the bureaus, their researchers, and the
            // schools' leaders and coordinators.
            Self::ManageTraining => &[
                CityAdmin,
                DistrictAdmin,
                SchoolAdmin,
                Coordinator,
                Researcher,
            ],
            // A class's committee is its head teacher's to keep; the school's
            // and its grades' are the school's leaders'.
            Self::ManageCommittees => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
                HeadTeacher,
            ],
            // The school's leaders name the group; its coordinator keeps it.
            Self::ManageWorkGroup => &[
                CityAdmin,
                DistrictAdmin,
                SubdistrictAdmin,
                SchoolAdmin,
                Coordinator,
            ],
        }
    }
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_admin())
    }

    /// May the actor take `action` on the unit at `target_path`?
    pub fn can(&self, action: Action, target_path: &str) -> bool {
        let roles = action.roles();
        self.grants
            .iter()
            .any(|g| roles.contains(&g.role) && path_within(target_path, &g.unit_path))
    }

    /// Like [`Actor::can`], but an error that reveals nothing about the target.
    pub fn require(&self, action: Action, target_path: &str) -> Result<()> {
        if self.can(action, target_path) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// The roots of the subtrees where the actor may take `action`, with no
    /// root inside another. Store queries filter by these; empty means nothing.
    pub fn scope(&self, action: Action) -> Vec<String> {
        let roles = action.roles();
        let mut roots: Vec<String> = self
            .grants
            .iter()
            .filter(|g| roles.contains(&g.role))
            .map(|g| g.unit_path.clone())
            .collect();
        roots.sort();
        roots.dedup();
        let all = roots.clone();
        roots.retain(|r| !all.iter().any(|o| o != r && path_within(r, o)));
        roots
    }

    /// The highest administrator rank among the actor's grants (0 for none).
    pub fn admin_rank(&self) -> u8 {
        self.grants
            .iter()
            .map(|g| g.role.admin_rank())
            .max()
            .unwrap_or(0)
    }

    /// What the actor may do to another account that holds `target` grants
    /// (its credentials, its grants, its state):
    /// - the system, security and audit administrators (三员) are out of every
    ///   unit administrator's reach; the security administrator manages
    ///   system administrators, and unlocks anyone; the rest is done from the
    ///   server's command line;
    /// - a unit administrator manages an account whose every grant lies in
    ///   their subtree, and, for `ManageAccounts`, only one ranked below
    ///   their own: nobody resets the password of a peer or of a superior;
    /// - an account the actor may not even view stays hidden (404); one in
    ///   view but out of reach is refused (403).
    pub fn account_access(&self, target_id: i64, target: &[Grant], action: Action) -> Access {
        let visible = target_id == self.account_id
            || target
                .iter()
                .any(|g| self.can(Action::ViewAccounts, &g.unit_path));
        let refuse = if visible {
            Access::Refused
        } else {
            Access::Hidden
        };
        let security = self.has_role(Role::SecurityAdmin);
        if target_id == self.account_id {
            // One's own password and state go through one's own pages.
            return refuse;
        }
        if target.iter().any(|g| g.role.is_platform_admin()) {
            let only_system = target.iter().all(|g| g.role == Role::SystemAdmin);
            let allowed = security && (only_system || action == Action::UnlockAccount);
            return if allowed { Access::Allowed } else { refuse };
        }
        if action == Action::UnlockAccount && security {
            return Access::Allowed;
        }
        if target.is_empty() || !target.iter().all(|g| self.can(action, &g.unit_path)) {
            return refuse;
        }
        if action == Action::ManageAccounts {
            let target_rank = target
                .iter()
                .map(|g| g.role.admin_rank())
                .max()
                .unwrap_or(0);
            if target_rank >= self.admin_rank() {
                return Access::Refused;
            }
        }
        Access::Allowed
    }

    /// May the actor grant `role` on the unit of `kind` at `unit_path`?
    /// Only a unit administrator whose grant covers the unit, and never a
    /// role ranked above the administrator's own. The three platform
    /// administrators are made from the command line only.
    pub fn may_grant(&self, role: Role, kind: UnitKind, unit_path: &str) -> bool {
        if role.is_platform_admin() || !role.unit_kinds().contains(&kind) {
            return false;
        }
        self.grants.iter().any(|g| {
            g.role.is_unit_admin()
                && role.admin_rank() <= g.role.admin_rank()
                && path_within(unit_path, &g.unit_path)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, kind: UnitKind, path: &str) -> Actor {
        Actor {
            account_id: 1,
            username: "u".into(),
            grants: vec![Grant {
                role,
                unit_id: 0,
                unit_kind: kind,
                unit_path: path.into(),
            }],
        }
    }

    #[test]
    fn subtree_scope() {
        let d = actor(Role::DistrictAdmin, UnitKind::District, "/1/2/");
        assert!(d.can(Action::ManageUnit, "/1/2/"));
        assert!(d.can(Action::ManageUnit, "/1/2/7/9/"));
        assert!(!d.can(Action::ManageUnit, "/1/"));
        assert!(!d.can(Action::ManageUnit, "/1/20/"));
        assert!(!d.can(Action::ReadAudit, "/1/2/"));
        assert_eq!(
            d.require(Action::ViewUnit, "/1/3/"),
            Err(Error::forbidden())
        );
    }

    #[test]
    fn grant_ranks() {
        let d = actor(Role::DistrictAdmin, UnitKind::District, "/1/2/");
        assert!(d.may_grant(Role::DistrictAdmin, UnitKind::District, "/1/2/"));
        assert!(d.may_grant(Role::SchoolAdmin, UnitKind::School, "/1/2/3/4/"));
        assert!(!d.may_grant(Role::CityAdmin, UnitKind::City, "/1/"));
        assert!(!d.may_grant(Role::SchoolAdmin, UnitKind::School, "/1/3/3/4/"));
        assert!(!d.may_grant(Role::SchoolAdmin, UnitKind::Class, "/1/2/3/4/5/6/"));
        assert!(!d.may_grant(Role::AuditAdmin, UnitKind::City, "/1/"));
        let t = actor(Role::HeadTeacher, UnitKind::Class, "/1/2/3/4/5/6/");
        assert!(!t.may_grant(Role::Parent, UnitKind::Class, "/1/2/3/4/5/6/"));
    }

    fn grant(role: Role, kind: UnitKind, path: &str) -> Grant {
        Grant {
            role,
            unit_id: 0,
            unit_kind: kind,
            unit_path: path.into(),
        }
    }

    #[test]
    fn separated_administrators_and_ranks() {
        let city = actor(Role::CityAdmin, UnitKind::City, "/1/");
        let audit = [grant(Role::AuditAdmin, UnitKind::City, "/1/")];
        let system = [grant(Role::SystemAdmin, UnitKind::City, "/1/")];
        let peer = [grant(Role::CityAdmin, UnitKind::City, "/1/")];
        let district = [grant(Role::DistrictAdmin, UnitKind::District, "/1/2/")];
        let m = Action::ManageAccounts;
        assert_eq!(city.account_access(9, &audit, m), Access::Refused);
        assert_eq!(city.account_access(9, &system, m), Access::Refused);
        assert_eq!(city.account_access(9, &peer, m), Access::Refused);
        assert_eq!(city.account_access(9, &district, m), Access::Allowed);
        assert_eq!(city.account_access(1, &peer, m), Access::Refused);
        let security = actor(Role::SecurityAdmin, UnitKind::City, "/1/");
        assert_eq!(security.account_access(9, &system, m), Access::Allowed);
        assert_eq!(security.account_access(9, &audit, m), Access::Refused);
        let unlock = Action::UnlockAccount;
        assert_eq!(security.account_access(9, &audit, unlock), Access::Allowed);
        let d = actor(Role::DistrictAdmin, UnitKind::District, "/1/2/");
        assert_eq!(d.account_access(9, &district, m), Access::Refused);
        let other = [grant(Role::Teacher, UnitKind::School, "/1/3/4/5/")];
        assert_eq!(d.account_access(9, &other, m), Access::Hidden);
        assert_eq!(d.account_access(9, &peer, m), Access::Hidden);
    }

    #[test]
    fn scope_roots_are_minimal() {
        let mut a = actor(Role::DistrictAdmin, UnitKind::District, "/1/2/");
        a.grants.push(Grant {
            role: Role::SchoolAdmin,
            unit_id: 4,
            unit_kind: UnitKind::School,
            unit_path: "/1/2/3/4/".into(),
        });
        a.grants.push(Grant {
            role: Role::SchoolAdmin,
            unit_id: 9,
            unit_kind: UnitKind::School,
            unit_path: "/1/5/8/9/".into(),
        });
        assert_eq!(
            a.scope(Action::ManageUnit),
            vec!["/1/2/".to_owned(), "/1/5/8/9/".to_owned()]
        );
        assert!(a.scope(Action::ReadAudit).is_empty());
    }
}
