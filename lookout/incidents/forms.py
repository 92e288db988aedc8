"""The form the privacy officer records an incident with."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from lookout.access.roles import Role
from lookout.incidents import selectors
from lookout.incidents.models import Kind
from lookout.sharing.models import Partner

WHEN = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _when(label: str, help_text: str = "", required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=WHEN,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label="What was compromised", choices=Kind.choices)
    started_at = _when("Window starts (UTC)")
    ended_at = _when("Window ends (UTC)", "For a backup: when it was taken.")
    aware_at = _when(
        "Aware since (UTC)", "The 72 hours to notify the authority run from here.", False
    )
    staff_subject = forms.ChoiceField(label="Staff account", required=False)
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "—"), *Role.choices])
    partner = forms.ModelChoiceField(
        label="Partner", required=False, queryset=Partner.objects.order_by("name")
    )
    key_version = forms.TypedChoiceField(
        label="Master key version", required=False, coerce=int, empty_value=None
    )
    keystore_included = forms.BooleanField(
        label="The backup held the key store too", required=False
    )
    master_key_included = forms.BooleanField(label="The master key was taken too", required=False)
    host_compromised = forms.BooleanField(
        label="The running server was compromised in the window", required=False
    )
    measures = forms.CharField(
        label="Measures taken or proposed",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Quoted in every notice. Name nobody.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff_subject"].choices = [("", "—"), *selectors.staff_accounts()]  # type: ignore[attr-defined]
        self.fields["key_version"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((str(v), str(v)) for v in selectors.key_versions()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, aware = data.get("started_at"), data.get("ended_at"), data.get("aware_at")
        if start and end and end <= start:
            self.add_error("ended_at", "The window must end after it starts.")
        if start and aware and aware < start:
            self.add_error("aware_at", "The store cannot have been aware before the window began.")
        kind = data.get("kind")
        needs = {
            Kind.STAFF_ACCOUNT: ("staff_subject", "Choose the staff account."),
            Kind.ROLE: ("role", "Choose the role."),
            Kind.PARTNER: ("partner", "Choose the partner."),
            Kind.KEY_VERSION: ("key_version", "Choose the master key version."),
        }
        if kind in needs:
            name, message = needs[Kind(kind)]
            if data.get(name) in (None, ""):
                self.add_error(name, message)
        if data.get("staff_subject"):
            data["staff_subject"] = uuid.UUID(data["staff_subject"])
        return data
