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

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Generation<K, V> = HashMap<K, (Instant, V)>;

struct Generations<K, V> {
    young: Generation<K, V>,
    old: Generation<K, V>,
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
            return (at.elapsed() < self.ttl).then(|| v.clone());
        }
        let (at, v) = g.old.remove(k)?;
        if at.elapsed() >= self.ttl {
            return None;
        }
        let out = v.clone();
        let retired = Self::make_room(&mut g, self.half);
        g.young.insert(k.clone(), (at, v));
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
        let retired = match self.map.lock() {
            Ok(mut g) => {
                g.old.remove(&k);
                let retired = Self::make_room(&mut g, self.half);
                g.young.insert(k, (Instant::now(), v));
                retired
            }
            Err(_) => None,
        };
        drop(retired);
    }

    pub fn remove_where(&self, pred: impl Fn(&K, &V) -> bool) {
        if let Ok(mut g) = self.map.lock() {
            g.young.retain(|k, (_, v)| !pred(k, v));
            g.old.retain(|k, (_, v)| !pred(k, v));
        }
    }

    pub fn clear(&self) {
        let gone = match self.map.lock() {
            Ok(mut g) => Some((std::mem::take(&mut g.young), std::mem::take(&mut g.old))),
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
}
