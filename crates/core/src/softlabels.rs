//! Soft-label files (teacher → student).
