"""Browser forms of the partners app."""

from __future__ import annotations

from django import forms

from partners.services import TOKEN_NAME_MAX


class ApiTokenCreateForm(forms.Form):
    """Name a new personal API token."""

    name = forms.CharField(
        label="Token name",
        max_length=TOKEN_NAME_MAX,
        help_text="What the token is for, e.g. the script that will use it.",
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off"}),
    )
