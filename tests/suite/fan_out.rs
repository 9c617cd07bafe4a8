//! Sweeps fanned out on a real Slurm job array and as a Kubernetes Indexed Job: the merged report
//! equals the single-process one byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// The sweep both fan-outs run: depth 2 on the small room's electrical chain.
const OPTIONS: [&str; 6] = ["--only", "transformer,ups,distribution", "--depth", "2", "--duration", "1m"];

fn dctwin() -> &'static str {
    env!("CARGO_BIN_EXE_dctwin")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dctwin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The single-process report of the sweep, as `dctwin sweep --report` writes it.
fn unsharded(dir: &Path) -> String {
    let path = dir.join("whole.json");
    let out = Command::new(dctwin())
        .args(["sweep", "sites/small_2n_room.ron", "--step", "10s", "--report", path.to_str().unwrap()])
        .args(OPTIONS)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(path).unwrap()
}

/// `.ci/run` installs and starts a single-node Slurm cluster (`.ci/slurm-single-node.sh`); this
/// starts it again if it is not running (a no-op when it is), submits the shipped job-array
/// script for 3 shards with a dependent merge job, waits, and compares.
#[test]
fn a_slurm_job_array_sweep_merges_into_the_single_process_report() {
    assert!(
        Command::new("sbatch").arg("--version").output().is_ok_and(|o| o.status.success()),
        "the Slurm fan-out test needs Slurm: run `.ci/run` once (it installs a single-node cluster with \
         .ci/slurm-single-node.sh, as root), or `bash .ci/slurm-single-node.sh install`"
    );
    let start = Command::new("bash").arg(root().join(".ci/slurm-single-node.sh")).arg("start").output().unwrap();
    assert!(start.status.success(), "cannot start Slurm: {}", String::from_utf8_lossy(&start.stderr));
    let dir = scratch("slurm");
    let out = Command::new(root().join("deploy/slurm/submit-sweep.sh"))
        .args(["--wait", "3", "sites/small_2n_room.ron", dir.join("out").to_str().unwrap(), "--step", "10s"])
        .args(OPTIONS)
        .env("DCTWIN", dctwin())
        .current_dir(root())
        .output()
        .unwrap();
    let log = |name: &str| std::fs::read_to_string(dir.join("out/logs").join(name)).unwrap_or_default();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}\nshard 0: {}\nmerge: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        log("shard-0.out"),
        log("merge.err")
    );
    for i in 0..3 {
        assert!(
            log(&format!("shard-{i}.out")).starts_with(&format!("Shard {i}/3: ")),
            "{}",
            log(&format!("shard-{i}.out"))
        );
    }
    let merged = std::fs::read_to_string(dir.join("out/sweep.json")).unwrap();
    assert_eq!(merged, unsharded(&dir));
    let md = std::fs::read_to_string(dir.join("out/sweep.md")).unwrap();
    assert!(md.starts_with("# Contingency sweep: Small 2N room (N-2, "), "{md}");
    // More than 1000 shards is refused before anything is submitted.
    let out = Command::new(root().join("deploy/slurm/submit-sweep.sh"))
        .args(["1001", "sites/small_2n_room.ron", dir.join("big").to_str().unwrap()])
        .env("DCTWIN", dctwin())
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("N must be 1 to 1000"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Kubernetes manifest: its `completions` equal the N of its `--shard`, and its command, run
/// once per index with JOB_COMPLETION_INDEX set as the Indexed Job controller sets it (paths
/// under /data moved to a scratch directory, the sweep options swapped for the short ones),
/// writes parts that merge into the single-process report.
#[test]
fn the_kubernetes_indexed_job_runs_the_same_shards() {
    let yaml = std::fs::read_to_string(root().join("deploy/k8s/sweep-indexed-job.yaml")).unwrap();
    let field = |name: &str| -> u32 {
        let line = yaml.lines().find(|l| l.trim_start().starts_with(&format!("{name}:"))).unwrap();
        line.split(':').nth(1).unwrap().trim().parse().unwrap()
    };
    let n = field("completions");
    assert_eq!(field("parallelism"), n);
    assert_eq!(yaml.matches("completionMode: Indexed").count(), 1);
    let command = yaml.lines().find(|l| l.trim_start().starts_with("exec dctwin sweep")).unwrap().trim();
    assert_eq!(
        command,
        format!(
            "exec dctwin sweep /data/site.ron --depth 2 --duration 10m --shard \"$JOB_COMPLETION_INDEX/{n}\" --out \"/data/parts/part-$JOB_COMPLETION_INDEX.json\""
        )
    );
    let dir = scratch("k8s");
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    std::fs::copy(root().join("sites/small_2n_room.ron"), dir.join("site.ron")).unwrap();
    let local = command
        .replace("exec dctwin", &format!("exec {}", dctwin()))
        .replace("/data/", &format!("{}/", dir.display()))
        .replace("--depth 2 --duration 10m", &format!("--step 10s {}", OPTIONS.join(" ")));
    for index in 0..n {
        let out = Command::new("/bin/sh")
            .args(["-c", &local])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "index {index}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let parts: Vec<String> = (0..n).map(|i| dir.join(format!("parts/part-{i}.json")).display().to_string()).collect();
    let merged = dir.join("sweep.json");
    let out =
        Command::new(dctwin()).arg("merge").args(&parts).args(["--out", merged.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&merged).unwrap(), unsharded(&dir));
    // A part that is not one: the file, line and column.
    std::fs::write(dir.join("bad.json"), "{\n  \"schema\": 3\n}\n").unwrap();
    let out = Command::new(dctwin())
        .args(["merge", dir.join("bad.json").to_str().unwrap(), "--out", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json:2:") && err.contains("not a sweep part report"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
