"""Reference data: DHS components (with retired names and successors) and the QHSR 2023 missions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name, successor) - a successor marks a retired name and where its work went.
COMPONENTS = [
    ("CBP", "U.S. Customs and Border Protection", None),
    ("ICE", "U.S. Immigration and Customs Enforcement", None),
    ("USCG", "U.S. Coast Guard", None),
    ("TSA", "Transportation Security Administration", None),
    ("USCIS", "U.S. Citizenship and Immigration Services", None),
    ("USSS", "U.S. Secret Service", None),
    ("FEMA", "Federal Emergency Management Agency", None),
    ("FLETC", "Federal Law Enforcement Training Centers", None),
    ("S&T", "Science and Technology Directorate", None),
    ("I&A", "Office of Intelligence and Analysis", None),
    ("CISA", "Cybersecurity and Infrastructure Security Agency", None),
    ("CWMD", "Countering Weapons of Mass Destruction Office", None),
    ("OBIM", "Office of Biometric Identity Management", None),
    ("OPS", "Office of Homeland Security Situational Awareness (Operations)", None),
    ("PLCY", "Office of Strategy, Policy, and Plans", None),
    ("OIA", "Office of International Affairs (within PLCY)", None),
    ("MGMT", "Management Directorate", None),
    ("OGC", "Office of the General Counsel", None),
    ("CRCL", "Office for Civil Rights and Civil Liberties", None),
    ("PRIV", "Privacy Office", None),
    ("OHS", "Office of Health Security", None),
    ("NPPD", "National Protection and Programs Directorate (retired 2018)", "CISA"),
    ("US-VISIT", "US-VISIT Program (retired 2013)", "OBIM"),
    ("DNDO", "Domestic Nuclear Detection Office (retired 2017)", "CWMD"),
    ("OHA", "Office of Health Affairs (retired 2017)", "CWMD"),
]

GOALS = [
    ("QHSR23-M1", "Counter Terrorism and Prevent Threats"),
    ("QHSR23-M2", "Secure and Manage Our Borders"),
    ("QHSR23-M3", "Administer the Nation's Immigration System"),
    ("QHSR23-M4", "Secure Cyberspace and Critical Infrastructure"),
    ("QHSR23-M5", "Build a Resilient Nation and Respond to Incidents"),
    ("QHSR23-M6", "Combat Crimes of Exploitation and Protect Victims"),
]

components = sa.table(
    "components",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("successor_code", sa.String),
    sa.column("created_by", sa.String),
    sa.column("updated_by", sa.String),
)
goals = sa.table(
    "strategic_goals",
    sa.column("code", sa.String),
    sa.column("framework", sa.String),
    sa.column("title", sa.String),
    sa.column("created_by", sa.String),
    sa.column("updated_by", sa.String),
)


def upgrade() -> None:
    # Successors first, so the foreign key from a retired name always finds its target.
    ordered = sorted(COMPONENTS, key=lambda row: row[2] is not None)
    op.bulk_insert(
        components,
        [
            {
                "code": code,
                "name": name,
                "active": successor is None,
                "successor_code": successor,
                "created_by": "migration",
                "updated_by": "migration",
            }
            for code, name, successor in ordered
        ],
    )
    op.bulk_insert(
        goals,
        [
            {
                "code": code,
                "framework": "QHSR-2023",
                "title": title,
                "created_by": "migration",
                "updated_by": "migration",
            }
            for code, title in GOALS
        ],
    )


def downgrade() -> None:
    op.execute(goals.delete().where(goals.c.code.in_([code for code, _ in GOALS])))
    op.execute(components.delete().where(components.c.successor_code.is_not(None)))
    op.execute(components.delete().where(components.c.code.in_([c for c, _, _ in COMPONENTS])))
