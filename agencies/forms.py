import re

from django import forms


class CodeForm(forms.Form):
    """One code from the user's authenticator app."""

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        # Apps show codes as "123 456"; accept what people copy.
        code = "".join(self.cleaned_data["otp_token"].split())
        if not re.fullmatch(r"\d{6,8}", code):
            raise forms.ValidationError("Enter the 6-digit code, digits only.")
        return code
