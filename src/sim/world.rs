//! Site file ⇄ ECS world. Loading spawns one entity per element; the world can be written back
//! to a site file (overrides are recovered as the difference from the catalog model).

use bevy::prelude::*;

use super::components::*;
use crate::catalog::{
    Catalog, DistributionOverrides, GridFeedOverrides, RackOverrides, TransformerOverrides, UpsOverrides,
};
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

/// The site's cooling sections, kept as written so that saving never loses them. The thermal
/// model (issue 3) will turn them into entities; until then they are carried, not simulated.
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
    /// The cooling sections of `site`.
    pub fn from_site(site: &SiteFile) -> CoolingLayout {
        CoolingLayout {
            ambient: site.ambient.clone(),
            zones: site.zones.clone(),
            water_loops: site.water_loops.clone(),
            crahs: site.crahs.clone(),
            cdus: site.cdus.clone(),
            chillers: site.chillers.clone(),
            heat_rejection: site.heat_rejection.clone(),
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
/// that are missing from the catalog are skipped here).
pub fn spawn_site(world: &mut World, site: &SiteFile, catalog: &Catalog) {
    world.insert_resource(SiteMeta { name: site.name.clone(), header: site.header.clone() });
    world.insert_resource(ActiveCatalog(catalog.clone()));
    world.insert_resource(CoolingLayout::from_site(site));
    for e in &site.grid_feeds {
        if let Some(m) = catalog.grid_feeds.get(&e.model) {
            spawn_element(world, e, GridFeed(e.overrides.apply(&m.rating())));
        }
    }
    for e in &site.transformers {
        if let Some(m) = catalog.transformers.get(&e.model) {
            spawn_element(world, e, (Transformer(e.overrides.apply(&m.rating())), Upstream(e.upstream.clone())));
        }
    }
    for e in &site.ups {
        if let Some(m) = catalog.ups.get(&e.model) {
            let ups = Ups { rating: e.overrides.apply(&m.rating()), mode: e.mode };
            spawn_element(world, e, (ups, Upstream(e.upstream.clone())));
        }
    }
    for e in &site.distribution {
        if let Some(m) = catalog.distribution.get(&e.model) {
            spawn_element(world, e, (Distribution(e.overrides.apply(&m.rating())), Upstream(e.upstream.clone())));
        }
    }
    for e in &site.racks {
        if let Some(m) = catalog.racks.get(&e.model) {
            let rack = Rack { rating: e.overrides.apply(&m.rating()), utilization: e.utilization };
            let cooling = RackCooling { zone: e.zone.clone(), cdu: e.cdu.clone() };
            spawn_element(world, e, (rack, RackFeeds { a: e.feed_a.clone(), b: e.feed_b.clone() }, cooling));
        }
    }
}

/// Spawns one element: the components every element has, its feeder if any, and `specific`.
fn spawn_element<E: ElementSpec>(world: &mut World, e: &E, specific: impl Bundle) {
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
}

/// Writes the world back as a site file (canonical order).
pub fn world_to_site(world: &mut World) -> SiteFile {
    let (name, header) =
        world.get_resource::<SiteMeta>().map(|m| (m.name.clone(), m.header.clone())).unwrap_or_default();
    let catalog = world.get_resource::<ActiveCatalog>().map(|c| c.0.clone()).unwrap_or_else(Catalog::builtin);
    let mut site = SiteFile {
        header,
        version: SITE_VERSION,
        name,
        grid_feeds: vec![],
        transformers: vec![],
        ups: vec![],
        distribution: vec![],
        racks: vec![],
        ..SiteFile::default()
    };
    if let Some(c) = world.get_resource::<CoolingLayout>() {
        c.write_into(&mut site);
    }
    let mut q = world.query::<(
        &ElementId,
        &CatalogModel,
        &Placement,
        &InService,
        Option<&Upstream>,
        Option<&Feeder>,
        AnyOf<(&GridFeed, &Transformer, &Ups, &Distribution, &Rack)>,
        Option<&RackFeeds>,
        Option<&RackCooling>,
    )>();
    for (id, model, place, in_service, upstream, feeder, kinds, feeds, cooling) in q.iter(world) {
        let (id, model_name) = (id.0.clone(), model.0.clone());
        let (position_m, rotation_deg, in_service) = (place.position_m, place.rotation_deg, in_service.0);
        let upstream = upstream.map(|u| u.0.clone()).unwrap_or_default();
        let feeder = feeder.map(|f| f.0.clone());
        match kinds {
            (Some(GridFeed(r)), ..) => {
                let overrides = catalog
                    .grid_feeds
                    .get(&model_name)
                    .map(|m| GridFeedOverrides::diff(&m.rating(), r))
                    .unwrap_or_default();
                site.grid_feeds.push(GridFeedSpec {
                    id,
                    model: model_name,
                    overrides,
                    position_m,
                    rotation_deg,
                    in_service,
                });
            }
            (_, Some(Transformer(r)), ..) => {
                let overrides = catalog
                    .transformers
                    .get(&model_name)
                    .map(|m| TransformerOverrides::diff(&m.rating(), r))
                    .unwrap_or_default();
                site.transformers.push(TransformerSpec {
                    id,
                    model: model_name,
                    upstream,
                    feeder,
                    overrides,
                    position_m,
                    rotation_deg,
                    in_service,
                });
            }
            (_, _, Some(u), ..) => {
                let overrides = catalog
                    .ups
                    .get(&model_name)
                    .map(|m| UpsOverrides::diff(&m.rating(), &u.rating))
                    .unwrap_or_default();
                site.ups.push(UpsSpec {
                    id,
                    model: model_name,
                    upstream,
                    feeder,
                    mode: u.mode,
                    overrides,
                    position_m,
                    rotation_deg,
                    in_service,
                });
            }
            (_, _, _, Some(Distribution(r)), _) => {
                let overrides = catalog
                    .distribution
                    .get(&model_name)
                    .map(|m| DistributionOverrides::diff(&m.rating(), r))
                    .unwrap_or_default();
                site.distribution.push(DistributionSpec {
                    id,
                    model: model_name,
                    upstream,
                    feeder,
                    overrides,
                    position_m,
                    rotation_deg,
                    in_service,
                });
            }
            (_, _, _, _, Some(rack)) => {
                let overrides = catalog
                    .racks
                    .get(&model_name)
                    .map(|m| RackOverrides::diff(&m.rating(), &rack.rating))
                    .unwrap_or_default();
                let feeds = feeds.cloned().unwrap_or(RackFeeds { a: String::new(), b: None });
                site.racks.push(RackSpec {
                    id,
                    model: model_name,
                    feed_a: feeds.a,
                    feed_b: feeds.b,
                    utilization: rack.utilization,
                    zone: cooling.and_then(|c| c.zone.clone()),
                    cdu: cooling.and_then(|c| c.cdu.clone()),
                    overrides,
                    position_m,
                    rotation_deg,
                    in_service,
                });
            }
            _ => {}
        }
    }
    site.canonical()
}

/// Finds an element entity by id (linear scan: for tools and tests, not per-step code).
pub fn find_element(world: &mut World, id: &str) -> Option<Entity> {
    let mut q = world.query::<(Entity, &ElementId)>();
    q.iter(world).find(|(_, e)| e.0 == id).map(|(e, _)| e)
}
