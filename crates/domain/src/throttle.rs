//! Throttles: how often one key (a client address, a phone's hash, a gate
//! code) may knock on a door, counted in the database so that every
//! instance behind a load balancer counts the same events.

/// A throttle: at most `limit` events per `window_s` seconds for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub window_s: i64,
    pub limit: i64,
}

/// One-time codes per phone number: one a minute, five an hour, ten a day.
pub const PER_PHONE: [Limit; 3] = [
    Limit {
        name: "code-phone-1m",
        window_s: 60,
        limit: 1,
    },
    Limit {
        name: "code-phone-1h",
        window_s: 3600,
        limit: 5,
    },
    Limit {
        name: "code-phone-1d",
        window_s: 86_400,
        limit: 10,
    },
];

/// One-time codes per client address: a school's wifi may hold a whole parents'
/// meeting, so this is generous.
pub const PER_ADDRESS: Limit = Limit {
    name: "code-ip-1h",
    window_s: 3600,
    limit: 60,
};

/// Sign-in attempts per client address (each account also locks after
/// five wrong passwords, wherever they come from).
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    name: "login-ip-1m",
    window_s: 60,
    limit: 60,
};

/// Sign-ups per client address.
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    name: "register-ip-1h",
    window_s: 3600,
    limit: 60,
};

/// Requests to be bound to a child, per account.
pub const JOIN_PER_ACCOUNT: Limit = Limit {
    name: "join-account-1h",
    window_s: 3600,
    limit: 20,
};

/// Public appeals (and follow-ups) per client address: mobile carriers put
/// many phones behind one address, so this leaves room for a busy gate.
pub const APPEALS_PER_ADDRESS: Limit = Limit {
    name: "appeal-ip-10m",
    window_s: 600,
    limit: 60,
};

/// Kilobytes of public appeal photos kept per client address a day: the
/// disk one address can fill (a carrier's address may stand for many
/// parents, so about seventy appeals with three large photos each).
pub const PHOTO_KB_PER_ADDRESS: Limit = Limit {
    name: "photo-kb-ip-1d",
    window_s: 86_400,
    limit: 1024 * 1024,
};

/// Public appeals through one gate code.
pub const APPEALS_PER_CODE: Limit = Limit {
    name: "appeal-code-10m",
    window_s: 600,
    limit: 300,
};
