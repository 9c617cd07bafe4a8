//! The `dctwin` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use dctwin::catalog::Catalog;
use dctwin::headless::{self, RunOptions};
use dctwin::site::SiteFile;
use dctwin::site::load::load_site_with_warnings;
use dctwin::site::problem::Problems;

/// Writes to stdout, ignoring failure: piped into `head` or `grep -q`, the reader may close the
/// pipe early, and a command line tool then exits quietly instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Writes to stderr, ignoring failure (as [`out!`]).
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}

/// Digital twin of a data center's power and cooling.
#[derive(Parser, Debug)]
#[command(name = "dctwin", version, about)]
struct Cli {
    /// Equipment catalog to resolve models against (default: the built-in assets/catalog.ron).
    #[arg(long, global = true, value_name = "FILE")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The site `dctwin` runs when given no command.
const DEFAULT_SITE: &str = "sites/gb200_pod.ron";

#[derive(Subcommand, Debug)]
enum Command {
    /// Open a site in the desktop app (the default with no command: sites/gb200_pod.ron).
    Open {
        /// Site file (RON).
        site: Option<PathBuf>,
        /// Write a PNG of the window after --frames frames, then quit (for CI and docs).
        #[arg(long, value_name = "FILE.png")]
        screenshot: Option<PathBuf>,
        /// Frames to render before the screenshot; alone, quit after that many frames.
        #[arg(long)]
        frames: Option<u32>,
        /// Simulation steps to run before the first frame.
        #[arg(long, default_value_t = 0)]
        steps: u64,
        /// Select these elements at start (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        select: Vec<String>,
        /// Start with the simulation paused.
        #[arg(long)]
        paused: bool,
        /// Simulated seconds per real second at start (the app offers 1, 60 and 3600).
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        /// With --screenshot: write each element's screen rectangle to this JSON file.
        #[arg(long, value_name = "FILE.json")]
        element_rects: Option<PathBuf>,
        /// Print the app's per-frame CPU time when quitting after --frames.
        #[arg(long)]
        timings: bool,
        /// Play a scenario file from the start (its timeline in the Timeline tab).
        #[arg(long, value_name = "FILE.ron")]
        scenario: Option<PathBuf>,
        /// Watch the grid import against a utility's rules (Timeline tab): a preset or a file.
        #[arg(long, value_name = "NAME|FILE")]
        grid_rules: Option<String>,
        /// The bottom panel's tab at start (single-line: the diagram, showing the first --select).
        #[arg(long, value_parser = ["charts", "single-line", "timeline", "capacity"])]
        tab: Option<String>,
    },
    /// Fail each element (or each pair) in turn and rank what follows: IT load lost, the first
    /// limit crossed, single points of failure.
    Sweep {
        /// Site file (RON).
        site: PathBuf,
        /// 1: every single failure (N-1); 2: every pair too (N-2, pruned).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
        depth: u8,
        /// Simulated window after each failure.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        duration: Duration,
        /// Fixed solver step.
        #[arg(long, default_value = "1s", value_parser = parse_duration)]
        step: Duration,
        /// Only fail elements of these kinds, comma-separated (e.g. transformer,ups); default:
        /// every electrical node, cooling unit and water loop.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Write the full report to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Write one CSV row per case to FILE.
        #[arg(long, value_name = "FILE.csv")]
        csv: Option<PathBuf>,
        /// Cases in the ranked list printed (and in the charts).
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// Write bar charts (the most severe cases, criticality, worst loading) as PNGs into DIR;
        /// the Markdown links them.
        #[arg(long, value_name = "DIR", conflicts_with = "shard")]
        plot: Option<PathBuf>,
        /// Run only slice I of N (0 <= I < N; a case's slice comes from its id) and write a part
        /// report to --out, for `dctwin merge`.
        #[arg(long, value_name = "I/N", value_parser = dctwin::study::sweep::Shard::parse, requires = "out")]
        shard: Option<dctwin::study::sweep::Shard>,
        /// The part report's file (with --shard).
        #[arg(long, value_name = "FILE", requires = "shard")]
        out: Option<PathBuf>,
    },
    /// How many more racks of a model fit, where, which limit binds first, and what capacity is
    /// stranded behind it.
    Capacity {
        /// Site file (RON).
        site: PathBuf,
        /// Catalog rack model to add (e.g. gb200-nvl72).
        #[arg(long, value_name = "MODEL")]
        add: String,
        /// Only places in this zone.
        #[arg(long, value_name = "ZONE")]
        zone: Option<String>,
        /// Only places fed or cooled by this element, or anything below it.
        #[arg(long, value_name = "ID")]
        near: Option<String>,
        /// Every single failure must stay as safe as it is today (2N sides carry the failed
        /// side's load, N+1 cooling loses a unit).
        #[arg(long = "n-1")]
        n_1: bool,
        /// Run the new racks capped at this share of their design power (e.g. 0.8), as an
        /// accelerator power limit does.
        #[arg(long, value_name = "SHARE")]
        power_cap: Option<f64>,
        /// Write the full report to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Write bar charts (racks per place with the binding limit, stranded capacity) as PNGs
        /// into DIR; the Markdown links them.
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
    },
    /// Rank the ways to fit more racks: upsizing or adding equipment, new rows, setpoints, power
    /// caps; each priced (the site's quotes, else the catalog's economics) and timed (lead time +
    /// installation), ranked by MW of IT unlocked per US$ M and per month.
    Expand {
        /// Site file (RON).
        site: PathBuf,
        /// Catalog rack model to add (e.g. gb200-nvl72).
        #[arg(long, value_name = "MODEL")]
        add: String,
        /// IT load to add, MW: options that reach it are marked.
        #[arg(long, value_name = "MW")]
        target_mw: Option<f64>,
        /// Every single failure must stay as safe as it is today.
        #[arg(long = "n-1")]
        n_1: bool,
        /// Options listed in each ranking.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Write the full report to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// What changed between two versions of a site (files, or git revisions as REV:PATH) and
    /// what that does to its load, PUE, headroom and alerts.
    Diff {
        /// The old version: a file, or REV:PATH read with `git show` (e.g. HEAD~1:sites/a.ron).
        old: String,
        /// The new version (a file or REV:PATH).
        new: String,
        /// Markdown (for a pull-request comment) or JSON (for tools).
        #[arg(long, value_enum, default_value_t = DiffFormat::Md)]
        format: DiffFormat,
    },
    /// Check the expectations kept next to sites (`*.test.ron`): one line per expectation, then
    /// `N passed, M failed`; exit 1 if any failed, 2 for invalid input.
    Test {
        /// Test files, or directories searched for `*.test.ron` (default: the current directory).
        paths: Vec<PathBuf>,
        /// Also write the results as JSON (dctwin.test.v1) to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Join the part reports of a sharded sweep into the report the unsharded sweep writes.
    Merge {
        /// Part reports (every shard of one sweep, once each).
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// The merged report (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Write one CSV row per case to FILE.
        #[arg(long, value_name = "FILE.csv")]
        csv: Option<PathBuf>,
        /// Cases in the ranked list printed (and in the charts).
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// Write the sweep's bar charts as PNGs into DIR (as `sweep --plot`); the Markdown
        /// printed links them.
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
    },
    /// Run a site headless for a simulated period and report.
    Run {
        /// Site file (RON).
        site: PathBuf,
        /// Simulated period, e.g. 1h, 30min, 86400s (default: the scenario's duration, else 1h).
        /// With a weather file, 1y is the file's year (8,760 h).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<Duration>,
        /// Outdoor conditions from an EnergyPlus weather file (EPW), hour by hour from
        /// 1 January 00:00, instead of the site's `ambient`; the report gains a weather section
        /// (annual PUE, free-cooling hours per water loop, hours past each limit, the hottest
        /// hour's headroom).
        #[arg(long, value_name = "FILE.epw")]
        weather: Option<PathBuf>,
        /// Fixed solver step, e.g. 1s, 100ms.
        #[arg(long, default_value = "1s", value_parser = parse_duration)]
        step: Duration,
        /// Write the full report to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Exit with status 1 if alerts of this severity or worse are active at the end.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Write chosen quantities after every step to a CSV file.
        #[arg(long, value_name = "FILE.csv")]
        timeseries: Option<PathBuf>,
        /// Quantities for --timeseries, comma-separated: it_load_kw, grid_import_kw,
        /// grid_import_kvar, losses_kw, cooling_kw, pue, hottest_inlet_c, zone:ID, loop:ID, element:ID.
        #[arg(long, default_value = dctwin::headless::timeseries::DEFAULT_SERIES)]
        series: dctwin::headless::timeseries::SeriesSpec,
        /// Play a scenario: timed events (failures, grid outage, utilization, training jobs,
        /// ambient) from a RON file; the report gains a timeline.
        #[arg(long, value_name = "FILE.ron")]
        scenario: Option<PathBuf>,
        /// Check the grid import against a utility's rules: a preset (ercot, caiso, ieso) or a
        /// rule file of the same form (see assets/grid_rules.ron); exit 1 if one fails.
        #[arg(long, value_name = "NAME|FILE")]
        grid_rules: Option<String>,
        /// With --grid-rules: find the smallest facility battery (MW, then MWh) that makes the
        /// grid import pass every rule (the scenario's facility_storage gives its efficiency and
        /// smoothing).
        #[arg(long, requires = "grid_rules")]
        size_storage: bool,
        /// Write PNG charts of the run (power, PUE, hottest inlet) into DIR; the Markdown report
        /// links them.
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
    },
    /// Validate site files; prints every problem and exits 2 if there are any.
    Check {
        /// Site files (RON).
        #[arg(required = true)]
        sites: Vec<PathBuf>,
        /// Also run each site at an ASHRAE design day of its weather file (from the header:
        /// 0.4%, 1%, 2% dry bulb; 0.4%-wb, 1%-wb, 2%-wb evaporation wet bulb; n5, n10, n20, n50
        /// extreme dry bulb; extreme-wb) and report the cooling limit that binds first; exit 1
        /// if one is already past.
        #[arg(long, value_name = "DAY")]
        design_day: Option<dctwin::weather::DesignDay>,
        /// The weather file for --design-day (default: the site's `ambient.epw`).
        #[arg(long, value_name = "FILE.epw", requires = "design_day")]
        weather: Option<PathBuf>,
    },
    /// Export a site's solved electrical network.
    Export {
        /// Site file (RON).
        site: PathBuf,
        /// Write an OpenDSS script (loads at their solved P/Q).
        #[arg(long, value_name = "FILE.dss", required = true)]
        opendss: PathBuf,
    },
    /// Write a generated 2N site of N racks (for benchmarks and scale tests).
    Generate {
        /// Number of racks.
        #[arg(long)]
        racks: usize,
        /// Output site file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Rewrite a site file in canonical form (sorted, one element per line).
    Fmt {
        /// Site file (RON).
        site: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Json,
    Md,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    Warning,
    Critical,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 1h, 30min, 1s, 100ms)"))?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            err!("{message}");
            if !message.ends_with('\n') {
                err!("\n");
            }
            ExitCode::from(2)
        }
    }
}

/// `sites/ai_hall_20mw.ron` from the working directory, else from the source tree.
fn default_site() -> PathBuf {
    let here = PathBuf::from(DEFAULT_SITE);
    if here.exists() { here } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_SITE) }
}

fn load_catalog(path: Option<&Path>) -> Result<Catalog, String> {
    match path {
        Some(p) => Catalog::load(p).map_err(|e| render(&e)),
        None => Ok(Catalog::builtin()),
    }
}

fn render(problems: &Problems) -> String {
    let mut s = String::new();
    for p in &problems.0 {
        s.push_str(&format!("error: {p}\n"));
    }
    let n = problems.0.len();
    s.push_str(&format!("{n} problem{} found\n", if n == 1 { "" } else { "s" }));
    s
}

/// Loads and validates a site; prints its plausibility warnings (they do not stop the command).
/// A spinner on stderr when it is a terminal (hidden when piped).
fn spinner() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(Duration::from_millis(120));
        b
    } else {
        indicatif::ProgressBar::hidden()
    }
}

fn load_weather(path: &Path) -> Result<dctwin::weather::WeatherYear, String> {
    dctwin::weather::WeatherYear::load(path).map_err(|e| render(&e))
}

fn load(path: &Path, catalog: &Catalog) -> Result<SiteFile, String> {
    let (site, warnings) = load_site_with_warnings(path, catalog).map_err(|e| render(&e))?;
    print_warnings(&warnings);
    Ok(site)
}

/// The sweep's charts in `dir`, if given.
fn sweep_charts(
    result: &dctwin::study::sweep::SweepReport,
    top: usize,
    dir: Option<&Path>,
) -> Result<Vec<dctwin::export::plot::Written>, String> {
    dir.map_or(Ok(vec![]), |dir| dctwin::export::plot::write_bar_charts(&result.charts(top), dir))
}

/// Markdown that shows `charts`, linked relative to the report file's directory (printed
/// Markdown: the current directory).
fn markdown_links(charts: &[dctwin::export::plot::Written], report: Option<&Path>) -> String {
    let base = report.and_then(Path::parent).unwrap_or(Path::new("."));
    dctwin::export::plot::markdown_links(charts, base)
}

/// The output of `dctwin diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DiffFormat {
    Md,
    Json,
}

/// A site from a file or, for `REV:PATH` that is not a file, from git (`git show REV:PATH`, and
/// the files it includes from the same revision); problems are located in `REV:PATH`.
fn load_version(arg: &str, catalog: &Catalog) -> Result<SiteFile, String> {
    let path = Path::new(arg);
    let Some((rev, file)) = arg.split_once(':').filter(|_| !path.exists()) else {
        return load(path, catalog);
    };
    let git_show = |p: &Path| -> Result<Vec<u8>, String> {
        let out = std::process::Command::new("git")
            .arg("show")
            .arg(format!("{rev}:{}", p.display()))
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!("git show failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(out.stdout)
    };
    let (site, _, warnings) =
        dctwin::site::load::load_composed(Path::new(file), catalog, &git_show).map_err(|mut e| {
            // Located in the revision.
            e.0.iter_mut().for_each(|p| p.file = format!("{rev}:{}", p.file));
            render(&e)
        })?;
    print_warnings(&warnings);
    Ok(site)
}

fn print_warnings(warnings: &[dctwin::site::problem::Problem]) {
    for w in warnings {
        err!("warning: {w}\n");
    }
}

/// How `open` shows the site (see the `Open` command's options).
#[cfg_attr(not(feature = "desktop"), allow(dead_code))]
struct ViewOptions {
    screenshot: Option<PathBuf>,
    frames: Option<u32>,
    steps: u64,
    select: Vec<String>,
    paused: bool,
    speed: f64,
    element_rects: Option<PathBuf>,
    timings: bool,
    scenario: Option<dctwin::scenario::Scenario>,
    grid_rules: Option<dctwin::scenario::rules::RuleSet>,
    tab: Option<String>,
}

#[cfg(feature = "desktop")]
fn open_desktop(site: SiteFile, catalog: Catalog, path: PathBuf, v: ViewOptions) -> Result<ExitCode, String> {
    let options = dctwin::app::DesktopOptions {
        path: Some(path),
        screenshot: v.screenshot,
        frames: v.frames,
        steps: v.steps,
        select: v.select,
        paused: v.paused,
        speed: v.speed,
        element_rects: v.element_rects,
        print_timings: v.timings,
        scenario: v.scenario,
        grid_rules: v.grid_rules,
        tab: v.tab.as_deref().map(|t| match t {
            "single-line" => dctwin::app::ui::BottomTab::SingleLine,
            "timeline" => dctwin::app::ui::BottomTab::Timeline,
            "capacity" => dctwin::app::ui::BottomTab::Capacity,
            _ => dctwin::app::ui::BottomTab::Charts,
        }),
    };
    match dctwin::app::run(site, catalog, options) {
        bevy::app::AppExit::Success => Ok(ExitCode::SUCCESS),
        bevy::app::AppExit::Error(code) => Err(format!("the app stopped with error code {code}")),
    }
}

#[cfg(not(feature = "desktop"))]
fn open_desktop(_: SiteFile, _: Catalog, _: PathBuf, _: ViewOptions) -> Result<ExitCode, String> {
    Err("this dctwin was built without the `desktop` feature; use `dctwin run` for headless runs".into())
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let catalog = load_catalog(cli.catalog.as_deref())?;
    // Without a command: the desktop app on the default site.
    let command = cli.command.unwrap_or(Command::Open {
        site: None,
        screenshot: None,
        frames: None,
        steps: 0,
        select: vec![],
        paused: false,
        speed: 60.0,
        element_rects: None,
        timings: false,
        scenario: None,
        grid_rules: None,
        tab: None,
    });
    match command {
        Command::Open {
            site,
            screenshot,
            frames,
            steps,
            select,
            paused,
            speed,
            element_rects,
            timings,
            scenario,
            grid_rules,
            tab,
        } => {
            let path = site.unwrap_or_else(default_site);
            let parsed = load(&path, &catalog)?;
            if !(speed.is_finite() && speed > 0.0) {
                return Err(format!("--speed must be a positive number (got {speed})"));
            }
            let scenario = match &scenario {
                Some(p) => Some(dctwin::scenario::load_scenario(p, &parsed, &catalog).map_err(|e| render(&e))?),
                None => None,
            };
            let grid_rules = grid_rules.as_deref().map(dctwin::scenario::rules::load).transpose()?;
            let view = ViewOptions {
                screenshot,
                frames,
                steps,
                select,
                paused,
                speed,
                element_rects,
                timings,
                scenario,
                grid_rules,
                tab,
            };
            open_desktop(parsed, catalog, path, view)
        }
        Command::Check { sites, design_day, weather } => {
            let mut failed = false;
            let mut exceeded = false;
            let weather = weather.as_deref().map(load_weather).transpose()?;
            for path in &sites {
                // A site's test file (a `*.test.ron` sidecar, so `check sites/*.ron` takes both).
                if path.to_string_lossy().ends_with(".test.ron") {
                    match dctwin::study::expect::load(path, &catalog) {
                        Ok(t) => outln!("{}: ok (tests, {} expectations)", path.display(), t.len()),
                        Err(problems) => {
                            failed = true;
                            err!("{}", render(&problems));
                        }
                    }
                    continue;
                }
                match dctwin::site::load::load_composed(path, &catalog, &dctwin::site::compose::read_from_disk) {
                    Ok((site, composition, warnings)) => {
                        print_warnings(&warnings);
                        let count = |pick: fn(dctwin::kinds::Role) -> bool| -> usize {
                            let kinds = dctwin::kinds::EquipmentKind::ALL.iter().filter(|k| pick(k.role()));
                            kinds.map(|&k| site.count(k)).sum()
                        };
                        use dctwin::kinds::Role;
                        let n = count(|r| matches!(r, Role::Node | Role::Load));
                        let cooling = count(|r| r == Role::Unit);
                        let files = match composition.parts.len() {
                            1 => String::new(),
                            n => format!("{n} files, "),
                        };
                        outln!(
                            "{}: ok ({files}{n} electrical elements, {} racks, {} zones, {cooling} cooling units)",
                            path.display(),
                            site.count(dctwin::kinds::EquipmentKind::Rack),
                            site.count(dctwin::kinds::EquipmentKind::Zone)
                        );
                        if let Some(day) = design_day {
                            let year = weather.clone().or_else(|| {
                                site.ambient.as_ref().and_then(|a| a.weather.as_ref()).map(|w| w.0.as_ref().clone())
                            });
                            let Some(year) = year else {
                                return Err(format!(
                                    "{}: --design-day needs a weather file: --weather FILE.epw, or `ambient: (epw: \"FILE.epw\")` in the site",
                                    path.display()
                                ));
                            };
                            let result = dctwin::study::design_day::run(&site, &catalog, &year, day)
                                .map_err(|e| format!("{}: --design-day {day}: {e}", path.display()))?;
                            exceeded |= result.exceeded();
                            out!("\n{}", result.to_markdown());
                        }
                    }
                    Err(problems) => {
                        failed = true;
                        err!("{}", render(&problems));
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else if exceeded {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Run {
            site,
            duration,
            weather,
            step,
            report,
            format,
            fail_on,
            timeseries,
            series,
            scenario,
            grid_rules,
            size_storage,
            plot,
        } => {
            let rules = grid_rules.as_deref().map(dctwin::scenario::rules::load).transpose()?;
            let file = site.display().to_string();
            let mut parsed = load(&site, &catalog)?;
            if let Some(path) = &weather {
                if parsed.ambient.is_none() {
                    return Err(format!(
                        "--weather: {} has no cooling model, so outdoor conditions change nothing",
                        site.display()
                    ));
                }
                let year = load_weather(path)?;
                parsed.ambient =
                    Some(dctwin::site::cooling::AmbientSpec::from_weather(path.display().to_string(), year));
            }
            let scenario = match &scenario {
                Some(path) => Some(dctwin::scenario::load_scenario(path, &parsed, &catalog).map_err(|e| render(&e))?),
                None => None,
            };
            let scenario_duration = scenario.as_ref().and_then(|s| s.duration_s).map(Duration::from_secs_f64);
            let mut duration = duration.or(scenario_duration).unwrap_or(Duration::from_secs(3600));
            // `1y` (humantime's 365.25 days) of a weather file is its year, not a quarter day more.
            let year_s = parsed.ambient.as_ref().and_then(|a| a.weather.as_ref()).map(|w| w.0.duration_s());
            if let Some(year_s) = year_s.filter(|_| duration == Duration::from_secs(31_557_600)) {
                duration = Duration::from_secs_f64(year_s);
            }
            let options = RunOptions { duration, step };
            options.check()?;
            if let Some(r) = rules.iter().flat_map(|set| &set.rules).find(|r| r.window_s() < step.as_secs_f64()) {
                return Err(format!(
                    "--grid-rules: \"{}\" needs steps of at most {} s; use --step {}s or shorter",
                    r.describe(),
                    r.window_s(),
                    r.window_s()
                ));
            }
            if timeseries.is_some() {
                series.check(&parsed)?;
            }
            // Charts need the default series at least.
            let plotted: headless::timeseries::SeriesSpec =
                headless::timeseries::DEFAULT_SERIES.parse().expect("the default series parse");
            let recorded = match (&timeseries, &plot) {
                (Some(_), _) => Some(&series),
                (None, Some(_)) => Some(&plotted),
                (None, None) => None,
            };
            let (result, csv) = headless::run_recording(
                &parsed,
                &catalog,
                &options,
                &file,
                recorded,
                scenario.as_ref(),
                rules.as_ref().map(|rules| headless::GridCheck { rules, size_storage }),
            );
            if let (Some(path), Some(csv)) = (&timeseries, &csv) {
                dctwin::site::save::atomic_write(path, csv.as_bytes())
                    .map_err(|e| format!("cannot write time series {}: {e}", path.display()))?;
            }
            // The charts, and the Markdown that links them.
            let charts = match (&plot, &csv) {
                (Some(dir), Some(csv)) => dctwin::export::plot::write_run_charts(csv, dir)?,
                _ => vec![],
            };
            out!("{}{}", result.to_markdown(10), markdown_links(&charts, None));
            if let Some(path) = report {
                let text = match format {
                    Format::Json => result.to_json(),
                    Format::Md => result.to_markdown(0) + &markdown_links(&charts, Some(&path)),
                };
                dctwin::site::save::atomic_write(&path, text.as_bytes())
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))?;
                outln!("Report written to {}", path.display());
            }
            let rules_failed = result.grid_rules.as_ref().is_some_and(|g| g.results.iter().any(|r| !r.pass));
            let failing = rules_failed
                || fail_on.is_some_and(|level| {
                    result.active_alerts().any(|a| match level {
                        FailOn::Warning => true,
                        FailOn::Critical => a.severity == dctwin::sim::limits::Severity::Critical,
                    })
                });
            Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Sweep { site, depth, duration, step, only, report, format, csv, top, plot, shard, out } => {
            let parsed = load(&site, &catalog)?;
            let kinds = only
                .iter()
                .map(|k| {
                    dctwin::kinds::EquipmentKind::ALL
                        .iter()
                        .copied()
                        .find(|x| x.key() == k || x.section() == k)
                        .ok_or_else(|| {
                            let keys: Vec<&str> = dctwin::kinds::EquipmentKind::ALL.iter().map(|x| x.key()).collect();
                            format!("--only {k}: no such kind ({})", keys.join(", "))
                        })
                })
                .collect::<Result<Vec<_>, String>>()?;
            let run = RunOptions { duration, step };
            run.check()?;
            let options = dctwin::study::sweep::SweepOptions { depth, duration, step, only: kinds };
            use std::io::IsTerminal;
            let bar = if std::io::stderr().is_terminal() {
                let b = indicatif::ProgressBar::new(0);
                b.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases, {per_sec}, {eta} left")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            } else {
                indicatif::ProgressBar::hidden()
            };
            let started = std::time::Instant::now();
            let tick = |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            };
            if let (Some(shard), Some(path)) = (shard, out) {
                let part = dctwin::study::sweep::sweep_part(&parsed, &catalog, &options, shard, &tick);
                bar.finish_and_clear();
                let secs = started.elapsed().as_secs_f64();
                dctwin::site::save::atomic_write(&path, part.to_json().as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                outln!(
                    "Shard {}/{}: {} cases in {secs:.2} s, written to {}",
                    shard.index,
                    shard.count,
                    part.cases.len(),
                    path.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let result = dctwin::study::sweep::sweep(&parsed, &catalog, &options, &tick);
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            let charts = sweep_charts(&result, top, plot.as_deref())?;
            out!("{}{}", result.to_markdown(top), markdown_links(&charts, None));
            err!(
                "{} cases in {secs:.2} s ({:.1} cases/s)\n",
                result.cases.len(),
                result.cases.len() as f64 / secs.max(1e-9)
            );
            if let Some(path) = report {
                let text = match format {
                    Format::Json => result.to_json(),
                    Format::Md => result.to_markdown(top) + &markdown_links(&charts, Some(&path)),
                };
                dctwin::site::save::atomic_write(&path, text.as_bytes())
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))?;
                outln!("Report written to {}", path.display());
            }
            if let Some(path) = csv {
                dctwin::site::save::atomic_write(&path, result.to_csv().as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                outln!("Cases written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Expand { site, add, target_mw, n_1, top, report, format } => {
            let parsed = load(&site, &catalog)?;
            if let Some(t) = target_mw
                && !(t.is_finite() && t > 0.0)
            {
                return Err(format!("--target-mw {t}: give the IT load to add, MW, above zero"));
            }
            let options = dctwin::study::expand::ExpandOptions { model: add, target_mw, n_1 };
            let spinner = spinner();
            let started = std::time::Instant::now();
            let result = dctwin::study::expand::expand(&parsed, &catalog, &options, &|stage| {
                spinner.set_message(stage.to_string());
            })?;
            spinner.finish_and_clear();
            out!("{}", result.to_markdown(top));
            err!("{} capacity searches in {:.2} s\n", result.searches, started.elapsed().as_secs_f64());
            if let Some(path) = report {
                let text = match format {
                    Format::Json => result.to_json(),
                    Format::Md => result.to_markdown(usize::MAX),
                };
                dctwin::site::save::atomic_write(&path, text.as_bytes())
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))?;
                outln!("Report written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Capacity { site, add, zone, near, n_1, power_cap, report, format, plot } => {
            let parsed = load(&site, &catalog)?;
            let options =
                dctwin::study::capacity::CapacityOptions { model: add, zone, near, n_1, power_cap, templates: vec![] };
            let spinner = spinner();
            let started = std::time::Instant::now();
            let result = dctwin::study::capacity::capacity(&parsed, &catalog, &options, &|stage| {
                spinner.set_message(stage.to_string());
            })?;
            spinner.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            let charts = match &plot {
                Some(dir) => dctwin::export::plot::write_bar_charts(&result.charts(), dir)?,
                None => vec![],
            };
            out!("{}{}", result.to_markdown(), markdown_links(&charts, None));
            err!("{} simulations in {secs:.2} s\n", result.probes);
            if let Some(path) = report {
                let text = match format {
                    Format::Json => result.to_json(),
                    Format::Md => result.to_markdown() + &markdown_links(&charts, Some(&path)),
                };
                dctwin::site::save::atomic_write(&path, text.as_bytes())
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))?;
                outln!("Report written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Test { paths, report } => {
            let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths };
            let found = dctwin::study::expect::find(&paths);
            if found.is_empty() {
                return Err(format!(
                    "no *.test.ron under {}",
                    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            let mut loaded = Vec::new();
            let mut invalid = String::new();
            for p in &found {
                match dctwin::study::expect::load(p, &catalog) {
                    Ok(t) => loaded.push(t),
                    Err(e) => invalid.push_str(&render(&e)),
                }
            }
            if !invalid.is_empty() {
                return Err(invalid.trim_end().to_string());
            }
            let outcomes = dctwin::study::expect::run(&loaded, &catalog);
            for o in &outcomes {
                outln!(
                    "{} {}: {}: {} (limit: {})",
                    if o.pass { "PASS" } else { "FAIL" },
                    o.file,
                    o.name,
                    o.measured,
                    o.limit
                );
            }
            let results = dctwin::study::expect::TestReport::new(outcomes);
            if let Some(path) = report {
                dctwin::site::save::atomic_write(&path, results.to_json().as_bytes())
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))?;
            }
            outln!("{} passed, {} failed", results.passed, results.failed);
            Ok(if results.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Diff { old, new, format } => {
            let (a, b) = (load_version(&old, &catalog)?, load_version(&new, &catalog)?);
            let d = dctwin::study::diff::diff(&a, &b, &old, &new, &catalog);
            match format {
                DiffFormat::Md => out!("{}", d.to_markdown()),
                DiffFormat::Json => out!("{}", d.to_json()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { parts, out, csv, top, plot } => {
            let mut read = Vec::with_capacity(parts.len());
            for p in &parts {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                let part: dctwin::study::sweep::SweepReport = serde_json::from_str(&text).map_err(|e| {
                    format!("{}:{}:{}: not a sweep part report: {e}", p.display(), e.line(), e.column())
                })?;
                read.push(part);
            }
            let result = dctwin::study::sweep::merge(read).map_err(|e| format!("cannot merge: {e}"))?;
            let charts = sweep_charts(&result, top, plot.as_deref())?;
            out!("{}{}", result.to_markdown(top), markdown_links(&charts, None));
            dctwin::site::save::atomic_write(&out, result.to_json().as_bytes())
                .map_err(|e| format!("cannot write report {}: {e}", out.display()))?;
            outln!("Report written to {}", out.display());
            if let Some(path) = csv {
                dctwin::site::save::atomic_write(&path, result.to_csv().as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                outln!("Cases written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { site, opendss } => {
            let parsed = load(&site, &catalog)?;
            let mut app = headless::build_app(&parsed, &catalog, dctwin::sim::DEFAULT_STEP);
            // Two steps: cooling loads computed by the first thermal step join the network on the second.
            headless::advance(&mut app, 2);
            let export = dctwin::export::opendss::export(app.world_mut());
            dctwin::site::save::atomic_write(&opendss, export.script.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", opendss.display()))?;
            outln!("OpenDSS script written to {}", opendss.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate { racks, out } => {
            let site = dctwin::generator::generate_site(racks);
            site.save(&out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            outln!("{}: {} racks written", out.display(), site.racks.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Fmt { site } => {
            let (parsed, composition, warnings) =
                dctwin::site::load::load_composed(&site, &catalog, &dctwin::site::compose::read_from_disk)
                    .map_err(|e| render(&e))?;
            print_warnings(&warnings);
            // Each element back into the file it came from, every file canonical.
            let written = composition.save(&parsed)?;
            let files = composition.parts.len();
            let changed = written.len();
            if files == 1 {
                outln!(
                    "{}: {}",
                    site.display(),
                    if changed == 1 { "rewritten in canonical form" } else { "already canonical" }
                );
            } else {
                outln!("{}: {files} files, {changed} rewritten in canonical form", site.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
