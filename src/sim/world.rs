//! Site file ⇄ ECS world. Loading spawns one entity per element; the world can be written back
//! to a site file (overrides are recovered as the difference from the catalog model).

use bevy::prelude::*;

use super::components::*;
use crate::catalog::{
    Catalog, DistributionOverrides, GridFeedOverrides, RackOverrides, TransformerOverrides, UpsOverrides,
};
use crate::site::element::SiteElement;
use crate::site::save::natural_cmp;
use crate::site::{
    DistributionSpec, ElementSpec, GridFeedSpec, RackSpec, SITE_VERSION, SiteFile, TransformerSpec, UpsSpec,
};

/// The site's name and format version.
#[derive(Resource, Debug, Clone)]
pub struct SiteMeta {
    /// Site name.
    pub name: String,
    /// The file's header comment, written back on save.
    pub header: Vec<String>,
}

/// The site's cooling sections as written; the thermal model builds its plant from them and
/// rebuilds it when they change (temperatures carry over by id).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct CoolingLayout {
    /// Outdoor conditions.
    pub ambient: Option<crate::site::cooling::AmbientSpec>,
    /// Zones.
    pub zones: Vec<crate::site::cooling::ZoneSpec>,
    /// Water loops.
    pub water_loops: Vec<crate::site::cooling::WaterLoopSpec>,
    /// CRAHs.
    pub crahs: Vec<crate::site::cooling::CrahSpec>,
    /// CDUs.
    pub cdus: Vec<crate::site::cooling::CduSpec>,
    /// Chillers.
    pub chillers: Vec<crate::site::cooling::ChillerSpec>,
    /// Cooling towers and dry coolers.
    pub heat_rejection: Vec<crate::site::cooling::HeatRejectionSpec>,
}

impl CoolingLayout {
    /// The cooling sections of `site`, each sorted by id (so nothing downstream depends on the
    /// order of lines in the file).
    pub fn from_site(site: &SiteFile) -> CoolingLayout {
        fn sorted<T: Clone>(v: &[T], id: impl Fn(&T) -> &str) -> Vec<T> {
            let mut v = v.to_vec();
            v.sort_by(|a, b| natural_cmp(id(a), id(b)));
            v
        }
        CoolingLayout {
            ambient: site.ambient.clone(),
            zones: sorted(&site.zones, |e| &e.id),
            water_loops: sorted(&site.water_loops, |e| &e.id),
            crahs: sorted(&site.crahs, |e| &e.id),
            cdus: sorted(&site.cdus, |e| &e.id),
            chillers: sorted(&site.chillers, |e| &e.id),
            heat_rejection: sorted(&site.heat_rejection, |e| &e.id),
        }
    }

    /// Puts these cooling sections into `site`.
    pub fn write_into(&self, site: &mut SiteFile) {
        site.ambient = self.ambient.clone();
        site.zones = self.zones.clone();
        site.water_loops = self.water_loops.clone();
        site.crahs = self.crahs.clone();
        site.cdus = self.cdus.clone();
        site.chillers = self.chillers.clone();
        site.heat_rejection = self.heat_rejection.clone();
    }
}

/// Where a rack's heat goes: its zone (air) and CDU (liquid).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
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
    world.insert_resource(SiteMeta { name: site.name.clone(), header: site.header.clone() });
    world.insert_resource(ActiveCatalog(catalog.clone()));
    world.insert_resource(CoolingLayout::from_site(site));
    for e in SiteElement::all_of(&site.canonical()) {
        spawn_electrical(world, &e, catalog);
    }
}

/// Spawns one element of the power network (feeds, transformers, UPSes, distribution, racks) and
/// returns its entity; cooling elements live in [`CoolingLayout`] and give `None`, as does a
/// model missing from the catalog.
pub fn spawn_electrical(world: &mut World, element: &SiteElement, catalog: &Catalog) -> Option<Entity> {
    Some(match element {
        SiteElement::GridFeed(e) => {
            let m = catalog.grid_feeds.get(&e.model)?;
            spawn_element(world, e, GridFeed(e.overrides.apply(&m.rating())))
        }
        SiteElement::Transformer(e) => {
            let m = catalog.transformers.get(&e.model)?;
            let specific = (
                Transformer(e.overrides.apply(&m.rating())),
                Sources::one(e.upstream.clone()),
                LossZone(e.zone.clone()),
            );
            spawn_element(world, e, specific)
        }
        SiteElement::Ups(e) => {
            let m = catalog.ups.get(&e.model)?;
            let ups = Ups { rating: e.overrides.apply(&m.rating()), mode: e.mode };
            spawn_element(world, e, (ups, Sources::one(e.upstream.clone()), LossZone(e.zone.clone())))
        }
        SiteElement::Distribution(e) => {
            let m = catalog.distribution.get(&e.model)?;
            let specific = (
                Distribution(e.overrides.apply(&m.rating())),
                Sources::one(e.upstream.clone()),
                LossZone(e.zone.clone()),
            );
            spawn_element(world, e, specific)
        }
        SiteElement::Rack(e) => {
            let m = catalog.racks.get(&e.model)?;
            let rack = Rack { rating: e.overrides.apply(&m.rating()), utilization: e.utilization };
            let cooling = RackCooling { zone: e.zone.clone(), cdu: e.cdu.clone() };
            spawn_element(world, e, (rack, RackFeeds { a: e.feed_a.clone(), b: e.feed_b.clone() }, cooling))
        }
        _ => return None,
    })
}

/// Spawns one element: the components every element has, its feeder if any, and `specific`.
fn spawn_element<E: ElementSpec>(world: &mut World, e: &E, specific: impl Bundle) -> Entity {
    let (position_m, rotation_deg) = e.placement();
    let mut entity = world.spawn((
        ElementId(e.id().to_string()),
        Kind(E::KIND),
        CatalogModel(e.model().to_string()),
        Placement { position_m, rotation_deg },
        InService(e.in_service()),
        specific,
    ));
    if let Some(f) = e.feeder() {
        entity.insert(Feeder(f.clone()));
    }
    entity.id()
}

/// Writes the world back as a site file (canonical order).
pub fn world_to_site(world: &mut World) -> SiteFile {
    let (name, header) =
        world.get_resource::<SiteMeta>().map(|m| (m.name.clone(), m.header.clone())).unwrap_or_default();
    let mut site = SiteFile { header, version: SITE_VERSION, name, ..SiteFile::default() };
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

/// The site-file form of one element entity (overrides recovered against the active catalog).
pub fn entity_element(world: &World, entity: Entity) -> Option<SiteElement> {
    let catalog = &world.get_resource::<ActiveCatalog>()?.0;
    let e = world.get_entity(entity).ok()?;
    let id = e.get::<ElementId>()?.0.clone();
    let model = e.get::<CatalogModel>()?.0.clone();
    let place = e.get::<Placement>()?;
    let (position_m, rotation_deg) = (place.position_m, place.rotation_deg);
    let in_service = e.get::<InService>().is_none_or(|s| s.0);
    let upstream = e.get::<Sources>().and_then(|u| u.primary()).unwrap_or_default().to_string();
    let feeder = e.get::<Feeder>().map(|f| f.0.clone());
    let zone = e.get::<LossZone>().and_then(|z| z.0.clone());
    if let Some(GridFeed(r)) = e.get::<GridFeed>() {
        let overrides = catalog.grid_feeds.get(&model).map(|m| GridFeedOverrides::diff(&m.rating(), r));
        let overrides = overrides.unwrap_or_default();
        return Some(SiteElement::GridFeed(GridFeedSpec {
            id,
            model,
            overrides,
            position_m,
            rotation_deg,
            in_service,
        }));
    }
    if let Some(Transformer(r)) = e.get::<Transformer>() {
        let overrides = catalog.transformers.get(&model).map(|m| TransformerOverrides::diff(&m.rating(), r));
        let overrides = overrides.unwrap_or_default();
        let spec =
            TransformerSpec { id, model, upstream, feeder, zone, overrides, position_m, rotation_deg, in_service };
        return Some(SiteElement::Transformer(spec));
    }
    if let Some(u) = e.get::<Ups>() {
        let overrides = catalog.ups.get(&model).map(|m| UpsOverrides::diff(&m.rating(), &u.rating));
        let overrides = overrides.unwrap_or_default();
        let mode = u.mode;
        let spec = UpsSpec { id, model, upstream, feeder, mode, zone, overrides, position_m, rotation_deg, in_service };
        return Some(SiteElement::Ups(spec));
    }
    if let Some(Distribution(r)) = e.get::<Distribution>() {
        let overrides = catalog.distribution.get(&model).map(|m| DistributionOverrides::diff(&m.rating(), r));
        let overrides = overrides.unwrap_or_default();
        let spec =
            DistributionSpec { id, model, upstream, feeder, zone, overrides, position_m, rotation_deg, in_service };
        return Some(SiteElement::Distribution(spec));
    }
    let rack = e.get::<Rack>()?;
    let overrides = catalog.racks.get(&model).map(|m| RackOverrides::diff(&m.rating(), &rack.rating));
    let feeds = e.get::<RackFeeds>().cloned().unwrap_or(RackFeeds { a: String::new(), b: None });
    let cooling = e.get::<RackCooling>().cloned().unwrap_or_default();
    Some(SiteElement::Rack(RackSpec {
        id,
        model,
        feed_a: feeds.a,
        feed_b: feeds.b,
        utilization: rack.utilization,
        zone: cooling.zone,
        cdu: cooling.cdu,
        overrides: overrides.unwrap_or_default(),
        position_m,
        rotation_deg,
        in_service,
    }))
}

/// Finds an element entity by id (linear scan: for tools and tests, not per-step code).
pub fn find_element(world: &mut World, id: &str) -> Option<Entity> {
    let mut q = world.query::<(Entity, &ElementId)>();
    q.iter(world).find(|(_, e)| e.0 == id).map(|(e, _)| e)
}
