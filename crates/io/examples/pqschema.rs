//! Print a Parquet file's Arrow schema (a debugging aid).
fn main() {
    for p in std::env::args().skip(1) {
        let f = match std::fs::File::open(&p) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{p}: {e}");
                continue;
            }
        };
        match parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f) {
            Ok(b) => println!("{p}: {:#?}", b.schema()),
            Err(e) => eprintln!("{p}: {e}"),
        }
    }
}
