"""The engine's vocabulary: every value a decision or an answer can take (SPEC §1 and §2).

These tuples are the one definition of each choice; the questionnaire, the API's validation,
the database constraints and the docs are all built from them.
"""

# The ruleset a decision is made under when the caller names none. The engine holds every
# version side by side (rulesets.py: RULESETS, and LATEST for the newest).
RULESET_VERSION = "2026.1"

# Ordered lowest to highest: the index is the rank the engine compares.
DISPOSITIONS = ("home_care", "physiotherapy", "medical_referral")
URGENCIES = ("routine", "urgent", "emergency")

SERVICES = (
    "self_care",
    "physiotherapy",
    "physiotherapy_psychologically_informed",
    "gp",
    "spinal_specialist",
    "rheumatology",
    "pain_service",
    "urgent_imaging",
    "clinician_callback",
    "emergency_department",
)
IMAGING = ("none", "xray", "mri_lumbar", "mri_whole_spine", "ct")
IMAGING_LABELS = {
    "none": "None",
    "xray": "X-ray",
    "mri_lumbar": "MRI of the lumbar spine",
    "mri_whole_spine": "MRI of the whole spine",
    "ct": "CT scan",
}

# Which services go with which disposition (SPEC §4): what a clinician's review may choose.
SERVICES_BY_DISPOSITION = {
    "home_care": ("self_care",),
    "physiotherapy": ("physiotherapy", "physiotherapy_psychologically_informed"),
    "medical_referral": tuple(
        s for s in SERVICES if s not in ("self_care",) and not s.startswith("physiotherapy")
    ),
}

RISKS = ("low", "medium", "high")
RED_FLAG_LEVELS = ("weak", "urgent", "emergency")
RED_FLAG_STATUSES = ("present", "unanswered")

SEXES = ("female", "male", "other", "unknown")

RED_FLAG_ANSWERS = ("yes", "no", "unknown")
LEG_WEAKNESS = ("none", "stable", "progressive")
TRAUMA = ("none", "minor", "major", "unknown")
TRIGGERS = (
    "lifting_or_twisting",
    "prolonged_posture",
    "sport_or_exercise",
    "dehydration",
    "stress",
    "none_known",
)
INFLAMMATORY_FEATURES = (
    "night_waking_second_half",
    "buttock_pain",
    "improves_with_movement",
    "improves_with_nsaids",
    "family_history_spondyloarthritis",
    "arthritis_history",
    "enthesitis_history",
    "psoriasis_history",
)
BOTHERSOMENESS = ("not_at_all", "slightly", "moderately", "very_much", "extremely")

# The red-flag items of SPEC §2 answered yes / no / unknown.
RED_FLAG_ITEMS = (
    "bladder_bowel_change",
    "saddle_numbness",
    "sexual_dysfunction_new",
    "fever",
    "cancer_history",
    "unexplained_weight_loss",
    "osteoporosis_or_steroids",
    "immunosuppression_or_iv_drug_use",
    "night_pain_unremitting",
    "thoracic_pain",
)

# STarT Back items 1-8 (true when the patient agrees), then item 9.
STARTBACK_ITEMS = (
    "leg_pain",
    "shoulder_or_neck_pain",
    "walks_short_distances_only",
    "dresses_slowly",
    "activity_unsafe",
    "worrying_thoughts",
    "pain_terrible_never_better",
    "no_enjoyment",
)
STARTBACK_PSYCHOSOCIAL_ITEMS = STARTBACK_ITEMS[4:]
STARTBACK_BOTHERSOME = ("very_much", "extremely")

DISPOSITION_RANK = {value: rank for rank, value in enumerate(DISPOSITIONS)}
URGENCY_RANK = {value: rank for rank, value in enumerate(URGENCIES)}
