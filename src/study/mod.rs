//! Studies over many runs of a site: contingency sweeps (every single failure, or every pair).
//!
//! Each case is a fresh run of the site with its failed elements out of service from t = 0: the
//! run starts from the healthy site's steady state, so the failure shows as the transient that
//! follows it, exactly as the same failure written in the file (or played by a scenario). Cases
//! run in parallel (rayon, each its own App with single-threaded executors) and are reduced in
//! case-id order, so a sweep's report does not depend on the thread count.

pub mod sweep;
