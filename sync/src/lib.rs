//! gridloop-sync
