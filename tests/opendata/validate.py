"""Validates what ohs published under LAKE with the tools a data user would reach for, and
prints one JSON object for tests/it/opendata.rs:

- frictionless validates datapackage.json and every resource it names (types, primary keys);
- jsonschema validates each publish manifest against manifest.schema.json and the build
  record against build.schema.json (with format checks);
- each check is shown to fail on a violation: a duplicated primary key in a copy of the site
  CSV, and a manifest whose snapshot_date is a number.

Usage: validate.py LAKE
"""
import copy
import glob
import json
import os
import shutil
import sys
import tempfile

import jsonschema
from frictionless import validate


def errors_of(report):
    found = [error.type for error in report.errors]
    for task in report.tasks:
        found.extend(error.type for error in task.errors)
    return found


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(lake):
    out = {}
    package_path = os.path.join(lake, "datapackage.json")
    report = validate(package_path)
    out["package_valid"] = report.valid
    out["package_errors"] = errors_of(report)[:20]
    out["resources"] = [task.name for task in report.tasks]

    # A violated key: the site CSV with its first row twice, described by the same package.
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(os.path.join(lake, "site"), os.path.join(scratch, "site"))
        csv_path = os.path.join(scratch, "site", "org_repos_agg.csv")
        with open(csv_path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        with open(csv_path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[:2] + lines[1:]) + "\n")
        descriptor = load(package_path)
        descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] == "org_repos_agg"]
        broken = os.path.join(scratch, "datapackage.json")
        with open(broken, "w", encoding="utf-8") as f:
            json.dump(descriptor, f)
        out["duplicate_key_errors"] = errors_of(validate(broken))

    manifest_schema = load(os.path.join(lake, "manifest.schema.json"))
    build_schema = load(os.path.join(lake, "build.schema.json"))
    checker = jsonschema.FormatChecker()
    manifests = sorted(glob.glob(os.path.join(lake, "gold", "_manifests", "*", "_manifest.json")))
    manifests.append(os.path.join(lake, "site", "_manifest.json"))
    checked = []
    for path in manifests:
        jsonschema.validate(load(path), manifest_schema, format_checker=checker)
        checked.append(os.path.relpath(path, lake))
    for path in sorted(glob.glob(os.path.join(lake, "staging", "*", "_build.json"))):
        jsonschema.validate(load(path), build_schema, format_checker=checker)
        checked.append(os.path.relpath(path, lake))
    out["schema_checked"] = checked
    bad = copy.deepcopy(load(manifests[0]))
    bad["snapshot_date"] = 20210304
    try:
        jsonschema.validate(bad, manifest_schema, format_checker=checker)
        out["bad_manifest_refused"] = False
    except jsonschema.ValidationError:
        out["bad_manifest_refused"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
