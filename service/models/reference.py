"""Reference data: components, strategic goals and posts."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import ArchiveMixin, Base, RecordMixin, uuid7
from service.schemas.vocab import PostType, in_list


class Component(RecordMixin, Base):
    __tablename__ = "components"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    successor_code: Mapped[str | None] = mapped_column(ForeignKey("components.code"))


class StrategicGoal(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "strategic_goals"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)


class Post(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(in_list("post_type", PostType), name="post_type"),
        Index("ix_posts_country_id", "country", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    post_type: Mapped[str] = mapped_column(String(20), nullable=False)
