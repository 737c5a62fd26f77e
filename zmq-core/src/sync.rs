//! The lock the pipe and the mailbox share: parking_lot's, or loom's in a
//! loom build (`--cfg loom`), behind the same `lock()`.

#[cfg(not(loom))]
pub use parking_lot::Mutex;

#[cfg(loom)]
pub use loom_lock::Mutex;

#[cfg(loom)]
mod loom_lock {
    use loom::sync::MutexGuard;

    /// loom's lock with parking_lot's signatures (no poisoning to handle).
    #[derive(Debug)]
    pub struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub fn new(value: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub fn lock(&self) -> MutexGuard<'_, T> {
            // Poisoned only after a model thread panicked, which has failed
            // the model already.
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok()
        }
    }

    impl<T: Default> Default for Mutex<T> {
        fn default() -> Mutex<T> {
            Mutex::new(T::default())
        }
    }
}
