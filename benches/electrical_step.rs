//! One electrical step at 1k and 10k racks (generated 2N sites), single-threaded.
//!
//! * `step/N`: the whole `FixedUpdate` schedule: clock, change detection, load flow, write-back
//!   of every element's and rack's results, limits and alerts.
//! * `load_flow/N`: the backward/forward sweep alone (warm start, as in a running app).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dctwin::catalog::Catalog;
use dctwin::generator::generate_site;
use dctwin::headless::{advance, build_app};
use dctwin::sim::electrical::ElectricalNetwork;

fn electrical_step(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut group = c.benchmark_group("electrical");
    for racks in [1_000usize, 10_000] {
        let site = generate_site(racks);
        let mut app = build_app(&site, &catalog, std::time::Duration::from_secs(1));
        advance(&mut app, 2);
        let nodes = app.world().resource::<ElectricalNetwork>().network.nodes.len();
        eprintln!("{racks} racks: {nodes} network nodes");
        group.bench_with_input(BenchmarkId::new("step", racks), &racks, |b, _| {
            b.iter(|| app.world_mut().run_schedule(bevy::app::FixedUpdate));
        });
        let net = app.world().resource::<ElectricalNetwork>();
        let network = net.network.clone();
        let mut flow = net.flow.clone();
        group.bench_with_input(BenchmarkId::new("load_flow", racks), &racks, |b, _| {
            b.iter(|| network.solve(&mut flow));
        });
    }
    group.finish();
}

criterion_group!(benches, electrical_step);
criterion_main!(benches);
