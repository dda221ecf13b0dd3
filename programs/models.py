import copy
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
from clinic.tenancy import ScopedQuerySet, Tenancy

from .outcomes import Definition, Schedule, definition_parse, missing_languages
from .video import Video, VideoProvider, parse_video_url

MAX_HOLD_SECONDS = 600
VIDEO_PROVIDERS = [(VideoProvider.YOUTUBE.value, "YouTube"), (VideoProvider.VIMEO.value, "Vimeo")]
MAX_SETS = 20
MAX_REPS = 100


class Category(models.TextChoices):
    STRETCH = "stretch", _("Stretch")
    MOBILITY = "mobility", _("Mobility")
    STRENGTHENING = "strengthening", _("Strengthening")
    CONTRACT_RELAX = "contract_relax", _("Contract-relax")


class StartingPosition(models.TextChoices):
    LYING_ON_BACK = "lying_on_back", _("Lying on your back")
    LYING_ON_FRONT = "lying_on_front", _("Lying on your front")
    SIDE_LYING = "side_lying", _("Lying on your side")
    KNEELING = "kneeling", _("Kneeling")
    HALF_KNEELING = "half_kneeling", _("Half kneeling")
    SITTING = "sitting", _("Sitting")
    CHAIR = "chair", _("On a chair")
    STANDING = "standing", _("Standing")


class Side(models.TextChoices):
    NONE = "none", _("Both sides together")
    PER_SIDE = "per_side", _("Each side")
    EACH_WAY = "each_way", _("Each way")


class Intensity(models.TextChoices):
    LIGHT = "light", _("Light")
    MODERATE = "moderate", _("Moderate")
    HARD = "hard", _("Hard")


class ProgressionScheme(models.Model):
    """How many sessions a week each stage plans, and when to move between stages.

    Shared schemes (no clinic) are the defaults; a clinic may define its own.
    """

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="schemes"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default scheme"), default=False)
    # Renewed whenever one of its stages is saved or deleted (programs.signals), so that
    # progress cached for the old stages is not read: see patients.progress.
    stages_version = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("progression scheme")
        verbose_name_plural = _("progression schemes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True, clinic__isnull=True),
                name="one_default_shared_scheme",
            )
        ]

    def __str__(self):
        return self.name


# The default scheme's stage names, translated where a patient reads them
# ({% translate stage.name context "stage" %}); a clinic's own names show as written.
DEFAULT_STAGE_NAMES = (
    pgettext_lazy("stage", "Start"),
    pgettext_lazy("stage", "Build"),
    pgettext_lazy("stage", "Daily"),
)


class SchemeStage(models.Model):
    scheme = models.ForeignKey(ProgressionScheme, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    planned_sessions = models.PositiveSmallIntegerField(
        _("planned sessions per week"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    max_sessions = models.PositiveSmallIntegerField(
        _("welcome sessions per week"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    requires_advanced = models.BooleanField(_("only for advanced patients"), default=False)
    weeks_to_promote = models.PositiveSmallIntegerField(
        _("tolerated weeks before moving up"), default=1, validators=[MinValueValidator(1)]
    )

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="scheme__clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["scheme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "order"], name="unique_stage_order"),
            models.UniqueConstraint(fields=["scheme", "code"], name="unique_stage_code"),
        ]

    def __str__(self):
        return f"{self.name} ({self.planned_sessions}/week)"

    def clean(self):
        planned, maximum = self.planned_sessions, self.max_sessions
        if planned is not None and maximum is not None and maximum < planned:
            raise ValidationError(
                {"max_sessions": _("The welcome maximum cannot be below the planned sessions.")}
            )


def content_languages() -> list[str]:
    """The languages content is written in, the default (English) first."""
    codes = [code for code, _name in settings.LANGUAGES]
    return [settings.LANGUAGE_CODE, *(code for code in codes if code != settings.LANGUAGE_CODE)]


class TranslatedContent(models.Model):
    """Text written once per language (``programs/translation.py``).

    ``TRANSLATED_FIELDS`` are the texts; a translation is missing in a language when a
    text is written in the default language and not in that one.
    """

    TRANSLATED_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # The plain column: the first language's text that exists, for uniqueness and search.
        for name in self.TRANSLATED_FIELDS:
            values = [getattr(self, f"{name}_{code}", None) for code in content_languages()]
            self.__dict__[name] = next((value for value in values if value), values[0])
        super().save(*args, **kwargs)

    def translations(self) -> dict[str, object]:
        """Every language's text of every translated field, by column (``name_de``)."""
        return {
            f"{name}_{code}": getattr(self, f"{name}_{code}")
            for name in self.TRANSLATED_FIELDS
            for code in content_languages()
        }

    @property
    def missing_translations(self) -> list[str]:
        """The languages (codes) in which a text written in the default language is missing."""
        default, *others = content_languages()
        written = [
            name for name in self.TRANSLATED_FIELDS if getattr(self, f"{name}_{default}", None)
        ]
        return [
            code
            for code in others
            if any(not getattr(self, f"{name}_{code}", None) for name in written)
        ]


class BodyRegion(TranslatedContent):
    TRANSLATED_FIELDS = ("name",)

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("body region")
        verbose_name_plural = _("body regions")

    def __str__(self):
        return self.name


class Equipment(TranslatedContent):
    TRANSLATED_FIELDS = ("name",)

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")

    def __str__(self):
        return self.name


class Dosage(models.Model):
    """A complete prescription of how much of an exercise to do."""

    sets = models.PositiveSmallIntegerField(
        _("sets"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_SETS)]
    )
    reps = models.PositiveSmallIntegerField(
        _("reps"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_REPS)]
    )
    hold_seconds = models.PositiveSmallIntegerField(
        _("hold (s)"), null=True, blank=True, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    hold_seconds_max = models.PositiveSmallIntegerField(
        _("hold up to (s)"), null=True, blank=True, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    rest_seconds = models.PositiveSmallIntegerField(
        _("rest (s)"), default=0, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    contraction_seconds = models.PositiveSmallIntegerField(
        _("contraction (s)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    contraction_seconds_max = models.PositiveSmallIntegerField(
        _("contraction up to (s)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    side = models.CharField(_("sides"), max_length=10, choices=Side.choices, default=Side.NONE)
    intensity = models.CharField(
        _("intensity"), max_length=10, choices=Intensity.choices, default=Intensity.LIGHT
    )

    DOSAGE_FIELDS = (
        "sets",
        "reps",
        "hold_seconds",
        "hold_seconds_max",
        "rest_seconds",
        "contraction_seconds",
        "contraction_seconds_max",
        "side",
        "intensity",
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        errors = {}
        for low, high in (
            ("hold_seconds", "hold_seconds_max"),
            ("contraction_seconds", "contraction_seconds_max"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if high_value is not None and (low_value is None or high_value < low_value):
                errors[high] = _("The upper value needs a lower value below it.")
        if errors:
            raise ValidationError(errors)

    def dosage(self) -> dict:
        return {name: getattr(self, name) for name in self.DOSAGE_FIELDS}


class Exercise(TranslatedContent, Dosage):
    """One exercise, described well enough to be done alone at home (CERT)."""

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exercises",
        help_text=_("Empty for the shared starter library, which clinics can copy but not edit."),
    )
    key = models.SlugField(_("key"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    body_regions = models.ManyToManyField(BodyRegion, blank=True, verbose_name=_("body regions"))
    starting_position = models.CharField(
        _("starting position"), max_length=20, choices=StartingPosition.choices
    )
    equipment = models.ManyToManyField(Equipment, blank=True, verbose_name=_("equipment or props"))
    summary = models.TextField(_("summary"), blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    cues = models.TextField(_("what you should feel"), blank=True)
    cautions = models.TextField(_("cautions"), blank=True)
    stop_rule = models.TextField(_("stop rule"), blank=True)
    video_provider = models.CharField(
        _("video provider"), max_length=10, choices=VIDEO_PROVIDERS, blank=True
    )
    video_id = models.CharField(_("video id"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", shared_when_clinic_is_null=True)

    # The exercise as the library describes it, in the order of the import format: the
    # import and export, the API, the starter library and a clinic's copy all read this list.
    # Relations are written by their codes; the video by its link (``video_url``).
    FIELDS = (
        "key",
        "name",
        "category",
        "body_regions",
        "starting_position",
        "equipment",
        "summary",
        "steps",
        "cues",
        "cautions",
        "stop_rule",
        *Dosage.DOSAGE_FIELDS,
        "video_url",
        "source",
    )
    RELATED_FIELDS = ("body_regions", "equipment")
    # What a patient reads, written per language (programs/translation.py).
    TRANSLATED_FIELDS = ("name", "summary", "steps", "cues", "cautions", "stop_rule")
    # What is stored as written: without the key (unique per clinic), relations and link.
    VALUE_FIELDS = tuple(
        name for name in FIELDS if name not in {"key", "body_regions", "equipment", "video_url"}
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="unique_exercise_name_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["clinic", "key"], name="unique_exercise_key_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(clinic__isnull=True),
                name="unique_shared_exercise_name",
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(clinic__isnull=True),
                name="unique_shared_exercise_key",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.clinic_id is None

    @property
    def video(self) -> Video | None:
        if not self.video_id:
            return None
        return Video(VideoProvider(self.video_provider), self.video_id)

    def set_video_url(self, url: str) -> None:
        """Store a YouTube or Vimeo link as provider and id; an empty link clears it."""
        if not url:
            self.video_provider, self.video_id = "", ""
            return
        video = parse_video_url(url)
        self.video_provider, self.video_id = video.provider, video.id


class VariationDirection(models.TextChoices):
    EASIER = "easier", _("Easier")
    HARDER = "harder", _("Harder")


class ExerciseVariation(models.Model):
    """An ordered link to an easier or harder version of an exercise."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="variations")
    variation = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=10, choices=VariationDirection.choices)
    order = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="exercise__clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["exercise", "direction", "order"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "variation"], name="unique_variation"),
            models.CheckConstraint(
                condition=~models.Q(exercise=models.F("variation")), name="variation_not_itself"
            ),
        ]

    def __str__(self):
        return f"{self.exercise} → {self.variation} ({self.get_direction_display()})"

    def clean(self):
        if self.exercise_id and self.exercise_id == self.variation_id:
            raise ValidationError({"variation": _("An exercise cannot be its own variation.")})


class Program(TranslatedContent):
    """A template: ordered exercises with their dosage, copied to a patient on assignment."""

    TRANSLATED_FIELDS = ("name", "goal", "education")

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="programs"
    )
    key = models.SlugField(_("key"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200)
    goal = models.CharField(_("goal or condition"), max_length=300, blank=True)
    education = models.TextField(_("education text"), blank=True)
    scheme = models.ForeignKey(
        ProgressionScheme,
        on_delete=models.PROTECT,
        related_name="programs",
        verbose_name=_("progression scheme"),
    )
    created_by = models.ForeignKey(
        "clinic.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="unique_program_name_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(clinic__isnull=True),
                name="unique_shared_program_name",
            ),
        ]

    def __str__(self):
        return self.name


class DosageOverride(models.Model):
    """Dosage fields left empty fall back to the exercise's default."""

    sets = models.PositiveSmallIntegerField(
        _("sets"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SETS)],
    )
    reps = models.PositiveSmallIntegerField(
        _("reps"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REPS)],
    )
    hold_seconds = models.PositiveSmallIntegerField(
        _("hold (s)"), null=True, blank=True, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    hold_seconds_max = models.PositiveSmallIntegerField(
        _("hold up to (s)"), null=True, blank=True, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    rest_seconds = models.PositiveSmallIntegerField(
        _("rest (s)"), null=True, blank=True, validators=[MaxValueValidator(MAX_HOLD_SECONDS)]
    )
    contraction_seconds = models.PositiveSmallIntegerField(
        _("contraction (s)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    contraction_seconds_max = models.PositiveSmallIntegerField(
        _("contraction up to (s)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    side = models.CharField(_("sides"), max_length=10, choices=Side.choices, blank=True)
    intensity = models.CharField(
        _("intensity"), max_length=10, choices=Intensity.choices, blank=True
    )

    class Meta:
        abstract = True

    def resolved_dosage(self, exercise: Exercise) -> dict:
        """Return the full dosage: this override where set, else the exercise's default."""
        resolved = exercise.dosage()
        for name in Dosage.DOSAGE_FIELDS:
            value = getattr(self, name)
            if value not in (None, ""):
                resolved[name] = value
        return resolved

    def has_dosage_override(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in Dosage.DOSAGE_FIELDS)


class ProgramItem(DosageOverride):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="program_items")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="program__clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("program item")
        verbose_name_plural = _("program items")

    def __str__(self):
        return str(self.exercise)

    def lacks_dosage(self) -> bool:
        """Whether nothing tells the patient how much of the exercise to do.

        Sets and reps always resolve to at least 1, so "no dosage at all" means the item and
        its exercise leave them at a single set of a single repetition with no hold and no
        contraction time: a dosage nobody chose. A follow-along video is a dosage of its own
        (do it once, as shown), so exercises with a video never count as lacking one.
        """
        if self.exercise.video_id:
            return False
        dosage = self.resolved_dosage(self.exercise)
        return (
            dosage["sets"] <= 1
            and dosage["reps"] <= 1
            and not dosage["hold_seconds"]
            and not dosage["contraction_seconds"]
        )


class Questionnaire(TranslatedContent):
    """An outcome measure (PSFS, NPRS, EARS, or a clinic's own); its questions are versioned.

    The title is translated like the library's texts (the patient's home page names it);
    the questions' translations are in each version's definition.
    """

    TRANSLATED_FIELDS = ("title",)

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="questionnaires"
    )
    code = models.SlugField(_("code"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code"], name="unique_questionnaire_code_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(clinic__isnull=True),
                name="unique_shared_questionnaire_code",
            ),
        ]

    def __str__(self):
        return self.title

    def latest_version(self):
        return self.versions.order_by("-number").first()


PARSED_DEFINITIONS_KEPT = 256
# (version id, language) -> (the definition as parsed, its Definition); see `parsed`.
_parsed_definitions: dict[tuple[int, str | None], tuple[dict, Definition]] = {}


class QuestionnaireVersion(models.Model):
    """One immutable version of a questionnaire's definition (FHIR Questionnaire shaped).

    Editing a definition stores a new version; responses keep the version they answered,
    so they stay readable and scored by it. The scale's facts are copied into columns for
    the reports' SQL.
    """

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    score_min = models.FloatField()
    score_max = models.FloatField()
    higher_is_better = models.BooleanField()
    mcid = models.FloatField(_("minimal clinically important difference"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="questionnaire__clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["questionnaire", "-number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="unique_questionnaire_version"
            )
        ]

    def __str__(self):
        return f"{self.questionnaire} v{self.number}"

    @property
    def parsed(self) -> Definition:
        """The definition with its texts in the active language (else English).

        A patient's pages run in the patient's language, so they read its translation.
        Parsed once a process per version and language: the story and the reports parse
        the same few versions on every page. A version is not meant to change, but the
        cache compares the definition it parsed with this one rather than trust that.
        """
        language = get_language()
        key = (self.pk, language)
        cached = _parsed_definitions.get(key)
        if cached is not None and cached[0] == self.definition:
            return cached[1]
        parsed = definition_parse(self.definition, language)
        if self.pk is not None:
            if len(_parsed_definitions) >= PARSED_DEFINITIONS_KEPT:
                _parsed_definitions.clear()
            _parsed_definitions[key] = (copy.deepcopy(self.definition), parsed)
        return parsed

    @property
    def missing_translations(self) -> list[str]:
        """The languages (codes) some text of this version has no translation in."""
        return missing_languages(self.definition, content_languages()[1:])

    @classmethod
    def from_definition(cls, questionnaire: Questionnaire, number: int, definition: dict):
        """A new version of `questionnaire`; raise DefinitionError when it cannot be scored."""
        scoring = definition_parse(definition).scoring
        return cls(
            questionnaire=questionnaire,
            number=number,
            definition=definition,
            score_min=scoring.minimum,
            score_max=scoring.maximum,
            higher_is_better=scoring.higher_is_better,
            mcid=scoring.mcid,
        )


class QuestionnaireSchedule(models.Model):
    """When a questionnaire is due: at the start, every N weeks, at the end.

    A program's schedule and a patient's copy of it (``patients.AssignmentQuestionnaire``)
    are both this; ``owner`` names the program or assignment it belongs to.
    """

    owner: str  # the field of the program or assignment the schedule belongs to

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="+", verbose_name=_("questionnaire")
    )
    at_start = models.BooleanField(_("at the start"), default=True)
    every_weeks = models.PositiveSmallIntegerField(
        _("every N weeks"),
        default=0,
        validators=[MaxValueValidator(52)],
        help_text=_("0: no repeats."),
    )
    end_after_weeks = models.PositiveSmallIntegerField(
        _("at the end, after N weeks"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(104)],
        help_text=_("The program's planned length; empty: no questionnaire at the end."),
    )

    class Meta:
        abstract = True
        verbose_name = _("questionnaire schedule")
        verbose_name_plural = _("questionnaire schedules")

    def __str__(self):
        return str(self.questionnaire)

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.at_start, self.every_weeks, self.end_after_weeks)

    def clean(self):
        owner = getattr(self, self.owner, None)
        questionnaire = getattr(self, "questionnaire", None)
        if owner and questionnaire and questionnaire.clinic_id not in (None, owner.clinic_id):
            raise ValidationError(
                {"questionnaire": _("This questionnaire belongs to another clinic.")}
            )
        if not self.at_start and not self.every_weeks and not self.end_after_weeks:
            raise ValidationError(_("Choose at least one time: the start, a repeat or the end."))


class ProgramQuestionnaire(QuestionnaireSchedule):
    """When a program asks for a questionnaire; copied to each assignment of it."""

    owner = "program"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questionnaires")

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="program__clinic", shared_when_clinic_is_null=True)

    class Meta(QuestionnaireSchedule.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["program", "questionnaire"], name="unique_program_questionnaire"
            )
        ]


class ExercisePicture(TranslatedContent):
    """One picture of a clinic's exercise (a position or a step), in order, with its alt text.

    The files are written once (``programs.services.exercise_picture_add``) and never
    changed: a new picture is a new row, so its address can be cached for good. The alt
    text is translated like the exercise's texts.
    """

    TRANSLATED_FIELDS = ("alt_text",)

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="pictures")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    alt_text = models.CharField(
        _("description (alt text)"),
        max_length=300,
        help_text=_("What the picture shows, for patients who cannot see it."),
    )
    large = models.FileField(max_length=200, editable=False)
    thumb = models.FileField(max_length=200, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="exercise__clinic", shared_when_clinic_is_null=True)

    class Meta:
        ordering = ["exercise", "order", "pk"]
        verbose_name = _("picture")
        verbose_name_plural = _("pictures")

    def __str__(self):
        return self.alt_text

    def file_for(self, size: str):
        """The stored file of a size ("large" or "thumb")."""
        return self.thumb if size == "thumb" else self.large
