//! Workload loops, generic over an allocator and a clock.
