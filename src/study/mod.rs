//! Studies over many runs of a site: contingency sweeps (every single failure, or every pair).
//!
//! Each case is a fresh run of the site with its failed elements out of service from t = 0: the
//! run starts from the healthy site's steady state, so the failure shows as the transient that
//! follows it, exactly as the same failure written in the file (or played by a scenario). Cases
//! run in parallel (rayon, each its own App with single-threaded executors) and are reduced in
//! case-id order, so a sweep's report does not depend on the thread count.

pub mod capacity;
pub mod design_day;
pub mod diff;
pub mod expand;
pub mod expect;
pub mod sweep;

/// `site` with the elements `ids` out of service (as the same failure written in the file).
/// Taking elements out of service keeps a valid site; if an edit were ever refused, the site is
/// returned as it is.
pub(crate) fn out_of_service(
    site: &crate::site::SiteFile,
    ids: &[String],
    catalog: &crate::catalog::Catalog,
) -> crate::site::SiteFile {
    if ids.is_empty() {
        return site.clone();
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for id in ids {
        if let Some(e) = site.element(id) {
            let mut out = e.clone();
            let _ = out.set_in_service(false);
            before.push(e);
            after.push(out);
        }
    }
    crate::edit::edited_site(site, &before, &after, catalog).unwrap_or_else(|_| site.clone())
}
