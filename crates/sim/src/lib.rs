//! Community and noisy-label simulator.
