"""Browser forms of the workflow pages: a lifecycle action's comment or signature, a coordinating
office's position, the coordinating offices, the congressional notice and a reporting obligation.
Like every browser form they parse and present input; the services check the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from agreements.forms import DateInput, UswdsFormMixin
from partners.models import CoordinatingOffice

from .models import PositionStatus


class TransitionForm(UswdsFormMixin, forms.Form):
    """The comment that goes with a lifecycle action (required by some: the service says which)."""

    comment = forms.CharField(label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    state = forms.CharField(widget=forms.HiddenInput, required=False)


class SignatureForm(UswdsFormMixin, forms.Form):
    """One party's signature, recorded through ``record_signature``."""

    participant = forms.ChoiceField(label="Party")
    signature_date = forms.DateField(label="Date of signature", widget=DateInput())
    signatory_name = forms.CharField(label="Signatory name", max_length=200)
    signatory_title = forms.CharField(label="Signatory title", max_length=200, required=False)
    state = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, agreement=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices, expected = [], []
        if agreement is not None:
            if not agreement.us_signature_date:
                choices.append(("us", "United States"))
                expected.append((agreement.us_signatory_name, agreement.us_signatory_title))
            for p in agreement.participants.all():
                if not p.signature_date:
                    choices.append((str(p.pk), p.partner.name))
                    expected.append((p.signatory_name, p.signatory_title))
        self.fields["participant"].choices = choices
        self.fields["signature_date"].initial = timezone.localdate()
        if expected:  # the signatory expected for the first party offered
            self.fields["signatory_name"].initial, self.fields["signatory_title"].initial = expected[0]


class PositionForm(UswdsFormMixin, forms.Form):
    """A coordinating office's position."""

    status = forms.ChoiceField(
        label="Position",
        widget=forms.RadioSelect,
        choices=[
            (PositionStatus.CONCUR, "Concur"),
            (PositionStatus.NON_CONCUR, "Non-concur"),
            (PositionStatus.COMMENT, "Comment (without a position yet)"),
        ],
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required for a non-concurrence or a comment.",
    )


class CongressionalNoticeForm(UswdsFormMixin, forms.Form):
    """The date Congress was notified (2350a agreements with other friendly partners)."""

    notice_date = forms.DateField(label="Date Congress was notified", widget=DateInput())


class CoordinationOfficesForm(UswdsFormMixin, forms.Form):
    """The coordinating offices of the open round."""

    offices = forms.ModelMultipleChoiceField(
        label="Coordinating offices",
        queryset=CoordinatingOffice.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )


class ObligationCompleteForm(UswdsFormMixin, forms.Form):
    """A reporting obligation marked complete."""

    completed_date = forms.DateField(label="Completed on", widget=DateInput(), initial=dt.date.today)
    notes = forms.CharField(label="Notes", required=False, max_length=1000)
