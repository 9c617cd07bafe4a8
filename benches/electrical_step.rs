//! Simulation steps at 1k and 10k racks (generated 2N sites with chilled-water cooling), single-threaded.
//!
//! * `step/N`: the whole `FixedUpdate` schedule in steady state: clock, change detection, the
//!   thermal model (racks, zones, CRAHs, loops, chillers), limits and alerts. The loads do not
//!   move, so the load flow's standing solution and the limits' scan of it are kept.
//! * `thermal_plant/N`: the cooling plant's step alone (zones, CRAHs, loops, chillers, towers).
//! * `electrical_only_step/N`: a full step on the same site without cooling.
//! * `step_all_loads_change/N`: the same step when every rack's demand changed since the last
//!   step (utilization toggles between 1.0 and 0.9), so every rack is re-aggregated and rewritten.
//!   The edit itself is not timed. A swing back to the last loads is what the load flow's
//!   secant start predicts best (one or two sweeps).
//! * `step_loads_change_unlike_last/N`: every rack's demand moves by up to 15 % each step, in
//!   a pattern unlike the step before (no prediction: the plain warm start): the worst case.
//! * `load_flow/N`: the backward/forward sweep alone (warm start, as in a running app).
//!
//! Studies (sweeps, capacity) are in `benches/studies.rs`.

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::time::{Duration, Instant};

use bevy::app::FixedUpdate;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dctwin::catalog::Catalog;
use dctwin::generator::{generate_power_only, generate_site};
use dctwin::headless::{advance, build_app};
use dctwin::sim::components::Utilization;
use dctwin::sim::electrical::ElectricalNetwork;
use dctwin::sim::thermal::CoolingPlant;

fn electrical_step(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut group = c.benchmark_group("sim");
    for racks in [1_000usize, 10_000] {
        let site = generate_site(racks);
        let mut app = build_app(&site, &catalog, Duration::from_secs(1));
        advance(&mut app, 2);
        let nodes = app.world().resource::<ElectricalNetwork>().network.nodes().len();
        eprintln!("{racks} racks: {nodes} network nodes");
        group.bench_with_input(BenchmarkId::new("step", racks), &racks, |b, _| {
            b.iter(|| app.world_mut().run_schedule(FixedUpdate));
        });
        group.bench_with_input(BenchmarkId::new("step_all_loads_change", racks), &racks, |b, _| {
            let mut toggle = false;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    toggle = !toggle;
                    let world = app.world_mut();
                    let mut q = world.query::<&mut Utilization>();
                    for mut utilization in q.iter_mut(world) {
                        utilization.0 = if toggle { 0.9 } else { 1.0 };
                    }
                    let start = Instant::now();
                    world.run_schedule(FixedUpdate);
                    total += start.elapsed();
                }
                total
            });
        });
        group.bench_with_input(BenchmarkId::new("step_loads_change_unlike_last", racks), &racks, |b, _| {
            let mut n = 0u64;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let world = app.world_mut();
                    let mut q = world.query::<&mut Utilization>();
                    for (i, mut utilization) in q.iter_mut(world).enumerate() {
                        let spread = (i as u64 * 7919 + n * 104_729) % 1000;
                        utilization.0 = 0.85 + 0.15 * spread as f64 / 1000.0;
                    }
                    let start = Instant::now();
                    world.run_schedule(FixedUpdate);
                    total += start.elapsed();
                }
                total
            });
        });
        let mut power_only = build_app(&generate_power_only(racks), &catalog, Duration::from_secs(1));
        advance(&mut power_only, 2);
        group.bench_with_input(BenchmarkId::new("electrical_only_step", racks), &racks, |b, _| {
            b.iter(|| power_only.world_mut().run_schedule(FixedUpdate));
        });
        let mut plant = app.world().resource::<CoolingPlant>().clone();
        eprintln!(
            "{racks} racks: {} zones, {} CRAHs, {} chillers",
            plant.zones.len(),
            plant.crahs.len(),
            plant.chillers.len()
        );
        group.bench_with_input(BenchmarkId::new("thermal_plant", racks), &racks, |b, _| {
            b.iter(|| plant.step(1.0, |_| (25.0, 18.0)));
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
