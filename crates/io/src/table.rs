//! The scan as a DataFusion table source: [`event_table`] turns work units (files, byte ranges
//! of big NDJSON files) into a `TableProvider` with one partition per core. Each partition is a
//! worker thread that takes the next unit from a shared queue, scans it with the ordinary
//! reader (projection, raw-text prefilter, bad-input accounting) and hands its batches, through
//! the caller's [`Transform`] (search-time fields, and conforming to the table's one schema),
//! to DataFusion. The scan statistics of every unit are merged into [`EventSource::stats`].
//!
//! The table's schema is fixed by the caller (the fields the plan needs, with their types);
//! schemaless JSON meets it in the transform: a field a batch lacks is a null column.

use crate::reader::{scan_units, IoError, ScanOptions, ScanStats, WorkUnit};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What each scanned batch goes through before DataFusion sees it: `(sourcetype, batch)` to a
/// batch of exactly the table's schema.
pub type Transform = Arc<dyn Fn(&str, RecordBatch) -> Result<RecordBatch, String> + Send + Sync>;

/// The column that carries each event's place in the input (file order, then record order)
/// when the table's schema has it: `(unit index << 32) + row`, so an engine can put events in
/// the order they were read (ties of a time sort keep it, as Splunk's order does).
pub const SEQUENCE_COLUMN: &str = "__spelunk_order_seq";

/// Stack of the scan workers: the transform evaluates search-time expressions, which may nest
/// deeply in an unoptimised build.
const WORKER_STACK: usize = 64 << 20;

/// The shared state of one table scan: the queue of work units and what the scan counted.
pub struct EventSource {
    schema: SchemaRef,
    units: Vec<WorkUnit>,
    next: AtomicUsize,
    opts: ScanOptions,
    transform: Transform,
    stats: Mutex<ScanStats>,
    /// The first input error (strict mode, cancellation), kept for the caller to report as it is.
    error: Mutex<Option<IoError>>,
}

impl std::fmt::Debug for EventSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventSource({} units)", self.units.len())
    }
}

impl EventSource {
    /// The statistics of every unit scanned so far (complete once the query has finished).
    pub fn stats(&self) -> ScanStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The input error that stopped the scan, if any.
    pub fn take_error(&self) -> Option<IoError> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    fn record(&self, st: ScanStats) {
        if let Ok(mut s) = self.stats.lock() {
            s.merge(st);
        }
    }

    /// Fill the sequence column, if the schema has one.
    fn number(&self, b: RecordBatch, unit: usize, row: &mut u64) -> Result<RecordBatch, String> {
        let Ok(idx) = self.schema.index_of(SEQUENCE_COLUMN) else { return Ok(b) };
        let base = (unit as u64) << 32;
        let n = b.num_rows() as u64;
        let seq: arrow::array::UInt64Array = (0..n).map(|k| base + *row + k).collect();
        *row += n;
        let mut cols = b.columns().to_vec();
        cols[idx] = Arc::new(seq);
        RecordBatch::try_new(self.schema.clone(), cols).map_err(|e| e.to_string())
    }

    /// Scan units until the queue is empty, sending batches; stops early when the receiver
    /// is gone (the query finished or was cancelled: `head 10`).
    fn work(&self, tx: &tokio::sync::mpsc::Sender<Result<RecordBatch, DataFusionError>>) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(unit) = self.units.get(i) else { return };
            let mut scanner = scan_units(vec![unit.clone()], self.opts.clone());
            let mut row = 0u64;
            for item in scanner.by_ref() {
                let sent = match item {
                    Ok(eb) => match (self.transform)(&eb.sourcetype, eb.batch).and_then(|b| self.number(b, i, &mut row)) {
                        Ok(b) if b.num_rows() == 0 => true,
                        Ok(b) => tx.blocking_send(Ok(b)).is_ok(),
                        Err(msg) => {
                            let _ = tx.blocking_send(Err(DataFusionError::Execution(msg)));
                            false
                        }
                    },
                    Err(e) => {
                        let msg = e.to_string();
                        if let Ok(mut slot) = self.error.lock() {
                            slot.get_or_insert(e);
                        }
                        let _ = tx.blocking_send(Err(DataFusionError::Execution(msg)));
                        false
                    }
                };
                if !sent {
                    self.record(scanner.stats().clone());
                    return;
                }
            }
            self.record(scanner.stats().clone());
        }
    }
}

/// One partition of the scan: a worker thread pulling units from the shared queue.
#[derive(Debug)]
struct Partition {
    source: Arc<EventSource>,
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.source.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let source = self.source.clone();
        let spawned = std::thread::Builder::new().name("spelunk-scan".into()).stack_size(WORKER_STACK).spawn(move || source.work(&tx));
        let failed = spawned.err().map(|e| DataFusionError::Execution(format!("cannot start a scan thread: {e}")));
        let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let stream = futures::StreamExt::chain(futures::stream::iter(failed.map(Err)), stream);
        Box::pin(RecordBatchStreamAdapter::new(self.source.schema.clone(), stream))
    }
}

/// A table over `units` with `partitions` scan workers, and the handle that collects its
/// statistics. Batches are read with `opts` and passed through `transform`.
pub fn event_table(schema: SchemaRef, units: Vec<WorkUnit>, opts: ScanOptions, transform: Transform, partitions: usize) -> Result<(Arc<StreamingTable>, Arc<EventSource>), DataFusionError> {
    let n = partitions.clamp(1, units.len().max(1));
    let source = Arc::new(EventSource { schema: schema.clone(), units, next: AtomicUsize::new(0), opts, transform, stats: Mutex::new(ScanStats::default()), error: Mutex::new(None) });
    let parts: Vec<Arc<dyn PartitionStream>> = (0..n).map(|_| Arc::new(Partition { source: source.clone() }) as Arc<dyn PartitionStream>).collect();
    let table = StreamingTable::try_new(schema, parts)?;
    Ok((Arc::new(table), source))
}
