//! The instruction counter in the place of the clock: the timed loops run
//! unchanged, and what lies between their two reads is counted instead of
//! timed.
//!
//! `start` turns callgrind's collection on; `stop` turns it off, dumps, and
//! reads the dump: the reading is exactly what ran between the two toggles,
//! the allocator call plus the toggles' own few instructions (the same for
//! every allocator, so the null row shows them). `attribute`, which the
//! loops call right after `stop`, books that reading to alloc or free.
//! Everything else (the random numbers, writing the block, the recorders,
//! the loop) runs with collection off.
//!
//! Only the recorded phase is counted ([`Recording`], set by the observer):
//! the warm-up's calls are not toggled at all. A `start` while collection is
//! already on (the window code reads the clock once when recording starts)
//! drops what was collected so far, so each reading covers one call only.
//!
//! Nothing here allocates between two measured calls: the readings go into
//! vectors reserved for the whole case beforehand.

use super::callgrind::{DumpReader, Events};
use super::valgrind;
use std::cell::Cell;
use std::rc::Rc;
use workloads::{Clock, Observer, Op, Phase};

/// Whether the recorded phase is running: set by [`CountObserver`], read by
/// [`CountClock`].
pub type Recording = Rc<Cell<bool>>;

/// Every reading of one op.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Instructions of each call, in call order.
    pub instructions: Vec<u64>,
    /// All counters, summed over the calls.
    pub sum: Events,
}

impl Tally {
    fn with_capacity(calls: usize) -> Tally {
        Tally {
            instructions: Vec::with_capacity(calls),
            sum: Events::default(),
        }
    }

    fn push(&mut self, e: &Events) {
        // Never grows past the reservation for a case's calls (debug-checked).
        debug_assert!(self.instructions.len() < self.instructions.capacity());
        self.instructions.push(e.instructions());
        self.sum.add(e);
    }
}

pub struct CountClock<'a> {
    reader: &'a mut DumpReader,
    recording: Recording,
    /// Whether collection is on.
    on: bool,
    /// Instructions counted so far: the clock's reading.
    total: u64,
    /// The last reading, until `attribute` books it.
    last: Option<Events>,
    pub alloc: Tally,
    pub free: Tally,
    /// The first dump that could not be read (the run goes on uncounted and
    /// fails at its end).
    pub error: Option<String>,
}

impl<'a> CountClock<'a> {
    /// A counter for a case of at most `calls` calls of each op.
    pub fn new(reader: &'a mut DumpReader, recording: Recording, calls: usize) -> CountClock<'a> {
        CountClock {
            reader,
            recording,
            on: false,
            total: 0,
            last: None,
            alloc: Tally::with_capacity(calls),
            free: Tally::with_capacity(calls),
            error: None,
        }
    }

    /// Turns collection off and reads what it collected.
    fn collect(&mut self) -> Option<Events> {
        valgrind::toggle_collect();
        self.on = false;
        valgrind::dump_stats();
        match self.reader.take() {
            Ok(e) => Some(e),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }
}

impl Clock for CountClock<'_> {
    #[inline(always)]
    fn start(&mut self) -> u64 {
        if !self.recording.get() || self.error.is_some() {
            return self.total;
        }
        if self.on {
            self.collect();
        }
        self.on = true;
        let reading = self.total;
        // Last: what follows the toggle is the call.
        valgrind::toggle_collect();
        reading
    }

    #[inline(always)]
    fn stop(&mut self) -> u64 {
        if self.on {
            self.last = self.collect();
            if let Some(e) = &self.last {
                self.total += e.instructions();
            }
        }
        self.total
    }

    /// Readings are instructions, kept as they are.
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ticks
    }

    fn attribute(&mut self, op: Op) {
        if let Some(e) = self.last.take() {
            match op {
                Op::Alloc => self.alloc.push(&e),
                Op::Free => self.free.push(&e),
                // Not counted: a request is timed whole; replay is not counted.
                Op::Request | Op::Calloc | Op::Realloc | Op::Aligned => {}
            }
        }
    }
}

/// Tells the counter when the recorded phase starts and ends; nothing else
/// (no progress bar, no interval logs, no batched phase).
pub struct CountObserver {
    pub recording: Recording,
}

impl Observer for CountObserver {
    fn phase(&mut self, phase: Phase) {
        self.recording.set(phase == Phase::RecordingStarts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::testing::CountingAlloc;
    use workloads::{Case, Kind, SizeSpec};

    /// Natively the toggles and dumps do nothing, so the dumps callgrind
    /// would write are written beforehand: dump n counts 1000 + n
    /// instructions. The readings must land on the calls in order.
    #[test]
    fn each_reading_is_booked_to_its_call_and_the_window_start_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("cg.out");
        for n in 1..=41u64 {
            let text = format!(
                "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: {} 2 1 0 1\n",
                1000 + n
            );
            std::fs::write(format!("{}.{n}", base.display()), text).unwrap();
        }
        let case = Case {
            kind: Kind::HotPath,
            size: SizeSpec::Fixed(64),
            ops: 20,
            blocks: 1,
            max_live: 1,
            seed: 1,
        };
        let mut reader = DumpReader::new(&base);
        let recording = Rc::new(Cell::new(false));
        let mut clock = CountClock::new(&mut reader, recording.clone(), 21);
        let mut observer = CountObserver { recording };
        let out =
            workloads::run(&case, &mut CountingAlloc::new(), &mut clock, &mut observer).unwrap();
        assert!(clock.error.is_none(), "{:?}", clock.error);
        // Dump 1 held what ran from the recording's first clock read to the
        // first call's: dropped. Then alloc, free, alloc, free...
        let allocs: Vec<u64> = (0..20).map(|i| 1002 + 2 * i).collect();
        let frees: Vec<u64> = (0..20).map(|i| 1003 + 2 * i).collect();
        assert_eq!(clock.alloc.instructions, allocs);
        assert_eq!(clock.free.instructions, frees);
        assert_eq!(clock.alloc.sum.data_refs(), 3 * 20);
        assert_eq!(clock.alloc.sum.l1_misses(), 20);
        // The loops' own histograms got the same readings.
        assert_eq!(out.alloc.histogram().min(), 1002);
        assert_eq!(out.free.histogram().max(), 1041);
        // The warm-up was never counted: every dump was read, no more.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
