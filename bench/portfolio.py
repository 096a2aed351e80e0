"""The shape of the benchmark portfolio: lifecycle paths with their weights and stage lengths,
the words titles are made of, and the rows waiting for COPY. Used by bench/generate.py."""

from __future__ import annotations

import datetime as dt
import json
import random

# --- the lifecycle paths ---------------------------------------------------------------------
STATE_WEIGHTS = {
    # Decades of history: most agreements have ended or are in force; a few hundred are moving.
    "proposal": 3,
    "ssoi_drafting": 4,
    "rad_review": 2.2,
    "negotiation": 8,
    "rfa_review": 1.8,
    "congressional_wait": 0.5,
    "approved": 0.5,
    "signing": 1.5,
    "in_force": 31.5,
    "expired": 35,
    "terminated": 3,
    "withdrawn": 7,
    "disapproved": 2,
}
KIND_WEIGHTS = {
    "master": 15,
    "project_arrangement": 45,
    "system_level": 10,
    "section_65_loan": 10,
    "amendment": 20,
}
MAIN_LINE = [
    ("proposal", "start_ssoi", "ssoi_drafting"),
    ("ssoi_drafting", "submit_rad", "rad_review"),
    ("rad_review", "authorize_negotiation", "negotiation"),
    ("negotiation", "submit_rfa", "rfa_review"),
    ("rfa_review", "approve_conclusion", "approved"),
    ("approved", "record_signature", "signing"),
    ("signing", "record_signature", "in_force"),
]
STAGE_DAYS = {
    "proposal": (5, 60),
    "ssoi_drafting": (20, 120),
    "rad_review": (10, 60),
    "negotiation": (60, 500),
    "rfa_review": (10, 60),
    "congressional_wait": (30, 35),
    "approved": (5, 60),
    "signing": (10, 120),
}
DOC_KINDS_BY_STAGE = {
    "rad_review": ["draft_text"],
    "rfa_review": ["negotiated_text"],
    "in_force": ["signed_text"],
    "terminated": ["notice"],
}


def path_to(state: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """(source, transition, target) steps from a proposal to ``state``."""
    if state == "withdrawn":
        before = rng.choice(["proposal", "ssoi_drafting", "negotiation"])
        return path_to(before, rng) + [(before, "withdraw", "withdrawn")]
    if state == "disapproved":
        before = rng.choice(["rad_review", "rfa_review"])
        return path_to(before, rng) + [(before, "disapprove", "disapproved")]
    if state == "expired":
        return path_to("in_force", rng) + [("in_force", "expire", "expired")]
    if state == "terminated":
        return path_to("in_force", rng) + [("in_force", "terminate", "terminated")]
    steps: list[tuple[str, str, str]] = []
    for source, name, target in MAIN_LINE:
        if source == state:
            break
        if source == "rad_review" and rng.random() < 0.15:
            steps += [
                ("rad_review", "return_for_revision", "ssoi_drafting"),
                ("ssoi_drafting", "submit_rad", "rad_review"),
            ]
        if name == "approve_conclusion" and rng.random() < 0.12:
            steps += [
                ("rfa_review", "approve_conclusion", "congressional_wait"),
                ("congressional_wait", "end_congressional_wait", "approved"),
            ]
            if state in ("congressional_wait",):
                return steps[:-1]
            continue
        if state == "congressional_wait" and source == "rfa_review":
            return steps + [("rfa_review", "approve_conclusion", "congressional_wait")]
        steps.append((source, name, target))
        if target == state:
            break
    return steps


# --- rows ------------------------------------------------------------------------------------
class Tables:
    """Rows of each table waiting for COPY, with the columns the models define."""

    def __init__(self, models):
        self.models = models
        self.rows: dict[type, list[dict]] = {m: [] for m in models}
        self.ids = {m: 0 for m in models}

    def next_id(self, model) -> int:
        self.ids[model] += 1
        return self.ids[model]

    def add(self, model, **values) -> int:
        if "id" not in values and model._meta.pk.name == "id":
            values["id"] = self.next_id(model)
        self.rows[model].append(values)
        return values.get("id") or values.get(model._meta.pk.attname)

    def flush(self, connection) -> int:
        written = 0
        raw = connection.connection
        for model, rows in self.rows.items():
            if not rows:
                continue
            fields = [f for f in model._meta.concrete_fields]
            columns = ", ".join(f'"{f.column}"' for f in fields)
            defaults = {}
            for field in fields:
                if field.has_default():
                    default = field.get_default()
                    defaults[field.attname] = default
                elif field.null:
                    defaults[field.attname] = None
                elif field.empty_strings_allowed:
                    defaults[field.attname] = ""
            with raw.cursor() as cursor:
                with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        values = []
                        for field in fields:
                            if field.attname in row:
                                value = row[field.attname]
                            elif field.attname in defaults:
                                value = defaults[field.attname]
                            else:
                                raise KeyError(f"{model.__name__}.{field.attname} has no value")
                            if isinstance(value, (dict, list)):
                                value = json.dumps(value)
                            values.append(value)
                        copy.write_row(values)
            written += len(rows)
            rows.clear()
        return written


def step_times(start: dt.datetime, durations: list[dt.timedelta]):
    at = start
    for duration in durations:
        at = at + duration
        yield at


TOPICS = (
    "Cooperative development of",
    "Joint test and evaluation of",
    "Co-production of",
    "Research on",
    "Sustainment of",
    "Loan of test articles for",
)
SUBJECTS = (
    "counter-UAS sensors",
    "hypersonic materials",
    "maritime autonomy",
    "ballistic missile defence radars",
    "military medicine",
    "space situational awareness",
    "armoured vehicle protection",
    "cyber defence tools",
    "quantum navigation",
    "directed energy",
)
