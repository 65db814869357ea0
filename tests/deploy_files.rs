//! The deployment files parse and say what the README promises: CronJobs that never overlap,
//! mount the registry volume and request resources; alert rules over metrics refit writes;
//! crontab lines with flock. No cluster runs here: this checks the files, not a deployment.

use std::path::PathBuf;

use yaml_rust2::{Yaml, YamlLoader};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> Yaml {
    let text = std::fs::read_to_string(path(rel)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.remove(0)
}

#[test]
fn cronjobs_forbid_overlap_and_mount_the_registry_claim() {
    let claim = load("scripts/k8s/pvc.yaml");
    assert_eq!(claim["kind"].as_str(), Some("PersistentVolumeClaim"));
    let claim_name = claim["metadata"]["name"].as_str().unwrap();
    for rel in [
        "scripts/k8s/drift-check-cronjob.yaml",
        "scripts/k8s/retrain-cronjob.yaml",
    ] {
        let job = load(rel);
        assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"), "{rel}");
        assert_eq!(job["kind"].as_str(), Some("CronJob"), "{rel}");
        let spec = &job["spec"];
        assert_eq!(spec["concurrencyPolicy"].as_str(), Some("Forbid"), "{rel}");
        assert_eq!(
            spec["schedule"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .count(),
            5,
            "{rel}"
        );
        let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"].as_str(), Some("Never"), "{rel}");
        let volume = &pod["volumes"][0];
        assert_eq!(
            volume["persistentVolumeClaim"]["claimName"].as_str(),
            Some(claim_name),
            "{rel}"
        );
        let container = &pod["containers"][0];
        assert!(
            container["resources"]["requests"]["memory"]
                .as_str()
                .is_some(),
            "{rel}"
        );
        assert_eq!(
            container["volumeMounts"][0]["name"], volume["name"],
            "{rel}"
        );
    }
    let retrain = load("scripts/k8s/retrain-cronjob.yaml");
    let container = &retrain["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let script = container["args"][0].as_str().unwrap();
    assert!(script.contains("retrain.sh"), "{script}");
    let env: Vec<&str> = container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for required in ["REFIT_REGISTRY", "TRAIN_DATA", "TARGET", "TIME"] {
        assert!(env.contains(&required), "retrain CronJob sets {required}");
    }
}

#[test]
fn alert_rules_use_metrics_refit_writes() {
    let rules = load("scripts/k8s/alerts.yaml");
    let sources = std::fs::read_dir(path("src/cmd"))
        .unwrap()
        .chain(std::fs::read_dir(path("src/report")).unwrap())
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    let group = &rules["groups"][0]["rules"];
    assert!(group.as_vec().unwrap().len() >= 2);
    for rule in group.as_vec().unwrap() {
        let expr = rule["expr"].as_str().unwrap();
        let metric = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .find(|w| w.starts_with("refit_"))
            .unwrap_or_else(|| panic!("{expr}: no refit metric"));
        assert!(
            sources.contains(&format!("\"{metric}\"")),
            "{metric} is not written by refit"
        );
    }
}

#[test]
fn crontab_lines_are_five_field_schedules_under_flock() {
    let text = std::fs::read_to_string(path("scripts/cron/crontab")).unwrap();
    let jobs: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        // Environment assignments (SHELL=/bin/sh) are not jobs.
        .filter(|l| !l.split_whitespace().next().unwrap_or("").contains('='))
        .collect();
    assert_eq!(jobs.len(), 2);
    for job in jobs {
        let fields: Vec<&str> = job.split_whitespace().collect();
        assert!(
            fields[..5]
                .iter()
                .all(|f| f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c))),
            "{job}"
        );
        assert!(job.contains("flock -n"), "{job}");
        // cron treats a bare % as a newline: every date format must escape it.
        assert!(!job.replace("\\%", "").contains('%'), "{job}");
    }
}
