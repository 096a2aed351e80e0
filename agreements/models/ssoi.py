"""The Summary Statement of Intent and the registry of its sections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ..choices import AgreementKind, DdlStatus
from .agreement import Agreement
from .documents import DdlDecision
from .records import Contribution


class SSOI(models.Model):
    """The Summary Statement of Intent: the agreement's business case, section by section."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="ssoi")
    objectives = models.TextField(blank=True)
    scope_of_work = models.TextField(blank=True)
    benefits_to_dod = models.TextField("benefits to DoD", blank=True)
    benefits_to_partners = models.TextField(blank=True)
    management_structure = models.TextField(blank=True)
    in_kind_valuation = models.TextField("in-kind contributions and their valuation", blank=True)
    cost_share_rationale = models.TextField("cost-share rationale and equitability", blank=True)
    contracting_approach = models.TextField(blank=True)
    project_equipment = models.TextField("project equipment and transfers", blank=True)
    disclosure_and_use = models.TextField("disclosure and use of information", blank=True)
    security_classification = models.TextField("security classification and CUI", blank=True)
    ddl_notes = models.TextField("DDL / TS&FD notes", blank=True)
    third_party_transfer = models.TextField(blank=True)
    duration = models.TextField(blank=True)
    congressional_notice = models.TextField("congressional notice applicability", blank=True)
    # Section 65 variant
    nato_mnna_confirmation = models.TextField("NATO / MNNA confirmation", blank=True)
    loan_period = models.TextField(blank=True)
    return_terms = models.TextField(blank=True)
    consumption_determination = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True)
    reviewed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the program office confirmed the SSOI still holds after negotiation began.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "SSOI"
        verbose_name_plural = "SSOIs"

    def __str__(self) -> str:
        return f"SSOI of {self.agreement.reference}"

    def sections(self) -> list[SsoiSection]:
        """The sections that apply to this agreement's kind, in template order."""
        section_65 = self.agreement.kind == AgreementKind.SECTION_65_LOAN
        return [s for s in SSOI_SECTIONS if (s.section_65 is None) or (s.section_65 == section_65)]

    def missing_sections(self) -> list[SsoiSection]:
        return [s for s in self.sections() if not s.is_complete(self)]

    def completeness(self) -> tuple[int, int]:
        sections = self.sections()
        return len(sections) - len(self.missing_sections()), len(sections)


class SsoiSection:
    """One SSOI section: its fields, label, and which kinds it applies to (None: all)."""

    def __init__(self, key: str, label: str, fields: tuple[str, ...], section_65: bool | None = None):
        self.key = key
        self.label = label
        self.fields = fields
        self.section_65 = section_65

    def is_complete(self, ssoi: SSOI) -> bool:
        if self.key == "financial_contributions":
            return Contribution.objects.filter(agreement_id=ssoi.agreement_id).exists()
        if self.key == "loan_list":
            return ssoi.agreement.loan_items.exists()
        if self.key == "ddl_status":
            # The program office has at least asked for the TS&FD review (the decision is not its own).
            return (
                DdlDecision.objects.filter(agreement_id=ssoi.agreement_id)
                .exclude(status=DdlStatus.NOT_STARTED)
                .exists()
            )
        return all(str(getattr(ssoi, f) or "").strip() for f in self.fields)

    def __repr__(self) -> str:
        return f"SsoiSection({self.key!r})"


SSOI_SECTIONS: tuple[SsoiSection, ...] = (
    SsoiSection("objectives", "Objectives", ("objectives",)),
    SsoiSection("scope_of_work", "Scope of work", ("scope_of_work",)),
    SsoiSection("benefits", "Benefits to DoD and to partners", ("benefits_to_dod", "benefits_to_partners")),
    SsoiSection("management_structure", "Management structure", ("management_structure",)),
    SsoiSection("financial_contributions", "Financial contributions", (), section_65=False),
    SsoiSection(
        "in_kind_valuation", "Non-financial contributions and valuation", ("in_kind_valuation",), section_65=False
    ),
    SsoiSection(
        "cost_share_rationale", "Cost-share rationale and equitability", ("cost_share_rationale",), section_65=False
    ),
    SsoiSection("contracting_approach", "Contracting approach", ("contracting_approach",), section_65=False),
    SsoiSection("loan_list", "Loan list", (), section_65=True),
    SsoiSection("nato_mnna_confirmation", "NATO / MNNA confirmation", ("nato_mnna_confirmation",), section_65=True),
    SsoiSection("loan_period", "Loan period", ("loan_period",), section_65=True),
    SsoiSection("return_terms", "Return terms", ("return_terms",), section_65=True),
    SsoiSection(
        "consumption_determination", "Consumption determination", ("consumption_determination",), section_65=True
    ),
    SsoiSection("project_equipment", "Project equipment and transfers", ("project_equipment",)),
    SsoiSection("disclosure_and_use", "Disclosure and use of information", ("disclosure_and_use",)),
    SsoiSection("security_classification", "Security classification and CUI", ("security_classification",)),
    SsoiSection("ddl_status", "DDL / TS&FD status", ()),
    SsoiSection("third_party_transfer", "Third-party transfer", ("third_party_transfer",)),
    SsoiSection("duration", "Duration", ("duration",)),
    SsoiSection("congressional_notice", "Congressional notice applicability", ("congressional_notice",)),
)
