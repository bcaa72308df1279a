//! Parse a query given on the command line and print the tree and the canonical form.
fn main() {
    let q = std::env::args().nth(1).unwrap_or_default();
    match spelunk_syntax::parse_pipeline(&q) {
        Ok(p) => {
            println!("{p:#?}");
            println!("{p}");
        }
        Err(e) => println!("ERROR {} {:?} {} | label={} help={:?}", e.code, e.span, e.message, e.label, e.help),
    }
}
