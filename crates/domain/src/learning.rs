//! Learning progress: which seconds of a lesson a parent has actually
//! played. The player reports segments of continuous playback; the server
//! keeps their union per parent and lesson, so skipping ahead covers
//! nothing and watching twice counts once. A lesson is complete when at
//! least 90% of its duration is covered.

use crate::{Error, ErrorCode, Result};

/// At most this many segments in one report.
pub const MAX_SEGMENTS: usize = 200;
/// A report may run past the end by this much (players round).
const END_SLACK_S: i64 = 2;
/// Playback faster than this is not believed.
pub const MAX_RATE: i64 = 2;
/// Credit allowed on a first report before any time has passed.
pub const GRACE_S: i64 = 30;

/// Is a lesson of `duration` seconds complete with `covered` seconds played?
pub fn is_complete(covered: i64, duration: i64) -> bool {
    duration > 0 && covered * 10 >= duration * 9
}

/// How much of a lesson of `duration` seconds has been played, in whole
/// per cent (0 for a lesson of no length).
pub fn watched_percent(covered: i64, duration: i64) -> i64 {
    if duration > 0 {
        (covered * 100 / duration).clamp(0, 100)
    } else {
        0
    }
}

/// Checks the segments of one report against the lesson's duration and
/// returns them in whole seconds. Every bad segment is named in the error.
pub fn parse_segments(raw: &[[f64; 2]], duration: i64) -> Result<Vec<(i64, i64)>> {
    if raw.is_empty() {
        return Err(Error::invalid("segments", "没有播放片段"));
    }
    if raw.len() > MAX_SEGMENTS {
        return Err(Error::with_message(
            ErrorCode::PayloadTooLarge,
            format!("一次最多上报 {MAX_SEGMENTS} 个播放片段"),
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, [from, to]) in raw.iter().enumerate() {
        let n = i + 1;
        if !from.is_finite() || !to.is_finite() {
            return Err(Error::invalid(
                "segments",
                format!("第 {n} 个片段不是有效的数字"),
            ));
        }
        if *from < 0.0 {
            return Err(Error::invalid(
                "segments",
                format!("第 {n} 个片段的开始位置为负数"),
            ));
        }
        if to <= from {
            return Err(Error::invalid(
                "segments",
                format!("第 {n} 个片段的结束位置不在开始位置之后"),
            ));
        }
        if *to > (duration + END_SLACK_S) as f64 {
            return Err(Error::invalid(
                "segments",
                format!("第 {n} 个片段超出了课程时长（{duration} 秒）"),
            ));
        }
        let (a, b) = (from.floor() as i64, (to.floor() as i64).min(duration));
        if b > a {
            out.push((a, b));
        }
    }
    Ok(out)
}

/// The seconds covered so far: sorted, disjoint, half-open intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    spans: Vec<(i64, i64)>,
}

impl Coverage {
    /// Reads the stored form `"0-60,120-180"`; anything unreadable is dropped.
    pub fn decode(s: &str) -> Coverage {
        let mut c = Coverage::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            if let Some((a, b)) = part.split_once('-')
                && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
            {
                c.add((a, b));
            }
        }
        c
    }

    pub fn encode(&self) -> String {
        self.spans
            .iter()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn covered(&self) -> i64 {
        self.spans.iter().map(|(a, b)| b - a).sum()
    }

    /// Where a player opened again should start: the end of the furthest
    /// span played, or 0 when nothing was played or it ran to within ten
    /// seconds of the end (the lesson starts over).
    pub fn resume_at(&self, duration_s: i64) -> i64 {
        match self.spans.last() {
            Some((_, end)) if *end + 10 < duration_s => *end,
            _ => 0,
        }
    }

    /// Adds a span; returns how many seconds were new.
    pub fn add(&mut self, (a, b): (i64, i64)) -> i64 {
        if b <= a {
            return 0;
        }
        let before = self.covered();
        let mut merged = Vec::with_capacity(self.spans.len() + 1);
        let (mut lo, mut hi) = (a, b);
        for &(x, y) in &self.spans {
            if y < lo || x > hi {
                merged.push((x, y));
            } else {
                lo = lo.min(x);
                hi = hi.max(y);
            }
        }
        merged.push((lo, hi));
        merged.sort_unstable();
        self.spans = merged;
        self.covered() - before
    }

    /// Adds spans in order, crediting at most `budget` new seconds: a span
    /// that would go over is cut short. Returns the seconds credited.
    pub fn add_within(&mut self, spans: &[(i64, i64)], budget: i64) -> i64 {
        let mut left = budget.max(0);
        let mut credited = 0;
        for &(a, b) in spans {
            if left == 0 {
                break;
            }
            let mut trial = self.clone();
            let gain = trial.add((a, b));
            if gain <= left {
                *self = trial;
                credited += gain;
                left -= gain;
            } else {
                // Credit the span's first seconds only, up to what is left.
                let mut end = a;
                let mut lo = a;
                let mut hi = b;
                while lo < hi {
                    let mid = (lo + hi + 1) / 2;
                    let mut t = self.clone();
                    if t.add((a, mid)) <= left {
                        end = mid;
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                credited += self.add((a, end));
                left = 0;
            }
        }
        credited
    }
}

/// A pause longer than this between two reports of a parent ends a sitting;
/// the next report starts a new one with a fresh grace.
pub const SITTING_GAP_S: i64 = 3600;

/// A parent's viewing clock, for all their lessons together: when the
/// current sitting began, when the last report came, and the seconds
/// credited since the sitting began. Within a sitting, what is credited
/// never exceeds the real time passed since it began times [`MAX_RATE`],
/// plus one grace, however the reports are cut, ordered or spread over
/// lessons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchClock {
    pub began_at: i64,
    pub last_at: i64,
    pub credited_s: i64,
}

impl WatchClock {
    /// How many new seconds a report arriving at `now` may credit. A report
    /// stamped earlier than one already counted counts as arriving with it.
    pub fn budget(&mut self, now: i64) -> i64 {
        let now = now.max(self.last_at);
        if self.last_at <= 0 || now - self.last_at > SITTING_GAP_S {
            *self = WatchClock {
                began_at: now,
                last_at: now,
                credited_s: 0,
            };
        }
        self.last_at = now;
        ((now - self.began_at) * MAX_RATE + GRACE_S * MAX_RATE - self.credited_s).max(0)
    }

    /// Records seconds credited out of the last budget.
    pub fn spend(&mut self, credited: i64) {
        self.credited_s += credited.max(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watched_percent_is_whole_and_bounded() {
        assert_eq!(watched_percent(150, 600), 25);
        assert_eq!(watched_percent(599, 600), 99);
        assert_eq!(watched_percent(700, 600), 100);
        assert_eq!(watched_percent(10, 0), 0);
    }

    #[test]
    fn a_lesson_opens_again_where_it_stopped_unless_it_was_finished() {
        assert_eq!(Coverage::decode("").resume_at(600), 0);
        assert_eq!(Coverage::decode("0-95").resume_at(600), 95);
        assert_eq!(Coverage::decode("0-95,200-260").resume_at(600), 260);
        assert_eq!(Coverage::decode("0-595").resume_at(600), 0);
    }

    #[test]
    fn union_counts_each_second_once() {
        let mut c = Coverage::default();
        assert_eq!(c.add((0, 60)), 60);
        assert_eq!(c.add((30, 90)), 30);
        assert_eq!(c.add((0, 90)), 0, "watching again adds nothing");
        assert_eq!(c.add((200, 260)), 60);
        assert_eq!(c.covered(), 150);
        assert_eq!(c.encode(), "0-90,200-260");
        assert_eq!(Coverage::decode(&c.encode()), c);
        assert_eq!(c.add((90, 200)), 110, "filling the gap joins the spans");
        assert_eq!(c.encode(), "0-260");
    }

    #[test]
    fn skipping_ahead_does_not_complete() {
        let mut c = Coverage::default();
        c.add((0, 60));
        c.add((1700, 1800));
        assert!(!is_complete(c.covered(), 1800));
        c.add((60, 1620));
        assert!(is_complete(c.covered(), 1800), "{} of 1800", c.covered());
    }

    #[test]
    fn bad_segments_are_named() {
        let e = parse_segments(&[[0.0, 10.0], [-1.0, 5.0]], 600).expect_err("negative");
        assert!(e.message.contains("第 2 个") && e.message.contains("负数"));
        assert!(
            parse_segments(&[[20.0, 10.0]], 600)
                .expect_err("reversed")
                .message
                .contains("之后")
        );
        assert!(
            parse_segments(&[[0.0, 700.0]], 600)
                .expect_err("beyond")
                .message
                .contains("超出")
        );
        assert!(parse_segments(&[[0.0, f64::NAN]], 600).is_err());
        assert!(parse_segments(&[], 600).is_err());
        let many = vec![[0.0, 1.0]; MAX_SEGMENTS + 1];
        assert_eq!(
            parse_segments(&many, 600).expect_err("huge").code,
            ErrorCode::PayloadTooLarge
        );
        assert_eq!(
            parse_segments(&[[0.4, 601.5]], 600).expect("slack at the end"),
            vec![(0, 600)]
        );
    }

    #[test]
    fn credit_is_bounded_by_real_time() {
        let mut clock = WatchClock::default();
        let mut c = Coverage::default();
        // A forged report of the whole lesson at once is credited one grace.
        let credited = c.add_within(&[(0, 1800)], clock.budget(1000));
        clock.spend(credited);
        assert_eq!(credited, GRACE_S * MAX_RATE);
        assert_eq!(c.encode(), format!("0-{}", GRACE_S * MAX_RATE));
        // The same again at once: nothing more, whatever the lesson.
        assert_eq!(clock.budget(1000), 0);
        // Ten minutes later, ten minutes more at double speed at most.
        let credited = c.add_within(&[(0, 1800)], clock.budget(1600));
        clock.spend(credited);
        assert_eq!(credited, 600 * MAX_RATE);
        // A report stamped before the last one gains no time.
        assert_eq!(clock.budget(1500), 0);
        // After a long pause, a new sitting with one grace.
        assert_eq!(clock.budget(1600 + SITTING_GAP_S + 1), GRACE_S * MAX_RATE);
    }

    proptest::proptest! {
        /// However a stretch of playback is cut into reports, sent in
        /// whatever order and at whatever moments, the credit never passes
        /// real time at the allowed rate plus one grace.
        #[test]
        fn no_cutting_beats_the_clock(
            cuts in proptest::collection::vec((0i64..1800, 1i64..120, 0i64..20), 1..60)
        ) {
            let mut clock = WatchClock::default();
            let mut lessons = [Coverage::default(), Coverage::default()];
            let start = 10_000;
            let mut now = start;
            let mut total = 0;
            for (i, (from, len, wait)) in cuts.into_iter().enumerate() {
                now += wait;
                let cov = &mut lessons[i % 2];
                let got = cov.add_within(&[(from, (from + len).min(1800))], clock.budget(now));
                clock.spend(got);
                total += got;
                proptest::prop_assert!(total <= (now - start) * MAX_RATE + GRACE_S * MAX_RATE);
            }
        }

        /// The segment decoder answers every input, and what it accepts lies
        /// within the lesson.
        #[test]
        fn segments_decode_within_the_lesson(
            raw in proptest::collection::vec((proptest::num::f64::ANY, proptest::num::f64::ANY), 0..40),
            duration in 1i64..10_000,
        ) {
            let raw: Vec<[f64; 2]> = raw.into_iter().map(|(a, b)| [a, b]).collect();
            if let Ok(spans) = parse_segments(&raw, duration) {
                for (a, b) in spans {
                    proptest::prop_assert!(0 <= a && a < b && b <= duration);
                }
            }
        }

        /// Stored coverage reads back whatever text it is given, and what
        /// it encodes decodes to itself.
        #[test]
        fn coverage_text_round_trips(text in "[0-9,\\-]{0,60}") {
            let c = Coverage::decode(&text);
            proptest::prop_assert_eq!(Coverage::decode(&c.encode()), c);
        }
    }
}
