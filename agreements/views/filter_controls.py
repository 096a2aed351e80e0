"""The inputs of a list page's filter panel, read from its FilterSet's form: one control per
filter the page names, of the kind its form field asks for (text, date, a few checkboxes, or a
select), with the values of the current query. A filter added to the FilterSet and named in its
page list appears on the page without touching the template."""

from __future__ import annotations

from django import forms

# A choice filter with at most this many choices is shown as checkboxes; more, as a select.
CHECKBOXES_MAX = 8


def _choices(field: forms.Field) -> list[tuple[str, str]]:
    """The field's choices as (value, label), without the empty choice or inactive reference rows."""
    choices = []
    for value, label in field.choices:
        instance = getattr(value, "instance", None)
        if str(value) == "" or (instance is not None and getattr(instance, "active", True) is False):
            continue
        choices.append((str(value), getattr(instance, "name", None) or str(label)))
    return choices


def filter_controls(filterset, names: tuple[str, ...]) -> list[dict]:
    """One dict per control: ``name``, ``id``, ``label``, ``type`` (text, date, checkboxes,
    select), ``value`` or ``choices`` and ``selected``."""
    data = filterset.data or {}
    controls = []
    for name in names:
        field = filterset.form.fields.get(name)
        if field is None:  # not a filter this user may use
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")]
        control = {"name": name, "id": f"filter-{name}", "label": field.label or name.replace("_", " ").capitalize()}
        if isinstance(field, forms.DateField):
            control.update(type="date", value=data.get(name, ""))
        elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            choices = _choices(field)
            control.update(
                type="checkboxes" if len(choices) <= CHECKBOXES_MAX else "select",
                choices=choices,
                selected={str(v) for v in values if v},
            )
        else:
            control.update(type="text", value=data.get(name, ""))
        controls.append(control)
    return controls
