//! The real app in a real window: under Xvfb with Mesa's software Vulkan (what CI has), render a
//! site for some frames, write a screenshot, and check what it shows. `.ci/run` installs
//! `xvfb`, `mesa-vulkan-drivers` and `libvulkan1`.

use std::process::Command;

use crate::support::*;

fn pixel(img: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
    let i = (y * width + x) * 3;
    [img[i], img[i + 1], img[i + 2]]
}

/// Centre-left point of an element's screen rectangle (away from its centred label).
fn sample_point(rects: &serde_json::Value, id: &str) -> (usize, usize) {
    let e =
        rects["elements"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap_or_else(|| panic!("{id} drawn"));
    let (min, max) = (&e["min"], &e["max"]);
    let (x0, y0, x1, y1) =
        (min[0].as_f64().unwrap(), min[1].as_f64().unwrap(), max[0].as_f64().unwrap(), max[1].as_f64().unwrap());
    assert!(x1 - x0 >= 6.0 && y1 - y0 >= 6.0, "{id} is big enough on screen to sample: {x0},{y0} – {x1},{y1}");
    ((x0 + (x1 - x0) * 0.2) as usize, (y0 + (y1 - y0) * 0.8) as usize)
}

#[test]
fn the_app_renders_a_site_and_an_overloaded_element_stands_out() {
    let dir = std::env::temp_dir().join(format!("dctwin-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (shot, rects_path) = (dir.join("overloaded.png"), dir.join("rects.json"));
    let status = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x900x24"])
        .arg(env!("CARGO_BIN_EXE_dctwin"))
        .arg("open")
        .arg(root().join("sites/overloaded_room.ron"))
        .args(["--steps", "5", "--frames", "12", "--screenshot"])
        .arg(&shot)
        .arg("--element-rects")
        .arg(&rects_path)
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .expect("xvfb-run is installed (apt-get install xvfb mesa-vulkan-drivers libvulkan1; .ci/run does this)");
    assert!(
        status.status.success(),
        "the app ran: {}\n{}",
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
    let (img, w, h) = read_rgb(&shot);
    assert_eq!((w, h), (1600, 900), "the window is 1600x900");
    // Not blank: a rendered UI has many distinct colours.
    let distinct: std::collections::HashSet<[u8; 3]> = img.chunks(3).step_by(7).map(|p| [p[0], p[1], p[2]]).collect();
    assert!(distinct.len() > 50, "only {} distinct colours: blank screenshot?", distinct.len());

    let rects: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rects_path).unwrap()).unwrap();
    // PDU-1 carries 564 A on a 400 A breaker (critical); the 10 MVA grid feed carries about 1.2 MVA.
    let (ox, oy) = sample_point(&rects, "PDU-1");
    let (nx, ny) = sample_point(&rects, "UTIL-1");
    let over = pixel(&img, w, ox, oy);
    let normal = pixel(&img, w, nx, ny);
    let diff: i32 = over.iter().zip(normal).map(|(a, b)| (*a as i32 - b as i32).abs()).sum();
    assert!(diff > 150, "overloaded {over:?} vs normal {normal:?} should differ clearly");
    assert!(over[0] > 170 && over[1] < 90 && over[2] < 90, "the overloaded PDU is red: {over:?}");
    assert!(normal[1] > normal[0] || normal[2] > normal[0], "the lightly loaded feed is blue or green: {normal:?}");
    std::fs::remove_dir_all(&dir).ok();
}
