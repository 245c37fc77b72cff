from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from marketplace import sme, wording
from marketplace.models import MemberRole, NotificationPreference, Organisation, User, normalise_email


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean_username(self):
        # Sign-up stores addresses in lower case; ``SME@Example.com`` must log in as ``sme@example.com``
        # (and count against the same log-in lockout, which keys on this cleaned value).
        return normalise_email(self.cleaned_data.get("username"))


class RecipientLanguagePasswordResetForm(PasswordResetForm):
    """The reset email speaks the account holder's language, not that of whoever typed the address."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        user = context.get("user")
        with wording.in_language_of(user):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    notification_emails = forms.ChoiceField(
        label=_("Notification emails"), choices=NotificationPreference.choices,
        initial=NotificationPreference.INSTANT, required=False,
        help_text=_("New listings matching your needs and other notifications are always on your notifications "
                    "page; choose how we also email them."),
    )

    def clean_notification_emails(self):
        return self.cleaned_data.get("notification_emails") or None  # left out: keep the current choice


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "kind", "province", "address", "website", "credit_code", "registration_number",
                  "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class OrganisationEditForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "kind", "province", "address", "website", "credit_code", "registration_number",
                  "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def _clean_credit_code(form):
    from marketplace import uscc

    code = uscc.normalise(form.cleaned_data.get("credit_code", ""))
    message = uscc.problem(code) if code else None
    if message:
        raise forms.ValidationError(message)
    return code


for _form in (OrganisationForm, OrganisationEditForm):
    # Room for the spaces and dashes people copy from a licence; the code is normalised, then checked.
    _form.base_fields["credit_code"] = forms.CharField(
        label=Organisation._meta.get_field("credit_code").verbose_name, max_length=40, required=False,
        help_text=Organisation._meta.get_field("credit_code").help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}),
    )
    _form.clean_credit_code = _clean_credit_code


class VerificationDocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
        help_text=_("A PDF, PNG or JPEG file, e.g. the business licence or registration certificate."),
    )
    description = forms.CharField(label=_("What it is"), max_length=200, required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the organisation so it can correct its details."),
    )


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


def _industry_choices():
    return [(code, f"{code} · {industry.name}") for code, industry in sme.industries().items()]


class SMEProfileForm(forms.Form):
    industry = forms.ChoiceField(label=_("Industry"), choices=())
    employees = forms.IntegerField(label=_("Employees"), min_value=0, required=False)
    annual_revenue_cny = forms.IntegerField(
        label=_("Annual operating revenue (yuan)"), min_value=0, required=False
    )
    total_assets_cny = forms.IntegerField(label=_("Total assets (yuan)"), min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = _industry_choices()

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("industry")
        if code in sme.industries():
            needed = sme.industries()[code].indicators
            fields = {"employees": "employees", "revenue_cny": "annual_revenue_cny", "assets_cny": "total_assets_cny"}
            for indicator in needed:
                field = fields[indicator]
                if cleaned.get(field) is None and field not in self.errors:
                    self.add_error(field, _("Required for this industry."))
        return cleaned

