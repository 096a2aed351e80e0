"""The sign-in form: the DoD Notice and Consent Banner must be acknowledged before any
credential is even checked."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

CONSENT_LABEL = "I have read the notice above and consent to its terms."
CONSENT_REQUIRED = "Read the notice and tick the box to consent to its terms before signing in."


class ConsentForm(forms.Form):
    """The acknowledgement alone (certificate sign-in has no password)."""

    consent = forms.BooleanField(label=CONSENT_LABEL, error_messages={"required": CONSENT_REQUIRED})


class ConsentAuthenticationForm(AuthenticationForm):
    """Django's sign-in form plus the required acknowledgement of the consent banner."""

    consent = forms.BooleanField(label=CONSENT_LABEL, error_messages={"required": CONSENT_REQUIRED})

    def clean(self):
        if not self.cleaned_data.get("consent"):
            # Refused before the password is looked at: no attempt is counted, nobody signs in.
            return self.cleaned_data
        return super().clean()
