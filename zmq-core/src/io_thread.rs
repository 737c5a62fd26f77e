//! I/O threads: each runs an event loop (mio) that network sessions will
//! register with; a waker stops it. They start with a context's first
//! socket (ZMQ_IO_THREADS of them, as libzmq), are named "ZMQbg/IO/<n>"
//! (after "<prefix>/" with ZMQ_THREAD_NAME_PREFIX), run on the CPUs of
//! ZMQ_THREAD_AFFINITY_CPU_ADD if any, and block every signal so that
//! signals reach the application's threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use mio::{Events, Poll, Token, Waker};

use crate::error::{Error, Result};

const WAKER: Token = Token(0);

/// How the context wants its threads set up.
#[derive(Debug, Clone, Default)]
pub struct ThreadSettings {
    pub name_prefix: i32,
    pub affinity: Vec<i32>,
}

pub struct IoThread {
    waker: Arc<Waker>,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

/// Blocks every signal in the calling thread.
pub fn block_signals() {
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};
    // Changing the calling thread's mask cannot fail with a full set.
    let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&SigSet::all()), None);
}

fn pin(cpus: &[i32]) {
    use nix::sched::{sched_setaffinity, CpuSet};
    use nix::unistd::Pid;
    let mut set = CpuSet::new();
    let mut any = false;
    for &cpu in cpus {
        if let Ok(cpu) = usize::try_from(cpu) {
            any |= set.set(cpu).is_ok();
        }
    }
    if any {
        // Like libzmq, an affinity the system refuses is not an error.
        let _ = sched_setaffinity(Pid::from_raw(0), &set);
    }
}

impl IoThread {
    pub fn start(index: usize, settings: &ThreadSettings) -> Result<IoThread> {
        let poll = Poll::new().map_err(Error::from)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(Error::from)?);
        let stop = Arc::new(AtomicBool::new(false));
        let name = if settings.name_prefix != 0 {
            format!("{}/ZMQbg/IO/{index}", settings.name_prefix)
        } else {
            format!("ZMQbg/IO/{index}")
        };
        let affinity = settings.affinity.clone();
        let stopping = stop.clone();
        let handle = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                block_signals();
                pin(&affinity);
                run(poll, &stopping);
            })
            .map_err(|_| Error::NoThread)?;
        Ok(IoThread {
            waker,
            stop,
            handle,
        })
    }

    /// Stops the loop and waits for the thread.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        // If waking fails the loop still sees the flag at its next event;
        // a failure here means the poll is already gone.
        let _ = self.waker.wake();
        let _ = self.handle.join();
    }
}

fn run(mut poll: Poll, stop: &AtomicBool) {
    let mut events = Events::with_capacity(256);
    while !stop.load(Ordering::Acquire) {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A broken poll cannot recover; the thread ends and its
            // context reports nothing until sessions use it.
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_start_named_and_stop() {
        let settings = ThreadSettings {
            name_prefix: 3,
            affinity: vec![0],
        };
        let thread = IoThread::start(1, &settings).unwrap();
        assert_eq!(thread.handle.thread().name(), Some("3/ZMQbg/IO/1"));
        thread.stop();
    }
}
