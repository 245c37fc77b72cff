# One account per email address whatever its case. Stored addresses are lower-cased first; two accounts
# whose addresses differ only in case stop the migration with their ids (an operator merges them).

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def lower_case_addresses(apps, schema_editor):
    User = apps.get_model("marketplace", "User")
    clashes = (User.objects.annotate(address=Lower("email")).values("address")
               .annotate(n=Count("id")).filter(n__gt=1).values_list("address", flat=True))
    if clashes:
        ids = sorted(User.objects.annotate(address=Lower("email")).filter(address__in=list(clashes))
                     .values_list("id", flat=True))
        raise RuntimeError(f"Accounts {ids} have email addresses that differ only in case: merge or rename "
                           "them, then migrate again.")
    for user in User.objects.exclude(email=Lower("email")).only("id", "email"):
        User.objects.filter(pk=user.pk).update(email=user.email.lower())


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('marketplace', '0003_verification_evidence'),
    ]

    operations = [
        migrations.RunPython(lower_case_addresses, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), name='user_email_unique_ignoring_case', violation_error_message='An account with this email address already exists.'),
        ),
    ]
