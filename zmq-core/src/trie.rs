//! Subscription tries (being written).
