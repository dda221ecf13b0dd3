"""`make run` runs on SQLite: the demo's pages must answer there too.

The suite runs on PostgreSQL, where the reports' SQL was written and tuned; a construct
SQLite lacks (LATERAL, DISTINCT ON, GROUPING SETS, LEAST) made the therapist's home and
the adherence report answer 500 in the demo. This builds the demo database as `make demo`
does, in a temporary SQLite file, and walks every admin list, the home, the report and
its exports, each story and the patient site (scripts/demo_crawl.py).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_demo_page_answers_on_sqlite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    } | {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "FLEXION_VAR_DIR": str(tmp_path)}

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )

    manage("migrate", "--noinput", "-v0")
    manage("load_starter_library")
    manage("seed_demo")
    walk = subprocess.run(
        [sys.executable, "scripts/demo_crawl.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert walk.returncode == 0, walk.stdout + walk.stderr[-3000:]
    assert walk.stdout.startswith("ok ")
