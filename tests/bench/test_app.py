"""The benchmark's commands ship in no production install."""

from tests.clinic.test_settings import PRODUCTION_ENV, run_manage


def test_production_lists_none_of_the_benchmark_commands():
    result = run_manage("help", "--commands", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    commands = result.stdout.split()
    assert "send_due_reminders" in commands
    assert "generate_load_data" not in commands
    assert "bench_dispatch" not in commands


def test_the_benchmark_lists_its_commands():
    result = run_manage("help", "--commands", env={**PRODUCTION_ENV, "FLEXION_BENCH_APPS": "true"})
    assert result.returncode == 0, result.stderr
    assert {"generate_load_data", "bench_dispatch"} <= set(result.stdout.split())
