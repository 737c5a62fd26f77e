//! Repeating timers for `zmq_timers_*`: each timer fires every `interval`
//! milliseconds until cancelled. Time is passed in (milliseconds on any
//! monotonic clock), so the logic is testable without sleeping; the caller
//! runs the handlers, which may add, cancel or change timers meanwhile.

use std::collections::{BTreeSet, HashMap};

use crate::error::{Error, Result};

struct Timer<T> {
    interval: u64,
    deadline: u64,
    payload: T,
}

pub struct Timers<T> {
    timers: HashMap<i32, Timer<T>>,
    /// (deadline, id): the order in which timers expire.
    queue: BTreeSet<(u64, i32)>,
    last_id: i32,
}

impl<T: Clone> Timers<T> {
    pub fn new() -> Timers<T> {
        Timers {
            timers: HashMap::new(),
            queue: BTreeSet::new(),
            last_id: 0,
        }
    }

    /// Adds a timer that first fires `interval` ms after `now`; returns its
    /// id (positive, never reused).
    pub fn add(&mut self, now: u64, interval: u64, payload: T) -> Result<i32> {
        let id = self.last_id.checked_add(1).ok_or(Error::NoMemory)?;
        self.last_id = id;
        let deadline = now.saturating_add(interval);
        self.timers.insert(
            id,
            Timer {
                interval,
                deadline,
                payload,
            },
        );
        self.queue.insert((deadline, id));
        Ok(id)
    }

    pub fn cancel(&mut self, id: i32) -> Result<()> {
        let timer = self.timers.remove(&id).ok_or(Error::Invalid)?;
        self.queue.remove(&(timer.deadline, id));
        Ok(())
    }

    /// Changes the interval; the timer next fires `interval` ms after `now`.
    pub fn set_interval(&mut self, now: u64, id: i32, interval: u64) -> Result<()> {
        self.timers.get_mut(&id).ok_or(Error::Invalid)?.interval = interval;
        self.reset(now, id)
    }

    /// Restarts the timer: it next fires one interval after `now`.
    pub fn reset(&mut self, now: u64, id: i32) -> Result<()> {
        let timer = self.timers.get_mut(&id).ok_or(Error::Invalid)?;
        self.queue.remove(&(timer.deadline, id));
        timer.deadline = now.saturating_add(timer.interval);
        self.queue.insert((timer.deadline, id));
        Ok(())
    }

    /// Milliseconds from `now` until the next timer fires (0 if one is
    /// due), or `None` without timers.
    pub fn timeout(&self, now: u64) -> Option<u64> {
        self.queue
            .first()
            .map(|&(deadline, _)| deadline.saturating_sub(now))
    }

    /// The ids of the timers due at `now`, earliest first. Fire each with
    /// [`Timers::fire`]; a handler run in between may cancel the others.
    pub fn due(&self, now: u64) -> Vec<i32> {
        self.queue
            .iter()
            .take_while(|&&(deadline, _)| deadline <= now)
            .map(|&(_, id)| id)
            .collect()
    }

    /// Reschedules timer `id` one interval after `now` and returns its
    /// payload for the caller to run; `None` if it was cancelled meanwhile.
    pub fn fire(&mut self, now: u64, id: i32) -> Option<T> {
        let payload = self.timers.get(&id)?.payload.clone();
        self.reset(now, id).ok()?;
        Some(payload)
    }

    pub fn len(&self) -> usize {
        self.timers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }
}

impl<T: Clone> Default for Timers<T> {
    fn default() -> Self {
        Timers::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_order_and_repeat() {
        let mut t = Timers::new();
        let a = t.add(0, 10, 'a').unwrap();
        let b = t.add(0, 5, 'b').unwrap();
        assert!(a > 0 && b > a);
        assert_eq!(t.timeout(0), Some(5));
        assert!(t.due(4).is_empty());
        assert_eq!(t.due(10), vec![b, a]);
        assert_eq!(t.fire(10, b), Some('b'));
        assert_eq!(t.fire(10, a), Some('a'));
        assert_eq!(t.timeout(10), Some(5));
        assert_eq!(t.due(15), vec![b]);
    }

    #[test]
    fn cancel_and_unknown_ids() {
        let mut t = Timers::new();
        let a = t.add(0, 10, ()).unwrap();
        assert_eq!(t.cancel(a), Ok(()));
        assert_eq!(t.cancel(a), Err(Error::Invalid));
        assert_eq!(t.cancel(999), Err(Error::Invalid));
        assert_eq!(t.reset(0, a), Err(Error::Invalid));
        assert_eq!(t.set_interval(0, a, 5), Err(Error::Invalid));
        assert_eq!(t.timeout(0), None);
        assert_eq!(t.fire(20, a), None);
        assert!(t.is_empty());
    }

    #[test]
    fn a_cancelled_due_timer_does_not_fire() {
        let mut t = Timers::new();
        let a = t.add(0, 1, 1).unwrap();
        let b = t.add(0, 1, 2).unwrap();
        let due = t.due(5);
        assert_eq!(due, vec![a, b]);
        assert_eq!(t.fire(5, a), Some(1));
        t.cancel(b).unwrap();
        assert_eq!(t.fire(5, b), None);
    }

    #[test]
    fn reset_and_set_interval_move_the_deadline() {
        let mut t = Timers::new();
        let a = t.add(0, 10, ()).unwrap();
        t.reset(8, a).unwrap();
        assert_eq!(t.timeout(8), Some(10));
        t.set_interval(9, a, 100).unwrap();
        assert_eq!(t.timeout(9), Some(100));
        assert_eq!(t.timeout(500), Some(0));
    }

    #[test]
    fn zero_interval_fires_once_per_pass() {
        let mut t = Timers::new();
        let a = t.add(0, 0, ()).unwrap();
        assert_eq!(t.due(0), vec![a]);
        assert_eq!(t.fire(0, a), Some(()));
        assert_eq!(t.due(0), vec![a]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn huge_intervals_saturate() {
        let mut t = Timers::new();
        t.add(u64::MAX - 1, u64::MAX, ()).unwrap();
        assert_eq!(t.timeout(0), Some(u64::MAX));
    }
}
