"""Controlled vocabularies shared by the tables' CHECK constraints and the API schemas."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    reader = "reader"


class PostType(StrEnum):
    embassy = "embassy"
    consulate = "consulate"
    mission = "mission"
    port_of_entry = "port_of_entry"
    other = "other"


class ActivityType(StrEnum):
    law_enforcement_liaison = "law_enforcement_liaison"
    investigation = "investigation"
    cargo_prescreening = "cargo_prescreening"
    traveler_prescreening = "traveler_prescreening"
    aviation_security = "aviation_security"
    maritime_security = "maritime_security"
    critical_infrastructure = "critical_infrastructure"
    cybersecurity = "cybersecurity"
    training_technical_assistance = "training_technical_assistance"
    information_sharing = "information_sharing"
    immigration_services = "immigration_services"
    disaster_assistance = "disaster_assistance"
    research_cooperation = "research_cooperation"
    policy_dialogue = "policy_dialogue"
    other = "other"


class ActivityStatus(StrEnum):
    planned = "planned"
    active = "active"
    completed = "completed"
    suspended = "suspended"
    cancelled = "cancelled"


class PartnerType(StrEnum):
    law_enforcement = "law_enforcement"
    customs = "customs"
    immigration = "immigration"
    border = "border"
    aviation = "aviation"
    maritime = "maritime"
    ministry = "ministry"
    international_org = "international_org"
    private_sector = "private_sector"
    other = "other"


class Sensitivity(StrEnum):
    """A record's handling marking, and a principal's clearance: public < sbu < les."""

    public = "public"
    sbu = "sbu"
    les = "les"

    @property
    def rank(self) -> int:
        return SENSITIVITY_RANK[self]


SENSITIVITY_RANK = {Sensitivity.public: 0, Sensitivity.sbu: 1, Sensitivity.les: 2}


class PostingRole(StrEnum):
    dhs_attache = "dhs_attache"
    component_attache = "component_attache"
    liaison_officer = "liaison_officer"
    technical_advisor = "technical_advisor"
    program_officer = "program_officer"
    other = "other"


class EmploymentCategory(StrEnum):
    us_direct_hire = "us_direct_hire"
    locally_employed = "locally_employed"
    us_contractor = "us_contractor"
    tdy = "tdy"


class PostingStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    filled = "filled"
    vacant = "vacant"
    abolished = "abolished"


class Nsdd38Status(StrEnum):
    not_required = "not_required"
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    disapproved = "disapproved"
    withdrawn = "withdrawn"


class Concurrence(StrEnum):
    concur = "concur"
    non_concur = "non_concur"
    partial = "partial"
    unknown = "unknown"


class RecommendationStatus(StrEnum):
    open_unresolved = "open_unresolved"
    open_resolved = "open_resolved"
    closed_implemented = "closed_implemented"
    closed_not_implemented = "closed_not_implemented"


class ClearanceStatus(StrEnum):
    """A trip's electronic country clearance (eCC): the post's approval before TDY travellers arrive."""

    not_requested = "not_requested"
    requested = "requested"
    approved = "approved"
    denied = "denied"
    cancelled = "cancelled"
    not_required = "not_required"


class OverlapStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    deconflicted = "deconflicted"


# Postings may only be filled once the Chief of Mission has agreed (NSDD-38) or none is needed.
NSDD38_CLEARED = (Nsdd38Status.approved, Nsdd38Status.not_required)

# A clearance that is still to come: the trip_clearance deadline and the late_clearance filter.
CLEARANCE_PENDING = (ClearanceStatus.not_requested, ClearanceStatus.requested)
# Trips that will not happen (or not as planned): left out of the footprint and the country profile.
TRIP_OFF = (ClearanceStatus.cancelled, ClearanceStatus.denied)

# Live activities are the ones coordination views care about.
LIVE_ACTIVITY_STATUSES = (ActivityStatus.planned, ActivityStatus.active, ActivityStatus.suspended)


def in_list(column: str, values: type[StrEnum] | tuple[StrEnum, ...]) -> str:
    """SQL text for a CHECK constraint that keeps `column` inside a vocabulary."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"
