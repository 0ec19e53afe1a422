//! Review reports.
