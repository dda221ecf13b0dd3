from django.db import migrations

BODY_REGIONS = [
    ("hip", "Hip"),
    ("hip_flexors", "Hip flexors"),
    ("glutes", "Glutes"),
    ("hamstrings", "Hamstrings"),
    ("quadriceps", "Quadriceps"),
    ("lower_back", "Lower back"),
    ("spine", "Spine"),
    ("ankle", "Ankle"),
    ("hip_rotators", "Hip rotators"),
    ("psoas", "Psoas"),
    ("piriformis", "Piriformis"),
]

EQUIPMENT = [
    ("strap", "Strap"),
    ("belt", "Belt"),
    ("towel", "Towel"),
    ("chair", "Chair"),
    ("mat", "Mat"),
    ("wall", "Wall"),
]

# The rule of seed 000: "Start with 2x per week in the first week. If you feel fine
# and not overly sore, increase to 3-4x per week. Advanced movers who tolerate it
# well can even do it daily."
SEED_STAGES = [
    # order, code, name, planned, max, requires_advanced, weeks_to_promote
    (0, "start", "Start", 2, 2, False, 1),
    (1, "build", "Build", 3, 4, False, 2),
    (2, "daily", "Daily", 7, 7, True, 1),
]


def seed(apps, schema_editor):
    BodyRegion = apps.get_model("programs", "BodyRegion")
    Equipment = apps.get_model("programs", "Equipment")
    ProgressionScheme = apps.get_model("programs", "ProgressionScheme")
    SchemeStage = apps.get_model("programs", "SchemeStage")
    for code, name in BODY_REGIONS:
        BodyRegion.objects.update_or_create(code=code, defaults={"name": name})
    for code, name in EQUIPMENT:
        Equipment.objects.update_or_create(code=code, defaults={"name": name})
    scheme, _ = ProgressionScheme.objects.update_or_create(
        clinic=None,
        is_default=True,
        defaults={
            "name": "Gradual build-up (2 → 3–4 → daily)",
            "description": (
                "Two sessions in the first week. After a week done in full without being "
                "very sore or in pain the next day: 3 sessions a week (a 4th is welcome). "
                "After two such weeks, patients marked advanced may go daily. A sketchy or "
                "painful next day backs off one stage at once."
            ),
        },
    )
    for order, code, name, planned, maximum, advanced, weeks in SEED_STAGES:
        SchemeStage.objects.update_or_create(
            scheme=scheme,
            code=code,
            defaults={
                "order": order,
                "name": name,
                "planned_sessions": planned,
                "max_sessions": maximum,
                "requires_advanced": advanced,
                "weeks_to_promote": weeks,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
