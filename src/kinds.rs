//! The one table of equipment kinds.
//!
//! Every kind a site file can hold is declared once, in [`equipment_kinds!`]: its section in
//! the file, its singular key, its names for people, the prefix of new ids, its spec (the
//! file's struct) and model (the catalog's), its network component for electrical nodes, the
//! kinds that may feed it, and its default floor footprint. Everything that lists the kinds —
//! the [`EquipmentKind`] enum, the site file's sections and their canonical order, the element
//! values the editor exchanges, the catalog's sections, the cooling layout, the load flow's
//! registrations, the counts `check` prints and the nouns in error messages — is generated from
//! this table by small generator macros (the "callback" pattern: a generator receives the whole
//! table and expands the part it needs). Adding a kind here makes the compiler ask for its spec,
//! model, component and behaviour wherever they are needed.
//!
//! The table has four groups, by shape: network **nodes** (a catalog model and a network
//! component), **loads** (racks), cooling **spaces** (zones and water loops: no catalog model) and
//! cooling **units** (a catalog model, fed like a rack). The file's sections come in this order,
//! with `ambient` between the loads and the spaces.

/// Passes the table of equipment kinds to the generator macro `$gen`.
macro_rules! equipment_kinds {
    ($gen:ident) => {
        $gen! {
            nodes: [
                GridFeed {
                    section: grid_feeds, key: "grid_feed", label: "Grid feed", noun: "grid feed", prefix: "UTIL-",
                    spec: GridFeedSpec,
                    file: { links: [], rated: rated, rotated: rotation_deg, switchable: in_service, },
                    model: GridFeedModel, node: GridFeed, parents: [], single_path: false,
                    footprint: (3.0, 3.0, "estimate: utility metering / ring main unit cubicle group"),
                },
                Generator {
                    section: generators, key: "generator", label: "Generator", noun: "generator", prefix: "GEN-",
                    spec: GeneratorSpec,
                    file: { links: [], rated: rated, rotated: rotation_deg, switchable: in_service, },
                    model: GeneratorModel, node: Generator, parents: [], single_path: false,
                    footprint: (12.2, 2.4, "estimate: 2-3 MW diesel generator set in a 40 ft enclosure"),
                },
                Transformer {
                    section: transformers, key: "transformer", label: "Transformer", noun: "transformer", prefix: "T-",
                    spec: TransformerSpec,
                    file: {
                        links: [upstream: One Feed, zone: Maybe Kind(Zone)],
                        feeder: feeder, rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: TransformerModel, node: Transformer,
                    parents: [GridFeed, Generator, Transformer, TransferSwitch, Distribution], single_path: false,
                    footprint: (2.4, 1.8, "estimate: 2-3 MVA cast-resin transformer in an IP enclosure"),
                },
                TransferSwitch {
                    section: transfer_switches, key: "transfer_switch", label: "Transfer switch", noun: "transfer switch", prefix: "ATS-",
                    spec: TransferSwitchSpec,
                    file: {
                        links: [preferred: One Feed, alternate: One Feed, zone: Maybe Kind(Zone)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: TransferSwitchModel, node: TransferSwitch,
                    parents: [GridFeed, Generator, Transformer, Ups, Distribution], single_path: false,
                    footprint: (1.2, 0.8, "estimate: floor-standing 3000-4000 A transfer switch cabinet"),
                },
                Ups {
                    section: ups, key: "ups", label: "UPS", noun: "UPS", prefix: "UPS-",
                    spec: UpsSpec,
                    file: {
                        links: [upstream: One Feed, zone: Maybe Kind(Zone)],
                        feeder: feeder, rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: UpsModel, node: Ups, parents: [Transformer, TransferSwitch, Distribution], single_path: true,
                    footprint: (3.0, 1.0, "estimate: modular 500 kW-1.6 MW UPS line-up, 1 m deep cabinets"),
                },
                Distribution {
                    section: distribution, key: "distribution", label: "Distribution", noun: "distribution", prefix: "PDU-",
                    spec: DistributionSpec,
                    file: {
                        links: [upstream: One Feed, zone: Maybe Kind(Zone)],
                        feeder: feeder, rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: DistributionModel, node: Distribution,
                    parents: [GridFeed, Generator, Transformer, TransferSwitch, Ups, Distribution], single_path: true,
                    footprint: (0.8, 0.8, "estimate: floor-standing PDU / RPP cabinet"),
                },
            ],
            loads: [
                Rack {
                    section: racks, key: "rack", label: "Rack", noun: "rack", prefix: "R",
                    spec: RackSpec,
                    file: {
                        links: [feed_a: One Feed, feed_b: Maybe Feed, zone: Maybe Kind(Zone), cdu: Maybe Kind(Cdu)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                        numbers: [utilization => limits::UTILIZATION],
                        problems: rack_problems,
                    },
                    model: RackModel, parents: [Ups, Distribution],
                    footprint: (0.6, 1.2, "common 600 x 1200 mm server cabinet"),
                },
            ],
            spaces: [
                Zone {
                    section: zones, key: "zone", label: "Zone", noun: "zone", prefix: "ZONE-",
                    spec: ZoneSpec,
                    file: { links: [], numbers: [volume_m3 => cooling::limits::ZONE_VOLUME_M3], },
                    parents: [],
                    footprint: (0.5, 0.5, "marker only: a zone is a volume of air, drawn as its label point"),
                },
                WaterLoop {
                    section: water_loops, key: "water_loop", label: "Water loop", noun: "water loop", prefix: "LOOP-",
                    spec: WaterLoopSpec,
                    file: {
                        links: [upstream: One Feed, standby_pumps: Many Feed],
                        switchable: in_service,
                        numbers: [
                            supply_setpoint_c => cooling::limits::WATER_TEMPERATURE_C,
                            volume_m3 => cooling::limits::LOOP_VOLUME_M3,
                            pump_power_kw => cooling::limits::PUMP_POWER_KW,
                        ],
                        problems: cooling::loop_problems,
                    },
                    parents: [Ups, Distribution],
                    footprint: (1.0, 1.0, "marker only: a loop is pipework, drawn as its pump set"),
                },
            ],
            units: [
                Crah {
                    section: crahs, key: "crah", label: "CRAH", noun: "CRAH", prefix: "CRAH-",
                    spec: CrahSpec,
                    file: {
                        links: [upstream: One Feed, zone: One Kind(Zone), water_loop: One Kind(WaterLoop)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: CrahModel, parents: [Ups, Distribution],
                    footprint: (2.0, 0.9, "estimate: 2 m wide perimeter chilled-water CRAH"),
                },
                Cdu {
                    section: cdus, key: "cdu", label: "CDU", noun: "CDU", prefix: "CDU-",
                    spec: CduSpec,
                    file: {
                        links: [upstream: One Feed, water_loop: One Kind(WaterLoop)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: CduModel, parents: [Ups, Distribution],
                    footprint: (0.8, 1.2, "estimate: in-row / end-of-row liquid-to-liquid CDU cabinet"),
                },
                Chiller {
                    section: chillers, key: "chiller", label: "Chiller", noun: "chiller", prefix: "CH-",
                    spec: ChillerSpec,
                    file: {
                        links: [upstream: One Feed, water_loop: One Kind(WaterLoop)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: ChillerModel, parents: [Ups, Distribution],
                    footprint: (6.0, 2.2, "estimate: water-cooled centrifugal chiller skid"),
                },
                HeatRejection {
                    section: heat_rejection, key: "heat_rejection", label: "Heat rejection", noun: "heat rejection", prefix: "HR-",
                    spec: HeatRejectionSpec,
                    file: {
                        links: [upstream: One Feed, water_loop: One Kind(WaterLoop)],
                        rated: rated, rotated: rotation_deg, switchable: in_service,
                    },
                    model: HeatRejectionModel, parents: [Ups, Distribution],
                    footprint: (4.0, 4.0, "estimate: one 4 m square cooling-tower cell / dry-cooler module"),
                },
            ],
        }
    };
}
pub(crate) use equipment_kinds;

/// What part a kind plays: which group of the table it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A node of the power network (feeds, transformers, UPSes, distribution).
    Node,
    /// A load on the power network (racks).
    Load,
    /// A cooling space without a catalog model (zones, water loops).
    Space,
    /// A cooling unit with a catalog model, fed like a rack.
    Unit,
}

/// Generates [`EquipmentKind`] and its table lookups.
macro_rules! define_equipment_kind {
    (
        $( $group:ident: [ $( $Kind:ident {
            section: $section:ident, key: $key:literal, label: $label:literal, noun: $noun:literal, prefix: $prefix:literal,
            spec: $Spec:ident, file: $file:tt, $( model: $Model:ident, )? $( node: $Node:ident, )?
            parents: [ $( $Parent:ident ),* ], $( feeds: [ $( $Fed:ident ),* ], )? $( single_path: $single:literal, )?
            footprint: ( $w:literal, $d:literal, $source:literal ) $(,)?
        } ),* $(,)? ] ),* $(,)?
    ) => {
        /// Every kind of thing a site file holds (generated from the table in [`crate::kinds`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum EquipmentKind {
            $( $( #[doc = $label] $Kind, )* )*
        }

        impl EquipmentKind {
            /// All kinds, in file order.
            pub const ALL: &'static [EquipmentKind] = &[ $( $( EquipmentKind::$Kind, )* )* ];

            /// The site-file section holding this kind.
            pub fn section(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => stringify!($section), )* )* }
            }

            /// Singular key (footprints, reports).
            pub fn key(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => $key, )* )* }
            }

            /// Name for people, capitalised ("Grid feed").
            pub fn label(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => $label, )* )* }
            }

            /// The word used in messages ("grid feed").
            pub fn noun(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => $noun, )* )* }
            }

            /// Prefix of the ids the editor gives new elements when no neighbour suggests one.
            pub fn id_prefix(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => $prefix, )* )* }
            }

            /// The kinds a row names as its parents.
            fn declared_parents(self) -> &'static [EquipmentKind] {
                match self { $( $( EquipmentKind::$Kind => &[ $( EquipmentKind::$Parent ),* ], )* )* }
            }

            /// The kinds a row says it may feed (so a new kind is one row: it need not be added
            /// to the `parents` of the kinds it feeds).
            fn declared_feeds(self) -> &'static [EquipmentKind] {
                match self { $( $( EquipmentKind::$Kind => &[ $( $( EquipmentKind::$Fed ),* )? ], )* )* }
            }

            /// Default floor footprint: `(width m, depth m, source)`.
            pub fn footprint(self) -> (f64, f64, &'static str) {
                match self { $( $( EquipmentKind::$Kind => ($w, $d, $source), )* )* }
            }

            /// True when a dual-corded rack whose A and B cords both run through an element of
            /// this kind is refused: the element is a single point of failure for the rack.
            pub fn single_path(self) -> bool {
                match self { $( $( EquipmentKind::$Kind => false $( || $single )?, )* )* }
            }

            /// Which group of the table it is in.
            pub fn role(self) -> Role {
                match self { $( $( EquipmentKind::$Kind => define_equipment_kind!(@role $group), )* )* }
            }

            /// Its connection fields (from its spec).
            pub fn link_fields(self) -> &'static [crate::site::spec::LinkField] {
                match self { $( $( EquipmentKind::$Kind => <crate::site::$Spec as crate::site::spec::SpecKind>::LINKS, )* )* }
            }

            /// The name of its spec struct in the site file (for messages about its fields).
            pub fn spec_name(self) -> &'static str {
                match self { $( $( EquipmentKind::$Kind => stringify!($Spec), )* )* }
            }
        }
    };
    (@role nodes) => { Role::Node };
    (@role loads) => { Role::Load };
    (@role spaces) => { Role::Space };
    (@role units) => { Role::Unit };
}

equipment_kinds!(define_equipment_kind);

impl EquipmentKind {
    /// True for the elements of the power network (nodes and loads): they are ECS entities.
    pub fn is_electrical(self) -> bool {
        matches!(self.role(), Role::Node | Role::Load)
    }

    /// True for cooling spaces and units.
    pub fn is_cooling(self) -> bool {
        matches!(self.role(), Role::Space | Role::Unit)
    }

    /// True for kinds that take a catalog model.
    pub fn has_model(self) -> bool {
        !matches!(self.role(), Role::Space)
    }

    /// True for markers that take no floor (zones, loops): they never block a placement.
    pub fn is_marker(self) -> bool {
        self.role() == Role::Space
    }

    /// The kinds that may feed (electrically supply) this one, in table order: those its row
    /// names as parents and those whose rows say they feed it.
    pub fn parents(self) -> Vec<EquipmentKind> {
        EquipmentKind::ALL.iter().copied().filter(|&p| self.may_be_fed_by(p)).collect()
    }

    /// True when `parent` may feed this kind.
    pub fn may_be_fed_by(self, parent: EquipmentKind) -> bool {
        self.declared_parents().contains(&parent) || parent.declared_feeds().contains(&self)
    }

    /// "a transformer is fed from a grid feed, a transformer or distribution", for messages.
    pub fn fed_from_sentence(self) -> String {
        let parents: Vec<String> = self.parents().iter().map(|p| with_article(p.noun())).collect();
        match parents.as_slice() {
            [] => format!("{} has no upstream", with_article(self.noun())),
            [one] => format!("{} is fed from {one}", with_article(self.noun())),
            [init @ .., last] => format!("{} is fed from {} or {last}", with_article(self.noun()), init.join(", ")),
        }
    }
}

/// `noun` with "a" or "an" ("a UPS", "an ..."), or alone for mass nouns ("distribution").
pub fn with_article(noun: &str) -> String {
    if noun == "distribution" || noun == "heat rejection" {
        return noun.to_string();
    }
    let vowel = noun.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        for &k in EquipmentKind::ALL {
            assert!(k.section().starts_with(k.key().trim_end_matches('s')), "{k:?}");
            assert!(k.parents().iter().all(|p| p.is_electrical()), "{k:?} is fed by electrical kinds");
            let (w, d, _) = k.footprint();
            assert!(w > 0.0 && d > 0.0);
        }
        assert_eq!(EquipmentKind::Rack.fed_from_sentence(), "a rack is fed from a UPS or distribution");
        assert_eq!(EquipmentKind::GridFeed.fed_from_sentence(), "a grid feed has no upstream");
    }
}
