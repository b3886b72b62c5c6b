"""Workflow-store tables of the public portal (阳光公开 / 自助查询 / 投诉举报).

They live on the store's `Base` so that one Alembic history covers them (migration 0100_portal).
Nothing here holds a clear-text ID number: published rows carry masked values for display and keyed
hashes (HMAC, see `keys.py`) for self-query; complaints keep only the hash of their tracking code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qingfeng.store.models import Base, utcnow

# Version states: draft → approved (by another user) → published → withdrawn | superseded.
VERSION_STATES = ("draft", "approved", "published", "withdrawn", "superseded")


class PortalDivision(Base):
    """A village or township the portal offers in its menus (name + 12-digit division code)."""

    __tablename__ = "portal_divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20), default="village")  # township | village


class Publication(Base):
    """One disclosure (e.g. a township's old-age subsidy roll); its content lives in versions."""

    __tablename__ = "portal_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # see publishing.KINDS
    title: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[PublicationVersion]] = relationship(
        back_populates="publication", order_by="PublicationVersion.version_no"
    )


class PublicationVersion(Base):
    """One version of a publication: what to copy from the lake, who approved it, its state."""

    __tablename__ = "portal_publication_versions"
    __table_args__ = (
        UniqueConstraint("publication_id", "version_no", name="uq_portal_version_no"),
        Index("ix_portal_versions_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("portal_publications.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(200))
    # Row filters applied to the lake dataset (division prefix, period/date range).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Free text: a policy's body and eligibility rules, or a note above a table.
    body: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    # Self-query: enabled or not, and which verification answer the querent must give.
    self_query: Mapped[bool] = mapped_column(Boolean, default=False)
    verification: Mapped[str | None] = mapped_column(String(30))  # e.g. account_last4
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    # The kind's columns this version shows, by key, in the kind's order; None: all of them.
    shown_columns: Mapped[list[str] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    publication: Mapped[Publication] = relationship(back_populates="versions")


class PublishedRow(Base):
    """A masked row copied from the lake when a version was published (the public never reads
    the lake). `person_hash`/`verify_hash` are keyed hashes used only by self-query."""

    __tablename__ = "portal_published_rows"
    __table_args__ = (
        Index("ix_portal_rows_version_row", "version_id", "row_no"),
        Index("ix_portal_rows_person", "version_id", "person_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("portal_publication_versions.id"))
    row_no: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str | None] = mapped_column(String(12))
    person_hash: Mapped[str | None] = mapped_column(String(64))
    verify_hash: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Complaint(Base):
    """A citizen's complaint (投诉举报). Untrusted text: always rendered escaped."""

    __tablename__ = "portal_complaints"
    __table_args__ = (Index("ix_portal_complaints_month_cat", "created_month", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_no: Mapped[str] = mapped_column(String(32), unique=True)
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the code
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    complainant_name: Mapped[str | None] = mapped_column(String(50))
    complainant_phone: Mapped[str | None] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    category: Mapped[str] = mapped_column(String(30))
    target_name: Mapped[str] = mapped_column(String(100), default="")
    target_org: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="received")  # received | replied
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), index=True)
    # Staff write the public reply here; it is published when the warning is disposed.
    reply_draft: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, for dialect-free trends

    attachments: Mapped[list[ComplaintAttachment]] = relationship(
        back_populates="complaint", order_by="ComplaintAttachment.id"
    )
    replies: Mapped[list[ComplaintReply]] = relationship(
        back_populates="complaint", order_by="ComplaintReply.id"
    )


class ComplaintAttachment(Base):
    """Metadata of a file attached to a complaint; the bytes are <attachments>/<sha256>."""

    __tablename__ = "portal_complaint_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("portal_complaints.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")


class ComplaintReply(Base):
    """A reply shown on the tracking page, published when the complaint's warning was disposed."""

    __tablename__ = "portal_complaint_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("portal_complaints.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    warning_status: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="replies")


class SelfQueryLog(Base):
    """One self-query: keyed hash of the ID number only (never the number), outcome, time."""

    __tablename__ = "portal_self_query_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("portal_publications.id"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_hash: Mapped[str] = mapped_column(String(64))
    matched_rows: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # found | not_found | refused
    queried_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UsedChallenge(Base):
    """Nonces of challenges already answered: a unique key makes each one single-use."""

    __tablename__ = "portal_used_challenges"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


# What a complaint can be linked to in the back office: a person by ID number, an
# organisation by unified social credit code, or another warning of the closed loop.
LINK_TYPES = ("person", "organisation", "warning")


class ComplaintLink(Base):
    """A complaint linked by staff to a person, an organisation or another warning."""

    __tablename__ = "portal_complaint_links"
    __table_args__ = (
        UniqueConstraint(
            "complaint_id", "target_type", "target_id", name="uq_portal_complaint_link"
        ),
        Index("ix_portal_complaint_links_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("portal_complaints.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(20))  # LINK_TYPES
    # ID number, credit code, or the warning id as text.
    target_id: Mapped[str] = mapped_column(String(32))
    # Set for warning links only, so the database keeps the reference whole.
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    target_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
