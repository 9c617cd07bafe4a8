//! Generated sites of any size, for benchmarks and scale tests.
//!
//! A generated site is a 2N hall of DGX H100 racks built from identical blocks. Each block has
//! an A and a B side: transformer (3000 kVA) → UPS (1600 kW) → 7 PDUs (400 A) → 5 racks per PDU,
//! every rack corded to the same-numbered PDU on both sides. At failover one side carries
//! 35 × 40.8 kW = 1428 kW (89 % of the UPS, about 90 % of a PDU breaker's continuous rating). Feeds of 25 MVA
//! take 8 blocks each per side. The last block is partly filled.
//!
//! Cooling: each block is a hot-aisle zone with 10 chilled-water CRAHs (172 kW each) on a
//! mechanical panel fed from the block's A transformer; every 8 blocks share an 8 °C chilled-water
//! loop with 4 × 3.5 MW chillers and 4 cooling towers.
//!
//! Layout: a block is 7 rows of 5 racks (600 × 1200 mm) 2.4 m apart (1.2 m aisles, hot aisles
//! contained), its PDUs at the row ends and its CRAHs along the east wall. The 8 blocks of a
//! feed are one hall (a room, each block's zone drawn as its area) with its UPSes, transformers
//! and plant outside the west wall; the halls stand in a square grid, so a campus of 10k racks
//! is about as wide as it is deep.

use crate::catalog::{DistributionOverrides, GridFeedOverrides, RackOverrides, TransformerOverrides, UpsOverrides};
use crate::site::cooling::{
    AmbientSpec, AshraeClass, ChillerSpec, Containment, CrahSpec, HeatRejectionSpec, WaterLoopSpec, ZoneSpec,
};
use crate::site::{
    DistributionSpec, FeederSpec, GridFeedSpec, RackSpec, SITE_VERSION, SiteFile, TransformerSpec, UpsMode, UpsSpec,
};

/// Racks per PDU in a generated block.
pub const RACKS_PER_PDU: usize = 5;
/// PDUs per UPS in a generated block.
pub const PDUS_PER_UPS: usize = 7;
/// Blocks per grid feed.
pub const BLOCKS_PER_FEED: usize = 8;

/// Distance between rows of racks, m: a 1.2 m deep rack and a 1.2 m aisle.
const ROW_PITCH_M: f64 = 2.4;
/// Distance between blocks in a hall, m.
const BLOCK_PITCH_M: f64 = 18.0;
/// Distance between halls in the grid, m (a hall with its yard is about 82 m wide, 144 m deep).
const HALL_PITCH_M: (f64, f64) = (110.0, 160.0);

/// Where hall `g` of `halls` stands: the origin of its first block, m.
fn hall_origin(g: usize, halls: usize) -> (f64, f64) {
    let columns = (halls as f64).sqrt().ceil().max(1.0) as usize;
    ((g % columns) as f64 * HALL_PITCH_M.0, (g / columns) as f64 * HALL_PITCH_M.1)
}

/// Where block `b` of `blocks` stands: its first row's centre line starts at this point, m.
fn block_origin(b: usize, blocks: usize) -> (f64, f64) {
    let (x, y) = hall_origin(b / BLOCKS_PER_FEED, blocks.div_ceil(BLOCKS_PER_FEED));
    (x, y + (b % BLOCKS_PER_FEED) as f64 * BLOCK_PITCH_M)
}

/// The walls and aisles of each hall, and each block zone's area.
fn add_rooms(site: &mut SiteFile, blocks: usize) {
    use crate::site::room::{AisleAir, AisleSpec, RoomSpec};
    let halls = blocks.div_ceil(BLOCKS_PER_FEED);
    for g in 0..halls {
        let (x, y) = hall_origin(g, halls);
        let in_hall = (blocks - g * BLOCKS_PER_FEED).min(BLOCKS_PER_FEED);
        let top = y + in_hall as f64 * BLOCK_PITCH_M - 1.2;
        let mut aisles = Vec::new();
        for b in 0..in_hall {
            let y0 = y + b as f64 * BLOCK_PITCH_M;
            for a in 0..PDUS_PER_UPS - 1 {
                let lo = y0 + a as f64 * ROW_PITCH_M + 0.6;
                let air = if a % 2 == 0 { AisleAir::Hot } else { AisleAir::Cold };
                aisles.push(AisleSpec {
                    air,
                    from_m: (x, lo),
                    to_m: (x + RACKS_PER_PDU as f64 * 0.6, lo + 1.2),
                    contained: air == AisleAir::Hot,
                });
            }
        }
        site.rooms.push(RoomSpec {
            id: format!("HALL-{}", g + 1),
            walls_m: vec![(x - 2.5, y - 1.2), (x + 10.0, y - 1.2), (x + 10.0, top), (x - 2.5, top)],
            aisles,
        });
    }
    for zone in &mut site.zones {
        let b: usize = zone.id.trim_start_matches('Z').parse::<usize>().unwrap_or(1) - 1;
        let (x, y) = block_origin(b, blocks);
        let (lo, hi) = ((x - 2.5, y - 1.2), (x + 10.0, y + BLOCK_PITCH_M - 1.2));
        zone.outline_m = vec![lo, (hi.0, lo.1), hi, (lo.0, hi.1)];
    }
}

/// A 2N site with `racks` racks and its cooling plant.
pub fn generate_site(racks: usize) -> SiteFile {
    let mut site = generate_power_only(racks);
    let blocks = racks.div_ceil(RACKS_PER_PDU * PDUS_PER_UPS).max(1);
    add_cooling(&mut site, blocks);
    add_rooms(&mut site, blocks);
    site.canonical()
}

/// The same site without cooling (electrical studies, and to time the electrical step alone).
pub fn generate_power_only(racks: usize) -> SiteFile {
    let racks_per_block = RACKS_PER_PDU * PDUS_PER_UPS;
    let blocks = racks.div_ceil(racks_per_block).max(1);
    let mut site = SiteFile {
        header: vec![],
        version: SITE_VERSION,
        name: format!("Generated 2N hall, {racks} racks"),
        grid_feeds: vec![],
        transformers: vec![],
        ups: vec![],
        distribution: vec![],
        racks: vec![],
        ..SiteFile::default()
    };
    let feeder = |cable: &str, length_m: f64, sets: u32| Some(FeederSpec { cable: cable.into(), length_m, sets });
    for side in ["A", "B"] {
        let side_x = if side == "A" { 0.0 } else { 1.0 };
        for f in 0..blocks.div_ceil(BLOCKS_PER_FEED) {
            let (x, y) = hall_origin(f, blocks.div_ceil(BLOCKS_PER_FEED));
            site.grid_feeds.push(GridFeedSpec {
                id: format!("UTIL-{side}{}", f + 1),
                model: "utility-13.8kv-25mva".into(),
                overrides: GridFeedOverrides::default(),
                position_m: (x - 30.0 - 10.0 * side_x, y + 40.0),
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
        }
        let mut rack_no = 0;
        for b in 0..blocks {
            let (x0, y0) = block_origin(b, blocks);
            let t_id = format!("T-{side}{}", b + 1);
            let u_id = format!("UPS-{side}{}", b + 1);
            site.transformers.push(TransformerSpec {
                id: t_id.clone(),
                model: "xfmr-3000kva-13.8kv-415v".into(),
                upstream: format!("UTIL-{side}{}", b / BLOCKS_PER_FEED + 1),
                feeder: feeder("cu-xlpe-1c-240mm2-15kv", 150.0, 1),
                zone: None,
                overrides: TransformerOverrides::default(),
                position_m: (x0 - 14.0 - 6.0 * side_x, y0),
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
            site.ups.push(UpsSpec {
                id: u_id.clone(),
                model: "ups-1600kw".into(),
                upstream: t_id,
                feeder: feeder("cu-xlpe-1c-630mm2-lv", 20.0, 4),
                zone: None,
                mode: UpsMode::DoubleConversion,
                overrides: UpsOverrides::default(),
                position_m: (x0 - 6.0 - 3.0 * side_x, y0),
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
            for p in 0..PDUS_PER_UPS {
                let first_rack = b * racks_per_block + p * RACKS_PER_PDU;
                if first_rack >= racks {
                    break;
                }
                let pdu = format!("PDU-{side}{}-{}", b + 1, p + 1);
                let row_y = y0 + p as f64 * ROW_PITCH_M;
                site.distribution.push(DistributionSpec {
                    id: pdu.clone(),
                    model: "pdu-415v-400a".into(),
                    upstream: u_id.clone(),
                    feeder: feeder("cu-xlpe-4c-240mm2-lv", 25.0, 1),
                    zone: None,
                    overrides: DistributionOverrides::default(),
                    position_m: (x0 + if side == "A" { -0.7 } else { 0.4 + RACKS_PER_PDU as f64 * 0.6 }, row_y),
                    rotation_deg: 0.0,
                    in_service: true,
                    common_mode: vec![],
                });
                if side == "A" {
                    for r in 0..RACKS_PER_PDU {
                        if first_rack + r >= racks {
                            break;
                        }
                        rack_no += 1;
                        site.racks.push(RackSpec {
                            id: format!("R{rack_no}"),
                            model: "dgx-h100-x4".into(),
                            feed_a: pdu.clone(),
                            feed_b: Some(format!("PDU-B{}-{}", b + 1, p + 1)),
                            utilization: 1.0,
                            zone: None,
                            cdu: None,
                            overrides: RackOverrides::default(),
                            position_m: (x0 + 0.3 + r as f64 * 0.6, row_y),
                            rotation_deg: 0.0,
                            in_service: true,
                            common_mode: vec![],
                        });
                    }
                }
            }
        }
    }
    site.canonical()
}

/// CRAHs per block zone and the chilled-water plant per group of [`BLOCKS_PER_FEED`] blocks;
/// racks are assigned to their block's zone.
fn add_cooling(site: &mut SiteFile, blocks: usize) {
    let per_block = RACKS_PER_PDU * PDUS_PER_UPS;
    for rack in &mut site.racks {
        let n: usize = rack.id.trim_start_matches('R').parse().unwrap_or(1);
        rack.zone = Some(format!("Z{}", (n - 1) / per_block + 1));
    }
    let unit = |id: String, upstream: String, position_m: (f64, f64)| (id, upstream, position_m);
    site.ambient = Some(AmbientSpec::constant(25.0, 18.0));
    for b in 0..blocks {
        let (x0, y0) = block_origin(b, blocks);
        let mcc = format!("MCC-{}", b + 1);
        site.distribution.push(DistributionSpec {
            id: mcc.clone(),
            model: "busway-415v-1600a".into(),
            upstream: format!("T-A{}", b + 1),
            feeder: Some(FeederSpec { cable: "cu-xlpe-1c-630mm2-lv".into(), length_m: 30.0, sets: 2 }),
            zone: None,
            overrides: Default::default(),
            position_m: (x0 - 14.0, y0 + 4.0),
            rotation_deg: 0.0,
            in_service: true,
            common_mode: vec![],
        });
        let zone = format!("Z{}", b + 1);
        site.zones.push(ZoneSpec {
            id: zone.clone(),
            volume_m3: 1500.0,
            containment: Containment::HotAisle,
            ashrae_class: AshraeClass::A2,
            position_m: (x0 - 2.2, y0 + BLOCK_PITCH_M - 1.5),
            outline_m: vec![],
        });
        for c in 0..10 {
            let (id, upstream, position_m) =
                unit(format!("CRAH-{}-{}", b + 1, c + 1), mcc.clone(), (x0 + 8.5, y0 + c as f64 * 1.6));
            site.crahs.push(CrahSpec {
                id,
                model: "crah-cw-170kw".into(),
                zone: zone.clone(),
                water_loop: format!("CHW-{}", b / BLOCKS_PER_FEED + 1),
                upstream,
                overrides: Default::default(),
                position_m,
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
        }
    }
    for g in 0..blocks.div_ceil(BLOCKS_PER_FEED) {
        let loop_id = format!("CHW-{}", g + 1);
        let mcc = |i: usize| format!("MCC-{}", (g * BLOCKS_PER_FEED + i).min(blocks - 1) + 1);
        let (x, y) = hall_origin(g, blocks.div_ceil(BLOCKS_PER_FEED));
        site.water_loops.push(WaterLoopSpec {
            id: loop_id.clone(),
            supply_setpoint_c: 8.0,
            volume_m3: 40.0,
            water_class: None,
            pump_power_kw: 60.0,
            upstream: mcc(0),
            standby_pumps: vec![],
            position_m: (x - 60.0, y),
            in_service: true,
            common_mode: vec![],
        });
        for i in 0..4 {
            site.chillers.push(ChillerSpec {
                id: format!("CH-{}-{}", g + 1, i + 1),
                model: "chiller-centrifugal-3500kw".into(),
                water_loop: loop_id.clone(),
                upstream: mcc(i * 2),
                overrides: Default::default(),
                position_m: (x - 60.0, y + 4.0 + i as f64 * 4.0),
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
            site.heat_rejection.push(HeatRejectionSpec {
                id: format!("CT-{}-{}", g + 1, i + 1),
                model: "tower-4000kw".into(),
                water_loop: loop_id.clone(),
                upstream: mcc(i * 2 + 1),
                overrides: Default::default(),
                position_m: (x - 70.0, y + 4.0 + i as f64 * 5.0),
                rotation_deg: 0.0,
                in_service: true,
                common_mode: vec![],
            });
        }
    }
}
