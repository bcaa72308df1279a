//! Count events per file (a debugging aid): `cargo run -p spelunk-io --example count -- PATH...`
fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let files = match spelunk_io::list_files(&paths) {
        Ok((f, _)) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut total = 0;
    for f in files {
        let opts = spelunk_io::ScanOptions { projection: spelunk_io::Projection::Fields(["_time".to_string()].into()), ..Default::default() };
        let mut s = match spelunk_io::scan(std::slice::from_ref(&f), opts) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let mut by_st = std::collections::BTreeMap::new();
        for b in s.by_ref().flatten() {
            *by_st.entry(b.sourcetype.clone()).or_insert(0) += b.batch.num_rows();
        }
        total += s.stats().events_read;
        println!("{:6} {} {:?}", s.stats().events_read, f.display(), by_st);
        for w in &s.stats().warnings {
            println!("       warning: {w}");
        }
    }
    println!("{total} total");
}
