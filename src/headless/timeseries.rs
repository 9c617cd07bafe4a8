//! `--timeseries FILE.csv`: chosen quantities after every step, one row per step.
//!
//! Series names: `it_load_kw`, `grid_import_kw`, `grid_import_kvar`, `losses_kw`, `cooling_kw`,
//! `pue`, `hottest_inlet_c`, `zone:<ID>` (room air °C), `loop:<ID>` (supply °C) and
//! `element:<ID>` (loading %).

use std::fmt::Write as _;

use bevy::prelude::*;

use crate::sim::SimClock;
use crate::sim::components::ElementId;
use crate::sim::electrical::SiteTotals;
use crate::sim::thermal::CoolingPlant;

/// The series used when none are named.
pub const DEFAULT_SERIES: &str = "it_load_kw,grid_import_kw,losses_kw,cooling_kw,pue,hottest_inlet_c";

/// One recorded quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Series {
    /// IT load, kW.
    ItLoadKw,
    /// Grid import, kW.
    GridImportKw,
    /// Grid import, kvar.
    GridImportKvar,
    /// Electrical losses, kW.
    LossesKw,
    /// Cooling power, kW.
    CoolingKw,
    /// Instantaneous PUE.
    Pue,
    /// Hottest rack inlet over all zones, °C.
    HottestInletC,
    /// A zone's room air, °C.
    Zone(String),
    /// A water loop's supply, °C.
    Loop(String),
    /// An element's loading, %.
    Element(String),
}

/// The series to record, in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSpec(pub Vec<Series>);

impl std::str::FromStr for SeriesSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            out.push(match name {
                "it_load_kw" => Series::ItLoadKw,
                "grid_import_kw" => Series::GridImportKw,
                "grid_import_kvar" => Series::GridImportKvar,
                "losses_kw" => Series::LossesKw,
                "cooling_kw" => Series::CoolingKw,
                "pue" => Series::Pue,
                "hottest_inlet_c" => Series::HottestInletC,
                other => match other.split_once(':') {
                    Some(("zone", id)) => Series::Zone(id.to_string()),
                    Some(("loop", id)) => Series::Loop(id.to_string()),
                    Some(("element", id)) => Series::Element(id.to_string()),
                    _ => {
                        return Err(format!(
                            "unknown series `{other}` (known: {DEFAULT_SERIES}, zone:ID, loop:ID, element:ID)"
                        ));
                    }
                },
            });
        }
        if out.is_empty() {
            return Err("name at least one series".into());
        }
        Ok(SeriesSpec(out))
    }
}

impl SeriesSpec {
    /// Refuses series that name ids the site does not have (they would be empty columns).
    pub fn check(&self, site: &crate::site::SiteFile) -> Result<(), String> {
        use crate::site::element::{EquipmentKind, SiteElement};
        let all = SiteElement::all_of(site);
        let kind_of = |id: &str| all.iter().find(|e| e.id() == id).map(SiteElement::kind);
        let mut problems = Vec::new();
        for s in &self.0 {
            let (id, wanted, what) = match s {
                Series::Zone(id) => (id, &[EquipmentKind::Zone][..], "a zone"),
                Series::Loop(id) => (id, &[EquipmentKind::WaterLoop][..], "a water loop"),
                Series::Element(id) => (
                    id,
                    &[
                        EquipmentKind::GridFeed,
                        EquipmentKind::Transformer,
                        EquipmentKind::Ups,
                        EquipmentKind::Distribution,
                    ][..],
                    "a grid feed, transformer, UPS or distribution element",
                ),
                _ => continue,
            };
            let id_text = crate::site::problem::short_id(id);
            match kind_of(id) {
                Some(k) if wanted.contains(&k) => {}
                Some(k) => {
                    problems.push(format!("series `{}`: \"{id_text}\" is a {}, not {what}", s.header(), k.label()))
                }
                None => problems.push(format!("series `{}`: the site has no element \"{id_text}\"", s.header())),
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
    }
}

impl Series {
    fn header(&self) -> String {
        match self {
            Series::ItLoadKw => "it_load_kw".into(),
            Series::GridImportKw => "grid_import_kw".into(),
            Series::GridImportKvar => "grid_import_kvar".into(),
            Series::LossesKw => "losses_kw".into(),
            Series::CoolingKw => "cooling_kw".into(),
            Series::Pue => "pue".into(),
            Series::HottestInletC => "hottest_inlet_c".into(),
            Series::Zone(id) => format!("zone:{id}_c"),
            Series::Loop(id) => format!("loop:{id}_c"),
            Series::Element(id) => format!("element:{id}_loading_pct"),
        }
    }
}

/// Accumulates rows in memory (written atomically at the end).
pub struct Recorder {
    spec: SeriesSpec,
    csv: String,
}

impl Recorder {
    /// A recorder with the header row written.
    pub fn new(spec: &SeriesSpec) -> Recorder {
        let mut csv = String::from("time_s");
        for s in &spec.0 {
            csv.push(',');
            csv.push_str(&s.header());
        }
        csv.push('\n');
        Recorder { spec: spec.clone(), csv }
    }

    /// Appends one row for the world's present state.
    pub fn record(&mut self, world: &mut World) {
        let t = world.resource::<SiteTotals>().clone();
        let _ = write!(self.csv, "{}", world.resource::<SimClock>().elapsed_s);
        for s in self.spec.0.clone() {
            let value = match &s {
                Series::ItLoadKw => Some(t.it_load_kw),
                Series::GridImportKw => Some(t.grid_import_kw),
                Series::GridImportKvar => Some(t.grid_import_kvar),
                Series::LossesKw => Some(t.losses_kw()),
                Series::CoolingKw => Some(t.cooling_kw),
                Series::Pue => t.pue(),
                Series::HottestInletC => world
                    .get_resource::<CoolingPlant>()
                    .and_then(|p| p.zones.iter().map(|z| z.hottest_inlet_c).reduce(f64::max)),
                Series::Zone(id) => world
                    .get_resource::<CoolingPlant>()
                    .and_then(|p| p.zones.iter().find(|z| &z.id == id))
                    .map(|z| z.room_c),
                Series::Loop(id) => world
                    .get_resource::<CoolingPlant>()
                    .and_then(|p| p.loops.iter().find(|l| &l.id == id))
                    .map(|l| l.supply_c),
                Series::Element(id) => {
                    let mut q = world.query_filtered::<(Entity, &ElementId), With<crate::sim::electrical::Circuit>>();
                    let net = world.get_resource::<crate::sim::electrical::ElectricalNetwork>();
                    q.iter(world).find(|(_, e)| &e.0 == id).zip(net).map(|((e, _), net)| net.state(e).loading_pct)
                }
            };
            self.csv.push(',');
            if let Some(v) = value {
                let _ = write!(self.csv, "{v}");
            }
        }
        self.csv.push('\n');
    }

    /// The CSV text.
    pub fn finish(self) -> String {
        self.csv
    }
}
