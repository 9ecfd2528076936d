"""Coded lists from the practice reference (DfE CIN census, ONS 2021)."""

from django.db import models


class ReferralSource(models.TextChoices):
    INDIVIDUAL_FAMILY = "1A", "1A Individual: family member, relative or carer"
    INDIVIDUAL_ACQUAINTANCE = "1B", "1B Individual: acquaintance"
    INDIVIDUAL_SELF = "1C", "1C Individual: self"
    INDIVIDUAL_OTHER = "1D", "1D Individual: other"
    SCHOOLS = "2A", "2A Schools"
    EDUCATION_SERVICES = "2B", "2B Education services"
    HEALTH_GP = "3A", "3A Health: GP"
    HEALTH_VISITOR = "3B", "3B Health: health visitor"
    HEALTH_SCHOOL_NURSE = "3C", "3C Health: school nurse"
    HEALTH_OTHER_PRIMARY = "3D", "3D Health: other primary health services"
    HEALTH_AE = "3E", "3E Health: A&E"
    HEALTH_OTHER = "3F", "3F Health: other"
    HOUSING = "4", "4 Housing"
    LA_SOCIAL_CARE = "5A", "5A LA services: social care"
    LA_OTHER_INTERNAL = "5B", "5B LA services: other internal"
    LA_EXTERNAL = "5C", "5C LA services: external"
    LA_EARLY_HELP = "5D", "5D LA services: early help"
    POLICE = "6", "6 Police"
    OTHER_LEGAL = "7", "7 Other legal agency"
    OTHER = "8", "8 Other"
    ANONYMOUS = "9", "9 Anonymous"
    UNKNOWN = "10", "10 Unknown"


class Gender(models.TextChoices):
    GIRL = "girl", "Girl"
    BOY = "boy", "Boy"
    NON_BINARY = "non_binary", "Non-binary"
    NOT_KNOWN = "not_known", "Not known"


class Ethnicity(models.TextChoices):
    # ONS 2021 census ethnic groups (England and Wales).
    ASIAN_BANGLADESHI = "asian_bangladeshi", "Asian: Bangladeshi"
    ASIAN_CHINESE = "asian_chinese", "Asian: Chinese"
    ASIAN_INDIAN = "asian_indian", "Asian: Indian"
    ASIAN_PAKISTANI = "asian_pakistani", "Asian: Pakistani"
    ASIAN_OTHER = "asian_other", "Asian: any other Asian background"
    BLACK_AFRICAN = "black_african", "Black: African"
    BLACK_CARIBBEAN = "black_caribbean", "Black: Caribbean"
    BLACK_OTHER = "black_other", "Black: any other Black background"
    MIXED_WHITE_ASIAN = "mixed_white_asian", "Mixed: White and Asian"
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african", "Mixed: White and Black African"
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean", "Mixed: White and Black Caribbean"
    MIXED_OTHER = "mixed_other", "Mixed: any other mixed background"
    WHITE_BRITISH = "white_british", "White: English, Welsh, Scottish, Northern Irish or British"
    WHITE_IRISH = "white_irish", "White: Irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", "White: Gypsy or Irish Traveller"
    WHITE_ROMA = "white_roma", "White: Roma"
    WHITE_OTHER = "white_other", "White: any other White background"
    OTHER_ARAB = "other_arab", "Other: Arab"
    OTHER_ANY = "other_any", "Other: any other ethnic group"
    NOT_KNOWN = "not_known", "Not known"
