//! Site file ⇄ ECS world. Loading spawns one entity per element; the world can be written back
//! to a site file (overrides are recovered as the difference from the catalog model).

use bevy::prelude::*;

use super::components::*;
use super::electrical::circuit::{NetworkKind, NodeParts};
use crate::catalog::rated::{CatalogModel as _, Overrides};
use crate::catalog::{Catalog, RackOverrides};
use crate::kinds::EquipmentKind;
use crate::site::save::natural_cmp;
use crate::site::spec::{Modelled, SiteSpec, Target};
use crate::site::{RackSpec, SITE_VERSION, SiteElement, SiteFile};

/// The site's name and format version.
#[derive(Resource, Debug, Clone)]
pub struct SiteMeta {
    /// Site name.
    pub name: String,
    /// The file's header comment, written back on save.
    pub header: Vec<String>,
    /// The site's economics section, written back on save.
    pub economics: Option<crate::catalog::economics::SiteEconomics>,
    /// The site's rooms (walls and aisles: drawn on the plan), written back on save.
    pub rooms: Vec<crate::site::room::RoomSpec>,
}

/// Generates [`CoolingLayout`] (the cooling sections of the table: spaces and units) and the
/// dispatch from a kind to how its elements live in the world (network nodes through their
/// [`NetworkKind`], loads through [`LoadKind`], cooling in the layout).
macro_rules! define_world_kinds {
    (
        nodes: [ $( $NKind:ident { section: $nsection:ident, key: $nkey:literal, label: $nlabel:literal, noun: $nnoun:literal,
            prefix: $nprefix:literal, spec: $NSpec:ident, file: $nfile:tt, model: $NModel:ident, node: $Node:ident, $($nrest:tt)* } ),* $(,)? ],
        loads: [ $( $LKind:ident { section: $lsection:ident, key: $lkey:literal, label: $llabel:literal, noun: $lnoun:literal,
            prefix: $lprefix:literal, spec: $LSpec:ident, $($lrest:tt)* } ),* $(,)? ],
        spaces: [ $( $SKind:ident { section: $ssection:ident, key: $skey:literal, label: $slabel:literal, noun: $snoun:literal,
            prefix: $sprefix:literal, spec: $SSpec:ident, $($srest:tt)* } ),* $(,)? ],
        units: [ $( $UKind:ident { section: $usection:ident, key: $ukey:literal, label: $ulabel:literal, noun: $unoun:literal,
            prefix: $uprefix:literal, spec: $USpec:ident, $($urest:tt)* } ),* $(,)? ] $(,)?
    ) => {
        /// The site's cooling sections as written; the thermal model builds its plant from them
        /// and rebuilds it when they change (temperatures carry over by id).
        #[derive(Resource, Debug, Clone, Default, PartialEq)]
        pub struct CoolingLayout {
            /// Outdoor conditions.
            pub ambient: Option<crate::site::cooling::AmbientSpec>,
            $( #[doc = concat!($slabel, " elements.")] pub $ssection: Vec<crate::site::$SSpec>, )*
            $( #[doc = concat!($ulabel, " elements.")] pub $usection: Vec<crate::site::$USpec>, )*
        }

        impl CoolingLayout {
            /// The cooling sections of `site`, each sorted by id (so nothing downstream depends
            /// on the order of lines in the file).
            pub fn from_site(site: &SiteFile) -> CoolingLayout {
                fn sorted<T: Clone + SiteSpec>(v: &[T]) -> Vec<T> {
                    let mut v = v.to_vec();
                    v.sort_by(|a, b| natural_cmp(a.id(), b.id()));
                    v
                }
                CoolingLayout {
                    ambient: site.ambient.clone(),
                    $( $ssection: sorted(&site.$ssection), )*
                    $( $usection: sorted(&site.$usection), )*
                }
            }

            /// True when any cooling section has an element (as [`SiteFile::has_cooling`]).
            pub fn has_cooling(&self) -> bool {
                false $( || !self.$ssection.is_empty() )* $( || !self.$usection.is_empty() )*
            }

            /// Puts these cooling sections into `site`.
            pub fn write_into(&self, site: &mut SiteFile) {
                site.ambient = self.ambient.clone();
                $( site.$ssection = self.$ssection.clone(); )*
                $( site.$usection = self.$usection.clone(); )*
            }
        }

        /// Spawns one element of the power network (nodes and loads) and returns its entity;
        /// cooling elements live in [`CoolingLayout`] and give `None`, as does a model missing
        /// from the catalog.
        pub fn spawn_electrical(world: &mut World, element: &SiteElement, catalog: &Catalog) -> Option<Entity> {
            match element {
                $( SiteElement::$NKind(e) => spawn_node::<$crate::sim::electrical::kinds::$Node>(world, e, catalog), )*
                $( SiteElement::$LKind(e) => e.spawn(world, catalog), )*
                $( SiteElement::$SKind(_) => None, )*
                $( SiteElement::$UKind(_) => None, )*
            }
        }

        /// True when a network node's own component (its rating and settings) changed at a
        /// tick `newer` accepts.
        pub fn node_kinds_changed(world: &mut World, newer: &impl Fn(bevy::ecs::change_detection::Tick) -> bool) -> bool {
            false $( || world.query::<Ref<$crate::sim::electrical::kinds::$Node>>().iter(world).any(|r| newer(r.last_changed())) )*
        }

        /// The site-file form of one element entity (overrides recovered against the active
        /// catalog).
        pub fn entity_element(world: &World, entity: Entity) -> Option<SiteElement> {
            let catalog = &world.get_resource::<ActiveCatalog>()?.0;
            let e = world.get_entity(entity).ok()?;
            Some(match e.get::<Kind>()?.0 {
                $( EquipmentKind::$NKind => SiteElement::$NKind(node_spec::<$crate::sim::electrical::kinds::$Node>(e, catalog)?), )*
                $( EquipmentKind::$LKind => SiteElement::$LKind(<crate::site::$LSpec as LoadKind>::read(e, catalog)?), )*
                $( EquipmentKind::$SKind => return None, )*
                $( EquipmentKind::$UKind => return None, )*
            })
        }
    };
}
crate::kinds::equipment_kinds!(define_world_kinds);

/// How a load kind (racks) lives in the world: spawned from its spec, read back to one.
pub trait LoadKind: Modelled {
    /// Spawns the element; `None` when its model is missing from the catalog.
    fn spawn(&self, world: &mut World, catalog: &Catalog) -> Option<Entity>;
    /// The spec back from its entity.
    fn read(entity: EntityRef, catalog: &Catalog) -> Option<Self>;
}

impl LoadKind for RackSpec {
    fn spawn(&self, world: &mut World, catalog: &Catalog) -> Option<Entity> {
        let rack = (Rack { rating: self.resolved(catalog)? }, Utilization(self.utilization));
        let cooling = RackCooling { zone: self.zone.clone(), cdu: self.cdu.clone() };
        let feeds = RackFeeds { a: self.feed_a.clone(), b: self.feed_b.clone() };
        Some(spawn_common(world, self, (rack, feeds, cooling)))
    }

    fn read(e: EntityRef, catalog: &Catalog) -> Option<Self> {
        let rack = e.get::<Rack>()?;
        let model = e.get::<CatalogModel>()?.0.clone();
        let overrides = Self::models(catalog).get(&model).map(|m| RackOverrides::diff(&m.rating(), &rack.rating));
        let feeds = e.get::<RackFeeds>().cloned().unwrap_or(RackFeeds { a: String::new(), b: None });
        let cooling = e.get::<RackCooling>().cloned().unwrap_or_default();
        let place = e.get::<Placement>()?;
        Some(RackSpec {
            id: e.get::<ElementId>()?.0.clone(),
            model,
            feed_a: feeds.a,
            feed_b: feeds.b,
            utilization: Utilization::of(e.get::<Utilization>()),
            zone: cooling.zone,
            cdu: cooling.cdu,
            overrides: overrides.unwrap_or_default(),
            position_m: place.position_m,
            rotation_deg: place.rotation_deg,
            in_service: e.get::<InService>().is_none_or(|s| s.0),
            common_mode: e.get::<CommonMode>().map(|c| c.0.clone()).unwrap_or_default(),
        })
    }
}

/// Spawns a network node of kind `K`: what every element has, its sources and loss room, and
/// its kind's component.
fn spawn_node<K: NetworkKind>(world: &mut World, spec: &K::Spec, catalog: &Catalog) -> Option<Entity> {
    let node = K::from_spec(spec, spec.resolved(catalog)?);
    let targets = |want: Target| -> Vec<String> {
        spec.links()
            .into_iter()
            .filter(|(f, _)| spec.link_fields().iter().any(|l| l.name == *f && l.target == want))
            .map(|(_, id)| id.to_string())
            .collect()
    };
    let sources = targets(Target::Feed);
    // Kinds that stand in a room (a `zone` connection) heat it with their losses.
    let in_room = spec.link_fields().iter().any(|l| l.target == Target::Kind(EquipmentKind::Zone));
    let zone = targets(Target::Kind(EquipmentKind::Zone)).into_iter().next();
    // One bundle per shape, so each element is spawned whole (no intermediate archetypes: the
    // order of archetypes decides the order of query iteration, and so of sums).
    Some(match (sources.is_empty(), in_room) {
        (true, false) => spawn_common(world, spec, node),
        (false, false) => spawn_common(world, spec, (node, Sources(sources))),
        (true, true) => spawn_common(world, spec, (node, LossZone(zone))),
        (false, true) => spawn_common(world, spec, (node, Sources(sources), LossZone(zone))),
    })
}

/// The spec of a network node entity of kind `K`.
fn node_spec<K: NetworkKind>(e: EntityRef, catalog: &Catalog) -> Option<K::Spec> {
    let node = e.get::<K>()?;
    let model = e.get::<CatalogModel>()?.0.clone();
    let base = K::Spec::models(catalog).get(&model).map(|m| m.rating());
    let overrides = base.map(|b| Overrides::diff(&b, node.rating())).unwrap_or_default();
    let place = e.get::<Placement>()?;
    Some(node.to_spec(NodeParts {
        id: e.get::<ElementId>()?.0.clone(),
        model,
        overrides,
        sources: e.get::<Sources>().map(|s| s.0.clone()).unwrap_or_default(),
        feeder: e.get::<Feeder>().map(|f| f.0.clone()),
        zone: e.get::<LossZone>().and_then(|z| z.0.clone()),
        position_m: place.position_m,
        rotation_deg: place.rotation_deg,
        in_service: e.get::<InService>().is_none_or(|s| s.0),
        common_mode: e.get::<CommonMode>().map(|c| c.0.clone()).unwrap_or_default(),
    }))
}

/// Where a rack's heat goes: its zone (air) and CDU (liquid). Immutable: a new assignment is
/// an insert, which the thermal model observes (it keeps each rack's slots between steps).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
#[component(immutable)]
pub struct RackCooling {
    /// Cooling zone.
    pub zone: Option<String>,
    /// CDU.
    pub cdu: Option<String>,
}

/// The catalog the site's models resolve against.
#[derive(Resource, Debug, Clone)]
pub struct ActiveCatalog(pub Catalog);

/// Spawns a validated site into `world` (call [`crate::site::validate::validate`] first: models
/// that are missing from the catalog are skipped here). Elements are spawned in canonical order
/// (by id), so queries, sums and reports do not depend on the order of lines in the file.
pub fn spawn_site(world: &mut World, site: &SiteFile, catalog: &Catalog) {
    world.insert_resource(SiteMeta {
        name: site.name.clone(),
        header: site.header.clone(),
        economics: site.economics.clone(),
        rooms: site.rooms.clone(),
    });
    world.insert_resource(ActiveCatalog(catalog.clone()));
    world.insert_resource(CoolingLayout::from_site(site));
    for e in SiteElement::all_of(&site.canonical()) {
        spawn_electrical(world, &e, catalog);
    }
}

/// Spawns what every element has, `specific`, and its feeder if any.
fn spawn_common<E: Modelled>(world: &mut World, e: &E, specific: impl Bundle) -> Entity {
    let mut entity = world.spawn((
        ElementId(e.id().to_string()),
        Kind(E::KIND),
        CatalogModel(Modelled::model(e).to_string()),
        Placement { position_m: e.position_m(), rotation_deg: e.rotation_deg() },
        InService(e.in_service()),
        specific,
    ));
    if let Some(f) = e.feeder() {
        entity.insert(Feeder(f.clone()));
    }
    if !e.common_mode().is_empty() {
        entity.insert(CommonMode(e.common_mode().to_vec()));
    }
    entity.id()
}

/// Writes the world back as a site file (canonical order).
pub fn world_to_site(world: &mut World) -> SiteFile {
    let (name, header, economics, rooms) = world
        .get_resource::<SiteMeta>()
        .map(|m| (m.name.clone(), m.header.clone(), m.economics.clone(), m.rooms.clone()))
        .unwrap_or_default();
    let mut site = SiteFile { header, version: SITE_VERSION, name, economics, rooms, ..SiteFile::default() };
    if let Some(c) = world.get_resource::<CoolingLayout>() {
        c.write_into(&mut site);
    }
    let entities: Vec<Entity> = world.query_filtered::<Entity, With<ElementId>>().iter(world).collect();
    for e in entities {
        if let Some(element) = entity_element(world, e) {
            element.insert_into(&mut site);
        }
    }
    site.canonical()
}

/// Finds an element entity by id (linear scan: for tools and tests, not per-step code).
pub fn find_element(world: &mut World, id: &str) -> Option<Entity> {
    let mut q = world.query::<(Entity, &ElementId)>();
    q.iter(world).find(|(_, e)| e.0 == id).map(|(e, _)| e)
}
