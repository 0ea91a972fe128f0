"""The dbt models pass sqlfluff (dialect duckdb, jinja templater with dbt builtins; config dbt_project/.sqlfluff)."""
from __future__ import annotations

import json
import subprocess
import sys

from funnelhouse.transform import DBT_PROJECT_DIR


def test_models_have_no_sqlfluff_violations() -> None:
    # a subprocess: the linter's stand-ins for dbt's Jinja context (dbt_project/sqlfluff_libs) stay out of this one
    completed = subprocess.run(
        # one process: the suite's xdist workers already use every core, and sqlfluff's own pool once hung at exit
        # (its worker waiting on a lock, the parent in wait4) in a run beside another build
        [sys.executable, "-m", "sqlfluff", "lint", "models", "--format", "json", "--nofail", "--processes", "1"],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=1200,  # a guard against a hang, not a speed goal: on a busy 2-core machine it took over 300 s
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report, "sqlfluff linted no files"
    violations = [
        f"{entry['filepath']}:{violation.get('start_line_no')}: {violation['code']} {violation['description']}"
        for entry in report
        for violation in entry["violations"]
    ]
    assert violations == [], "\n".join(violations)
