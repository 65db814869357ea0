#!/usr/bin/env python3
"""Validates Kubernetes manifests offline and strictly, before a cluster sees them.

    python3 scripts/k8s/check_manifests.py scripts/k8s/*cronjob.yaml scripts/k8s/pvc.yaml

Needs PyPI's kubernetes-validate and croniter (scripts/python/deploy-requirements.txt; `make
test-setup` installs them into $HOME/.cache/refit-deploy-venv). Per document:
- kubernetes-validate, strict, against the schemas of KUBERNETES below: unknown fields, wrong
  types and missing required fields; an apiVersion/kind it has no schema for is an error here
  (its CLI only warns);
- what those schemas leave out: the CronJob schedule (croniter), its timeZone (an IANA zone),
  enums (concurrencyPolicy, restartPolicy, imagePullPolicy, accessModes), Job rules (a Job's pod
  restarts Never or OnFailure; backoffLimit >= 0; deadlines > 0), resource quantities and
  requests not above limits, and runAsNonRoot with runAsUser 0.
Prints one line per problem, "FILE: KIND/NAME: problem", and exits 1 if there was any.
"""

import re
import sys
import zoneinfo

import croniter
import kubernetes_validate
import yaml

# Pinned: CronJob timeZone is GA since 1.27; the schemas ship with kubernetes-validate.
KUBERNETES = "1.33.0"

CONCURRENCY = {"Allow", "Forbid", "Replace"}
JOB_RESTART = {"Never", "OnFailure"}
COMPLETION = {"NonIndexed", "Indexed"}
PULL = {"Always", "IfNotPresent", "Never"}
ACCESS = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"}
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
FACTORS = {
    None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity(value):
    """The quantity's value, or None when Kubernetes would refuse it."""
    match = QUANTITY.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * FACTORS[match.group(3)]


def check_pod(pod, problems):
    for container in pod.get("containers") or []:
        name = container.get("name", "?")
        policy = container.get("imagePullPolicy")
        if policy is not None and policy not in PULL:
            problems.append(f"container {name}: imagePullPolicy {policy!r} is not one of {sorted(PULL)}")
        resources = container.get("resources") or {}
        parsed = {}
        for section in ("requests", "limits"):
            for resource, value in (resources.get(section) or {}).items():
                amount = quantity(value)
                if amount is None:
                    problems.append(f"container {name}: {section}.{resource} {value!r} is not a quantity")
                parsed[(section, resource)] = amount
        for (section, resource), amount in parsed.items():
            limit = parsed.get(("limits", resource))
            if section == "requests" and amount is not None and limit is not None and amount > limit:
                problems.append(f"container {name}: requests.{resource} is above limits.{resource}")
    context = pod.get("securityContext") or {}
    if context.get("runAsNonRoot") and context.get("runAsUser") == 0:
        problems.append("securityContext: runAsNonRoot with runAsUser 0 never starts")


def check_job(job, problems):
    pod = (job.get("template") or {}).get("spec") or {}
    restart = pod.get("restartPolicy")
    if restart not in JOB_RESTART:
        problems.append(f"a Job's pod must restart Never or OnFailure, not {restart!r}")
    if job.get("backoffLimit", 0) < 0:
        problems.append("backoffLimit must be 0 or more")
    mode = job.get("completionMode", "NonIndexed")
    if mode not in COMPLETION:
        problems.append(f"completionMode {mode!r} is not one of {sorted(COMPLETION)}")
    if mode == "Indexed" and not job.get("completions"):
        problems.append("an Indexed Job needs completions (one index per completion)")
    deadline = job.get("activeDeadlineSeconds")
    if deadline is not None and deadline <= 0:
        problems.append("activeDeadlineSeconds must be positive")
    check_pod(pod, problems)


def check_document(doc):
    problems = []
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(p) for p in error.path)
        problems.append(f"schema {KUBERNETES}: {path}: {error.message}")
        return problems
    except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as error:
        problems.append(f"no Kubernetes {KUBERNETES} schema for {doc.get('apiVersion')} {doc.get('kind')}: {error}")
        return problems
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "CronJob":
        schedule = spec.get("schedule", "")
        if schedule.startswith("@") or not croniter.croniter.is_valid(schedule):
            problems.append(f"schedule {schedule!r} is not a five-field cron expression")
        zone = spec.get("timeZone")
        if zone is not None:
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                problems.append(f"timeZone {zone!r} is not an IANA time zone")
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy not in CONCURRENCY:
            problems.append(f"concurrencyPolicy {policy!r} is not one of {sorted(CONCURRENCY)}")
        check_job((spec.get("jobTemplate") or {}).get("spec") or {}, problems)
    elif kind == "Job":
        check_job(spec, problems)
    elif kind == "PersistentVolumeClaim":
        for mode in spec.get("accessModes") or []:
            if mode not in ACCESS:
                problems.append(f"accessMode {mode!r} is not one of {sorted(ACCESS)}")
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is None or quantity(storage) is None:
            problems.append(f"resources.requests.storage {storage!r} is not a quantity")
    return problems


def main(paths):
    failed = False
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                documents = [d for d in yaml.safe_load_all(file) if d is not None]
        except (OSError, yaml.YAMLError) as error:
            print(f"{path}: {error}")
            failed = True
            continue
        for doc in documents:
            if not isinstance(doc, dict):
                print(f"{path}: a document is not a mapping")
                failed = True
                continue
            name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            for problem in check_document(doc):
                print(f"{path}: {name}: {problem}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: check_manifests.py MANIFEST.yaml ...")
    sys.exit(main(sys.argv[1:]))
