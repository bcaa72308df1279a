#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| spelunk_fuzz::read_parquet(data));
