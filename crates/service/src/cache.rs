//! A small in-memory cache with a time to live, for reads that every hot
//! request repeats (a session's account and grants, a parent's children, a
//! lesson's campaigns). Entries are the database's answer from at most
//! `ttl` ago; a change made through this instance removes what it touches
//! at once, and one made through another instance reaches this one through
//! the change feed within a second or two (module [`crate::upkeep`]).
//!
//! A full cache never scans or empties itself under a request: entries live
//! in two generations, and when the young one holds half the room it
//! becomes the old one and the old one is let go (dropped outside the
//! lock). A read found in the old generation moves to the young one, so
//! what is in use stays.
//!
//! A read that misses, goes to the database and puts its answer back may
//! race a change: the change commits and forgets the key while the read is
//! still on its way, and the read then puts the old answer back. Caches
//! whose keys change often (a parent's home, after every progress report)
//! close that gap: [`Ttl::remove`] leaves a mark saying when the key was
//! forgotten, and [`Ttl::put_read_since`] does not put back an answer read
//! before that mark.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A key's entry: when it was put and its value, or when it was forgotten
/// (`None`, a mark for [`Ttl::put_read_since`]).
type Generation<K, V> = HashMap<K, (Instant, Option<V>)>;

struct Generations<K, V> {
    young: Generation<K, V>,
    old: Generation<K, V>,
    /// When every key was last forgotten at once.
    cleared_at: Option<Instant>,
}

pub struct Ttl<K, V> {
    name: &'static str,
    ttl: Duration,
    /// Entries in one generation at most (half the room).
    half: usize,
    map: Mutex<Generations<K, V>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A cache's counters, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub name: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> Ttl<K, V> {
    pub fn new(name: &'static str, ttl: Duration, max: usize) -> Self {
        Self {
            name,
            ttl,
            half: (max / 2).max(1),
            map: Mutex::new(Generations {
                young: HashMap::new(),
                old: HashMap::new(),
                cleared_at: None,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let found = self.lookup(k);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(&self, k: &K) -> Option<V> {
        let mut g = self.map.lock().ok()?;
        if let Some((at, v)) = g.young.get(k) {
            return v.as_ref().filter(|_| at.elapsed() < self.ttl).cloned();
        }
        let (at, v) = g.old.remove(k)?;
        let v = v.filter(|_| at.elapsed() < self.ttl)?;
        let out = v.clone();
        let retired = Self::make_room(&mut g, self.half);
        g.young.insert(k.clone(), (at, Some(v)));
        drop(g);
        drop(retired);
        Some(out)
    }

    /// When the young generation is full it becomes the old one; the old
    /// one is returned, to be dropped once the lock is released.
    fn make_room(g: &mut Generations<K, V>, half: usize) -> Option<Generation<K, V>> {
        if g.young.len() < half {
            return None;
        }
        let young = std::mem::take(&mut g.young);
        Some(std::mem::replace(&mut g.old, young))
    }

    pub fn put(&self, k: K, v: V) {
        self.insert(k, Some(v), None);
    }

    /// Puts an answer whose reading began at `since`, unless the key (or
    /// every key) was forgotten after that: the answer may then predate
    /// the change that forgot it.
    pub fn put_read_since(&self, k: K, v: V, since: Instant) {
        self.insert(k, Some(v), Some(since));
    }

    /// Forgets one key, and remembers when (see [`Ttl::put_read_since`]).
    pub fn remove(&self, k: &K) {
        self.insert(k.clone(), None, None);
    }

    fn insert(&self, k: K, v: Option<V>, since: Option<Instant>) {
        let retired = match self.map.lock() {
            Ok(mut g) => {
                let forgotten_after = |at: Option<Instant>| match (since, at) {
                    (Some(since), Some(at)) => at >= since,
                    _ => false,
                };
                let marked = g
                    .young
                    .get(&k)
                    .or_else(|| g.old.get(&k))
                    .and_then(|(at, v)| v.is_none().then_some(*at));
                if forgotten_after(marked) || forgotten_after(g.cleared_at) {
                    return;
                }
                g.old.remove(&k);
                let retired = Self::make_room(&mut g, self.half);
                g.young.insert(k, (Instant::now(), v));
                retired
            }
            Err(_) => None,
        };
        drop(retired);
    }

    /// Forgets the keys whose entry matches (marks are left alone).
    pub fn remove_where(&self, pred: impl Fn(&K, &V) -> bool) {
        if let Ok(mut g) = self.map.lock() {
            g.cleared_at = Some(Instant::now());
            let keep =
                |k: &K, v: &mut (Instant, Option<V>)| v.1.as_ref().is_none_or(|v| !pred(k, v));
            g.young.retain(keep);
            g.old.retain(keep);
        }
    }

    pub fn clear(&self) {
        let gone = match self.map.lock() {
            Ok(mut g) => {
                g.cleared_at = Some(Instant::now());
                Some((std::mem::take(&mut g.young), std::mem::take(&mut g.old)))
            }
            Err(_) => None,
        };
        drop(gone);
    }

    pub fn stats(&self) -> Stats {
        Stats {
            name: self.name,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self
                .map
                .lock()
                .map(|g| g.young.len() + g.old.len())
                .unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_removed() {
        let c: Ttl<i32, &str> = Ttl::new("test", Duration::from_millis(30), 10);
        c.put(1, "a");
        assert_eq!(c.get(&1), Some("a"));
        c.remove_where(|k, _| *k == 1);
        assert_eq!(c.get(&1), None);
        c.put(2, "b");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&2), None, "expired");
        let s = c.stats();
        assert_eq!((s.hits, s.misses), (1, 2));
    }

    #[test]
    fn a_full_cache_keeps_what_is_read_and_lets_the_rest_go() {
        let c: Ttl<i32, i32> = Ttl::new("test", Duration::from_secs(60), 10);
        for i in 0..5 {
            c.put(i, i);
        }
        // Five more fill the young generation again: the first five are old.
        for i in 5..10 {
            c.put(i, i);
        }
        assert_eq!(c.get(&0), Some(0), "read from the old generation");
        for i in 10..20 {
            c.put(i, i);
        }
        assert!(c.stats().entries <= 10, "never more than the room");
        assert_eq!(c.get(&19), Some(19), "the newest stay");
        assert_eq!(c.get(&1), None, "unused old ones went");
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_put_back() {
        let c: Ttl<i32, &str> = Ttl::new("test", Duration::from_secs(60), 10);
        let before = Instant::now();
        c.remove(&1);
        c.put_read_since(1, "stale", before);
        assert_eq!(c.get(&1), None, "read before the key was forgotten");
        c.put_read_since(1, "fresh", Instant::now());
        assert_eq!(c.get(&1), Some("fresh"), "read after it");
        let before = Instant::now();
        c.clear();
        c.put_read_since(2, "stale", before);
        assert_eq!(c.get(&2), None, "read before everything was forgotten");
        c.put(2, "unconditional");
        assert_eq!(c.get(&2), Some("unconditional"));
    }
}
