//! Studies on this machine's cores, as `dctwin sweep` and `dctwin capacity` run them (rayon's
//! threads, one world per worker), against the studies issue's targets:
//!
//! * `sweep/ai_hall_n1`: every single failure of the 20 MW AI hall (190 cases, ten minutes at
//!   1 s steps each; its hourly outdoor air moves the plant every step, so nothing is skipped).
//!   Target ≤ 3 s.
//! * `sweep/generated_1k_n1`: every single failure of a generated 1,000-rack 2N hall (879 cases;
//!   constant outdoor air, so settled stretches are skipped). Target ≤ 10 s.
//! * `capacity/ai_hall_gb200_n1`: `capacity --add gb200-nvl72 --n-1` on the AI hall. Target ≤ 5 s.
//! * `sweep/ai_hall_n2`: N-2 of the AI hall with pruning (about 12,000 cases; ten samples take
//!   a quarter of an hour, so run it by name: `cargo bench --bench studies -- ai_hall_n2`).
//!   Target ≤ 60 s.

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use dctwin::catalog::Catalog;
use dctwin::generator::generate_site;
use dctwin::site::SiteFile;
use dctwin::study::capacity::{CapacityOptions, capacity};
use dctwin::study::sweep::{SweepOptions, sweep};

fn ai_hall(catalog: &Catalog) -> SiteFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sites/ai_hall_20mw.ron");
    dctwin::site::load::load_site(&path, catalog).expect("the AI hall loads")
}

fn studies(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let ai = ai_hall(&catalog);
    let big = generate_site(1_000);
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("ai_hall_n1", |b| b.iter(|| sweep(&ai, &catalog, &SweepOptions::default(), &|_, _| {})));
    group.bench_function("generated_1k_n1", |b| b.iter(|| sweep(&big, &catalog, &SweepOptions::default(), &|_, _| {})));
    let n2 = SweepOptions { depth: 2, ..SweepOptions::default() };
    group.bench_function("ai_hall_n2", |b| b.iter(|| sweep(&ai, &catalog, &n2, &|_, _| {})));
    group.finish();

    let mut group = c.benchmark_group("capacity");
    group.sample_size(10);
    let options = CapacityOptions { model: "gb200-nvl72".into(), n_1: true, ..CapacityOptions::default() };
    group.bench_function("ai_hall_gb200_n1", |b| {
        b.iter(|| capacity(&ai, &catalog, &options, &|_| {}).expect("the search runs"))
    });
    group.finish();
}

criterion_group!(benches, studies);
criterion_main!(benches);
