"""Browser forms. They parse and present input; every rule is checked by the services and the
models, whose messages the views put back on the form (``apply_service_error``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from partners.models import Partner

from .choices import (
    AgreementKind,
    AmendmentType,
    ContributionKind,
    DdlStatus,
    DocumentKind,
    LegalAuthority,
    Marking,
    ParticipantRole,
    SystemPhase,
)
from .models import SSOI, Agreement, LoanItem, agreement_violations
from .services import SSOI_FIELDS


class DateInput(forms.DateInput):
    """A native date picker (keyboard-accessible, no script needed)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UswdsFormMixin:
    """Gives every widget the U.S. Web Design System class it needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                css = "usa-checkbox__input"
            elif isinstance(widget, forms.RadioSelect):
                css = "usa-radio__input"
            elif isinstance(widget, forms.CheckboxInput):
                css = "usa-checkbox__input"
            elif isinstance(widget, forms.Select):
                css = "usa-select"
            elif isinstance(widget, forms.Textarea):
                css = "usa-textarea"
            elif isinstance(widget, forms.ClearableFileInput | forms.FileInput):
                css = "usa-file-input"
            else:
                css = "usa-input"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()


def apply_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field, otherwise at the top of the form. The message is the model's own."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for item in errors:
                for message in item.messages:
                    form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


DATE_HINT = "Pick it from the calendar, or type it."

# Which kinds of agreement carry which optional fields on the proposal form.
KIND_FIELDS = {
    "parent": (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT),
    "phase": (AgreementKind.SYSTEM_LEVEL,),
    "amendment_type": (AgreementKind.AMENDMENT,),
    "new_expiration_date": (AgreementKind.AMENDMENT,),
}


class ParentSelect(forms.Select):
    """The parent list, each option saying which kinds of agreement it may be the parent of
    (``data-parent-for``), so the form offers only fitting parents for the chosen kind."""

    def __init__(self, *args, kinds_by_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds_by_pk = kinds_by_pk or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        kinds = self.kinds_by_pk.get(pk)
        if kinds:
            option["attrs"]["data-parent-for"] = " ".join(kinds)
        return option


class ParentChoiceField(forms.ModelChoiceField):
    """Offers the parent candidates, but accepts any agreement the user can see, so that a parent
    that may not be chosen is refused by the service with its own sentence (as in the API)."""

    lookup_queryset = None

    def to_python(self, value):
        if self.lookup_queryset is None or value in self.empty_values:
            return super().to_python(value)
        offered = self.queryset
        self.queryset = self.lookup_queryset
        try:
            return super().to_python(value)
        finally:
            self.queryset = offered


class AgreementCreateForm(UswdsFormMixin, forms.Form):
    """The guided proposal form: kind, parent, partners, authority, title, dates. The kind decides
    which fields apply; the model's own validation runs here too, so every error shows at once."""

    kind = forms.ChoiceField(
        label="Kind of agreement",
        choices=AgreementKind.choices,
        widget=forms.RadioSelect,
        help_text="A project arrangement is concluded under a master agreement that is in force.",
    )
    parent = ParentChoiceField(
        label="Parent agreement",
        queryset=Agreement.objects.none(),
        required=False,
        help_text="A project arrangement's master agreement, or the agreement an amendment amends.",
    )
    partners = forms.ModelMultipleChoiceField(
        label="Partners",
        queryset=Partner.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        help_text="Type to find a partner, then tick it. Tick every partner that takes part.",
    )
    lead_partner = forms.ModelChoiceField(
        label="Lead partner",
        queryset=Partner.objects.filter(active=True),
        required=False,
        empty_label="- The first partner ticked -",
        help_text="The partner that leads on its side: one of the partners ticked above.",
    )
    authority = forms.ChoiceField(
        label="Legal authority",
        choices=[("", "- Select -"), *LegalAuthority.choices],
        required=False,
    )
    authority_text = forms.CharField(label="Statute (when the authority is “Other”)", max_length=200, required=False)
    phase = forms.ChoiceField(
        label="Phase",
        choices=[("", "- Select -"), *SystemPhase.choices],
        required=False,
        help_text="The phase of the weapon system's life the agreement covers.",
    )
    amendment_type = forms.ChoiceField(
        label="Amendment type",
        choices=[("", "- Select -"), *AmendmentType.choices],
        required=False,
    )
    new_expiration_date = forms.DateField(
        label="New expiration date (extensions)",
        required=False,
        widget=DateInput(),
        help_text="The parent's expiration date once the extension is in force. " + DATE_HINT,
    )
    title = forms.CharField(label="Title", max_length=300)
    short_title = forms.CharField(
        label="Short title",
        max_length=80,
        required=False,
        help_text="Used in lists, e.g. “HyFliTE PA”.",
    )
    effective_date = forms.DateField(
        label="Effective date",
        required=False,
        widget=DateInput(),
        help_text="When the agreement takes effect, if known. " + DATE_HINT,
    )
    expiration_date = forms.DateField(
        label="Expiration date",
        required=False,
        widget=DateInput(),
        help_text="After the effective date (a project arrangement: no later than its master's). " + DATE_HINT,
    )
    releasable_to_partners = forms.BooleanField(
        label="Releasable to partners",
        required=False,
        help_text="Partner liaisons of participating nations may see it.",
    )
    internal_notes = forms.CharField(
        label="US-only internal notes", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, parents=None, parent_kinds=None, parent_lookup=None, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        if parents is not None:
            self.fields["parent"].queryset = parents
        self.fields["parent"].lookup_queryset = parent_lookup
        self.fields["parent"].widget = ParentSelect(kinds_by_pk=parent_kinds or {}, attrs={"class": "usa-select"})
        self.fields["parent"].widget.choices = self.fields["parent"].choices

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        # Fields of other kinds are ignored (the form hides them; a stale value must not count).
        for name, kinds in KIND_FIELDS.items():
            if kind and kind not in kinds:
                data[name] = None if name in ("parent", "new_expiration_date") else ""
                self.errors.pop(name, None)
        self._agreement_errors(data)
        return data

    def _agreement_errors(self, data) -> None:
        """The whole-agreement validation the service applies (``agreement_violations``), run on
        what was entered, so its errors show together with the form's, all at once."""
        if not data.get("kind") or self.organization is None:
            return
        provisional = Agreement(
            kind=data["kind"],
            title=data.get("title") or "provisional",
            parent=data.get("parent"),
            phase=data.get("phase") or "",
            lead_organization=self.organization,
            authority=data.get("authority") or "",
            authority_text=data.get("authority_text") or "",
            effective_date=data.get("effective_date"),
            expiration_date=data.get("expiration_date"),
            amendment_type=data.get("amendment_type") or "",
            new_expiration_date=data.get("new_expiration_date"),
        )
        partners = list(data.get("partners") or [])
        if data["kind"] == AgreementKind.SECTION_65_LOAN and not provisional.authority:
            provisional.authority = LegalAuthority.AECA_65
        if data["kind"] == AgreementKind.AMENDMENT and provisional.parent is not None:
            provisional.authority = provisional.authority or provisional.parent.authority
            provisional.authority_text = provisional.authority_text or provisional.parent.authority_text
            if not partners and "partners" not in self.errors:
                partners = [p.partner for p in provisional.parent.participants.select_related("partner")]
        violations = agreement_violations(
            provisional, partners=partners, lead_partner=data.get("lead_partner"), check_parent_state=True
        )
        for name, messages in violations.items():
            target = name if name in self.fields else None
            if target and target in self.errors:
                continue
            for message in messages:
                self.add_error(target, message)


class AgreementEditForm(UswdsFormMixin, forms.ModelForm):
    """The record's editable fields (the service decides which may change in this state)."""

    class Meta:
        model = Agreement
        fields = [
            "title",
            "short_title",
            "authority",
            "authority_text",
            "effective_date",
            "expiration_date",
            "fixed_entry_into_force_date",
            "marking",
            "releasable_to_partners",
            "internal_notes",
        ]
        widgets = {
            "effective_date": DateInput(),
            "expiration_date": DateInput(),
            "fixed_entry_into_force_date": DateInput(),
            "internal_notes": forms.Textarea(attrs={"rows": 3}),
        }


class SsoiForm(UswdsFormMixin, forms.ModelForm):
    """Every SSOI field; the template groups them by section. Drafts may be incomplete."""

    class Meta:
        model = SSOI
        fields = [f for f in SSOI_FIELDS]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in SSOI_FIELDS
            if SSOI._meta.get_field(name).get_internal_type() == "TextField"
        }


class ContributionForm(UswdsFormMixin, forms.Form):
    """A participant's contribution (the model validates amounts and in-kind valuation)."""

    participant = forms.ChoiceField(label="Participant")
    kind = forms.ChoiceField(label="Kind", choices=ContributionKind.choices)
    description = forms.CharField(label="Description", max_length=300)
    valuation_basis = forms.CharField(
        label="Valuation basis", max_length=300, required=False, help_text="How an in-kind contribution is valued."
    )
    amount_usd = forms.DecimalField(label="Amount (USD)", max_digits=14, decimal_places=2)
    fiscal_year = forms.IntegerField(label="Fiscal year", required=False)

    def __init__(self, *args, participants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = [("us", "United States")] + [(p.pk, p.partner.name) for p in participants]


class ParticipantAddForm(UswdsFormMixin, forms.Form):
    partner = forms.ModelChoiceField(label="Partner to add", queryset=Partner.objects.filter(active=True))


class ParticipantUpdateForm(UswdsFormMixin, forms.Form):
    """A participant's role and the signatory expected to sign for it."""

    role = forms.ChoiceField(label="Role", choices=ParticipantRole.choices)
    signatory_name = forms.CharField(label="Signatory", max_length=200, required=False)
    signatory_title = forms.CharField(label="Signatory's title", max_length=200, required=False)


class LoanItemForm(UswdsFormMixin, forms.ModelForm):
    class Meta:
        model = LoanItem
        fields = ["item", "quantity", "unit_value_usd", "consumable", "return_by"]
        labels = {"unit_value_usd": "Unit value (USD)"}
        widgets = {"return_by": DateInput()}


class DocumentUploadForm(UswdsFormMixin, forms.Form):
    """A new document, or a new version of one kind."""

    kind = forms.ChoiceField(label="Kind of document", choices=[("", "- Select -"), *DocumentKind.choices])
    file = forms.FileField(label="File")
    title = forms.CharField(label="Title", max_length=300, required=False, help_text="Defaults to the file name.")
    marking = forms.ChoiceField(label="Marking", choices=Marking.choices, initial=Marking.CUI)
    releasable_to_partners = forms.BooleanField(label="Releasable to partners", required=False)


class DocumentUpdateForm(UswdsFormMixin, forms.Form):
    marking = forms.ChoiceField(label="Marking", choices=Marking.choices)
    releasable_to_partners = forms.BooleanField(label="Releasable to partners", required=False)


class DdlDecisionForm(UswdsFormMixin, forms.Form):
    """A disclosure office's DDL / TS&FD decision, with the letter."""

    status = forms.ChoiceField(
        label="Decision",
        choices=[("", "- Select -"), (DdlStatus.APPROVED, "Approved"), (DdlStatus.DENIED, "Not approved")],
    )
    decision_date = forms.DateField(label="Date of the decision", widget=DateInput())
    file = forms.FileField(
        label="Delegation of Disclosure Authority Letter",
        required=False,
        help_text="Needed to approve, unless a DDL document is attached already (the latest is used).",
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the DDL is not approved.",
    )
