//! The desktop app's own state: what is selected, which tool is active, what the plan is coloured
//! by. Kept apart from the simulation so it can be saved, reset or tested on its own.

use bevy::prelude::*;

use crate::edit::ops::RowRequest;
use crate::site::element::EquipmentKind;

/// What a click on the floor plan does.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tool {
    /// Click selects (Shift adds), drag moves the selection, drag on empty floor pans.
    #[default]
    Select,
    /// Click places one element of this model.
    Place {
        /// Kind.
        kind: EquipmentKind,
        /// Catalog model.
        model: String,
    },
    /// Click places a row of racks ([`EditorState::row`]) starting there.
    PlaceRow,
    /// Click picks the element to connect `field` of `element` to.
    Connect {
        /// Element being connected.
        element: String,
        /// Its connection field (`upstream`, `feed_a`, …).
        field: String,
    },
}

/// What the plan colours elements by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMetric {
    /// Own loading (racks: their busiest feed), % of rating.
    #[default]
    Loading,
    /// Rack inlet temperature against its zone's allowable maximum.
    InletTemperature,
    /// Smallest margin to any limit.
    Headroom,
}

impl ColorMetric {
    /// All metrics, for the chooser.
    pub const ALL: [ColorMetric; 3] = [ColorMetric::Loading, ColorMetric::InletTemperature, ColorMetric::Headroom];

    /// Name in the chooser.
    pub fn label(self) -> &'static str {
        match self {
            ColorMetric::Loading => "Electrical loading",
            ColorMetric::InletTemperature => "Inlet temperature",
            ColorMetric::Headroom => "Headroom",
        }
    }
}

/// A dialog waiting for the planner.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Open a site file: the path being typed.
    Open(String),
    /// Save under a new name: the path being typed.
    SaveAs(String),
    /// There are unsaved changes; then do this.
    ConfirmDiscard(PendingAction),
    /// Saving would overwrite an example that comes with dctwin: the path.
    ConfirmOverwriteExample(String),
    /// Play a scenario file: the path being typed.
    OpenScenario(String),
    /// Export the report or a picture: what, and the path being typed.
    Export(super::export::ExportKind, String),
}

/// What to do once unsaved changes are saved or discarded.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingAction {
    /// Open this file.
    Open(String),
    /// Quit the app.
    Quit,
}

/// Selection, tool and view choices of the editor.
#[derive(Resource, Debug, Clone)]
pub struct EditorState {
    /// Active tool.
    pub tool: Tool,
    /// Selected element ids; the first is the one the inspector shows.
    pub selection: Vec<String>,
    /// Element under the mouse on the plan.
    pub hovered: Option<String>,
    /// Floor point under the mouse, m.
    pub hovered_floor: Option<bevy::math::Vec2>,
    /// Plan colouring.
    pub metric: ColorMetric,
    /// Placement grid, m.
    pub grid_m: f64,
    /// The row tool's settings.
    pub row: RowRequest,
    /// The search box's text.
    pub search: String,
    /// Ask the plan to centre on this element.
    pub center_on: Option<String>,
    /// Ask the plan to fit the whole site.
    pub fit_requested: bool,
    /// Latest message for the status bar: `(text, is_error)`.
    pub message: Option<(String, bool)>,
    /// Open dialog.
    pub dialog: Option<Dialog>,
    /// Text being typed per rating field (`(element, field)` → `(value it started from, text)`);
    /// a draft is dropped when the value in force changes under it (undo, another edit).
    pub rating_drafts: Vec<((String, String), (String, String))>,
    /// Set when the app should quit (after any unsaved-changes prompt).
    pub quit_requested: bool,
    /// The latest placement preview and what it was worked out for (model, snapped position in
    /// mm, simulation step), so it is solved once per position and step, not every frame.
    pub preview: Option<(PreviewKey, Result<crate::edit::preview::PlacementPreview, String>)>,
}

/// What a placement preview depends on: model, snapped position (mm) and simulation step.
pub type PreviewKey = (String, (i64, i64), u64);

impl Default for EditorState {
    fn default() -> Self {
        EditorState {
            tool: Tool::Select,
            selection: vec![],
            hovered: None,
            hovered_floor: None,
            metric: ColorMetric::Loading,
            grid_m: 0.3,
            row: RowRequest { model: "gb200-nvl72".into(), count: 8, ..Default::default() },
            search: String::new(),
            center_on: None,
            fit_requested: true,
            message: None,
            dialog: None,
            rating_drafts: vec![],
            quit_requested: false,
            preview: None,
        }
    }
}

impl EditorState {
    /// Selects exactly `id`.
    pub fn select_only(&mut self, id: impl Into<String>) {
        self.selection = vec![id.into()];
    }

    /// Adds `id` to the selection, or removes it when already selected.
    pub fn toggle(&mut self, id: &str) {
        match self.selection.iter().position(|s| s == id) {
            Some(i) => {
                self.selection.remove(i);
            }
            None => self.selection.push(id.to_string()),
        }
    }

    /// Shows `text` in the status bar.
    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), false));
    }

    /// Shows `text` in the status bar as an error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), true));
    }
}

/// The open file, if any.
#[derive(Resource, Debug, Clone, Default)]
pub struct OpenFile {
    /// Path of the site file the world was loaded from or last saved to.
    pub path: Option<std::path::PathBuf>,
    /// The files the site is composed of, when it includes others: saving to `path` writes
    /// each element back into its own file.
    pub composition: Option<crate::site::compose::Composition>,
}

/// Simulation speed control.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct SimSpeed {
    /// Paused.
    pub paused: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Run this many single steps while paused.
    pub pending_steps: u32,
    /// Measured simulated seconds per real second over the last second.
    pub achieved: f64,
    /// What held the clock back over the last second, if anything.
    pub held_back_by: Option<HeldBackBy>,
}

/// Why the simulated clock ran slower than asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBackBy {
    /// The simulation's steps took the CPU budget of a frame (the site is costly to step).
    Simulation,
    /// Frames took longer than a quarter second each (drawing, start-up), whatever the steps cost.
    SlowFrames,
}

impl SimSpeed {
    /// The note beside the clock when it runs slower than asked, naming the cause.
    pub fn note(&self) -> Option<String> {
        if self.paused || self.achieved <= 0.0 || self.achieved >= self.speed * 0.9 {
            return None;
        }
        match self.held_back_by? {
            HeldBackBy::Simulation => Some(format!("(running at {:.0}×: simulation CPU bound)", self.achieved)),
            HeldBackBy::SlowFrames => Some(format!("(running at {:.0}×: slow frames)", self.achieved)),
        }
    }
}

impl Default for SimSpeed {
    fn default() -> Self {
        SimSpeed { paused: false, speed: 60.0, pending_steps: 0, achieved: 0.0, held_back_by: None }
    }
}

/// Whether egui has the pointer or keyboard this frame (the plan leaves them alone then).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct UiFocus {
    /// The pointer is over a panel or window.
    pub pointer_over_ui: bool,
    /// A text field has the keyboard.
    pub keyboard: bool,
    /// The part of the window the plan shows through (logical pixels), left after the panels.
    pub plan_rect: Option<egui::Rect>,
}

use bevy_egui::egui;
