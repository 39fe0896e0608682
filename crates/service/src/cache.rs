//! A small in-memory cache with a time to live, for reads that every hot
//! request repeats (a session's account and grants, a parent's children, a
//! lesson's campaigns). Entries are the database's answer from at most
//! `ttl` ago; a change made through this instance removes what it touches
//! at once, and another instance's change shows here within the TTL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Ttl<K, V> {
    ttl: Duration,
    max: usize,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Ttl<K, V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let m = self.map.lock().ok()?;
        m.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, k: K, v: V) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= self.max {
                let ttl = self.ttl;
                m.retain(|_, (at, _)| at.elapsed() < ttl);
                if m.len() >= self.max {
                    m.clear();
                }
            }
            m.insert(k, (Instant::now(), v));
        }
    }

    pub fn remove_where(&self, pred: impl Fn(&K, &V) -> bool) {
        if let Ok(mut m) = self.map.lock() {
            m.retain(|k, (_, v)| !pred(k, v));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_removed() {
        let c: Ttl<i32, &str> = Ttl::new(Duration::from_millis(30), 10);
        c.put(1, "a");
        assert_eq!(c.get(&1), Some("a"));
        c.remove_where(|k, _| *k == 1);
        assert_eq!(c.get(&1), None);
        c.put(2, "b");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&2), None, "expired");
        for i in 0..20 {
            c.put(i, "x");
        }
        assert!(c.get(&19).is_some(), "a full cache makes room");
    }
}
