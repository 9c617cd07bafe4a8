//! One built app run again and again, each run with other elements out of service.
//!
//! A sweep runs its site hundreds or thousands of times, each time with one or two elements out
//! of service. Building a fresh app per run (plugins, schedules, every element spawned) and
//! dropping it cost a millisecond or more a run; a [`Rerun`] builds the site once and, before
//! each run, puts back what the last run took out, takes out this run's elements (their
//! `InService`, or the cooling layout for cooling units and water loops) and restarts the
//! simulation with [`crate::sim::restart_run`]. The world is then the one a fresh build of the
//! edited site would give, entity for entity in the same order (an element out of service has
//! the same components as one in service), and its runs are the same (tested: a sweep's report
//! is byte-identical either way).

use std::collections::HashMap;
use std::time::Duration;

use bevy::prelude::*;

use crate::catalog::Catalog;
use crate::sim::components::{ElementId, InService};
use crate::sim::world::CoolingLayout;
use crate::site::SiteFile;

/// A site built once and run many times (see the module docs).
pub struct Rerun {
    app: App,
    site: SiteFile,
    catalog: Catalog,
    /// Element id → entity (network elements and racks).
    entities: HashMap<String, Entity>,
    /// The site's own cooling layout.
    layout: CoolingLayout,
    /// Entities the present run took out of service.
    taken_out: Vec<Entity>,
    /// The present run's layout is not the site's.
    layout_edited: bool,
    /// A run was started (the next needs a restart).
    used: bool,
}

impl Rerun {
    /// Builds `site` (valid) at fixed step `step`, every schedule on the single-threaded
    /// executor (runs go side by side on rayon's threads).
    pub fn new(site: &SiteFile, catalog: &Catalog, step: Duration) -> Rerun {
        let mut app = super::build_app(site, catalog, step);
        {
            use bevy::ecs::schedule::{Schedules, SingleThreadedExecutor};
            for (_, s) in app.world_mut().resource_mut::<Schedules>().iter_mut() {
                s.set_executor(SingleThreadedExecutor::new());
            }
        }
        let world = app.world_mut();
        let mut q = world.query::<(Entity, &ElementId)>();
        let entities = q.iter(world).map(|(e, id)| (id.0.clone(), e)).collect();
        let layout = world.resource::<CoolingLayout>().clone();
        Rerun {
            app,
            site: site.clone(),
            catalog: catalog.clone(),
            entities,
            layout,
            taken_out: Vec::new(),
            layout_edited: false,
            used: false,
        }
    }

    /// Starts a run of the site with the elements `failed` out of service from t = 0 (as if
    /// written so in the file) and returns the app, before its first step.
    pub fn start(&mut self, failed: &[String]) -> &mut App {
        let world = self.app.world_mut();
        if self.used {
            crate::sim::restart_run(world);
        }
        self.used = true;
        // `InService` is immutable (so that every change reshapes the network): put it back by
        // inserting it.
        for e in self.taken_out.drain(..) {
            if let Ok(mut entity) = world.get_entity_mut(e) {
                entity.insert(InService(true));
            }
        }
        // Cooling units and water loops live in the layout: edit it as the file would be.
        let cooling: Vec<&String> = failed.iter().filter(|id| !self.entities.contains_key(*id)).collect();
        if !cooling.is_empty() {
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for id in &cooling {
                if let Some(e) = self.site.element(id) {
                    let mut out = e.clone();
                    let _ = out.set_in_service(false);
                    before.push(e);
                    after.push(out);
                }
            }
            // Taking elements out of service keeps a valid site; were it ever refused, the run
            // would go on with the site as it is (as a sweep's fresh build does).
            let edited = crate::edit::edited_site(&self.site, &before, &after, &self.catalog)
                .unwrap_or_else(|_| self.site.clone());
            world.insert_resource(CoolingLayout::from_site(&edited));
            self.layout_edited = true;
        } else if self.layout_edited {
            world.insert_resource(self.layout.clone());
            self.layout_edited = false;
        }
        for id in failed {
            let Some(&e) = self.entities.get(id) else { continue };
            if world.get::<InService>(e).is_some_and(|s| s.0) {
                world.entity_mut(e).insert(InService(false));
                self.taken_out.push(e);
            }
        }
        &mut self.app
    }
}
