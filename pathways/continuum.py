"""The continuum of sexual behaviours (Hackett 2010), as used by guards and referrals."""

from django.db import models


class ContinuumLevel(models.TextChoices):
    NORMAL = "normal", "Normal"
    INAPPROPRIATE = "inappropriate", "Inappropriate"
    PROBLEMATIC = "problematic", "Problematic"
    ABUSIVE = "abusive", "Abusive"
    VIOLENT = "violent", "Violent"


class ClosureReason(models.TextChoices):
    # DfE Children in Need census closure reasons (practice reference).
    RC1 = "RC1", "RC1 Adopted"
    RC2 = "RC2", "RC2 Died"
    RC3 = "RC3", "RC3 Child arrangements order"
    RC4 = "RC4", "RC4 Special guardianship order"
    RC5 = "RC5", "RC5 Transferred to another local authority"
    RC6 = "RC6", "RC6 Transferred to adult social care"
    RC7 = "RC7", "RC7 Services ceased for any other reason, including child no longer in need"
    RC8 = "RC8", "RC8 Closed after assessment, no further action"
    RC9 = "RC9", "RC9 Closed after assessment, referred to early help"
