"""Tables of the fraud feature: decisions (one per transaction ID), alerts and cases.

``fraud_decisions.txn_id`` is the primary key: it is what makes scoring idempotent across
processes and restarts (a second insert of the same ID fails and the stored decision wins).
Records are stored as canonical JSON in ``data`` next to the columns queries filter on.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from dualtrack.adapters.tables import metadata

fraud_decisions = Table(
    "fraud_decisions",
    metadata,
    Column("txn_id", String(64), primary_key=True),
    Column("version_id", String(36), nullable=False),
    Column("customer_ref", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("action", String(8), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("data", Text, nullable=False),
    # what rebuilds the online feature state after a restart (hk_payments_v1 decisions made
    # under a privacy policy; pseudonymised identifiers, time and amount), read in ledger
    # order (through each decision's ledger entry) when a process takes the scoring lease
    # or follows the holder; event_ts is the event's time, for inspection
    Column("event_ts", BigInteger, nullable=True),
    Column("state_event", Text, nullable=True),
    Index("ix_fraud_decisions_customer", "customer_ref", "decided_at"),
    Index("ix_fraud_decisions_decided_at", "decided_at"),
)

fraud_cases = Table(
    "fraud_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("customer_ref", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_fraud_cases_customer_status", "customer_ref", "status"),
    Index("ix_fraud_cases_status", "status"),
)

fraud_alerts = Table(
    "fraud_alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("txn_id", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_fraud_alerts_case", "case_id"),
    Index("ix_fraud_alerts_created_at", "created_at"),
)

#: Which process serves fraud scoring on this database (one row per name, ``fraud.score``):
#: the online feature state lives in that process, so a second one must not score beside
#: it. ``heartbeat_at`` is Unix seconds; a holder that stops beating for the lease's TTL
#: (a crash) can be replaced.
fraud_scoring_owner = Table(
    "fraud_scoring_owner",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

#: The last saved fraud feature state (one row per name, ``fraud.score``): kept in the
#: database, not on the scoring machine, so that whichever process takes the lease next,
#: on any machine, starts from it. ``position`` and ``ledger_hash`` say which ledger entry
#: the state is exact at; ``body`` is the signed header (see ``fraud.wiring``) and the state
#: itself is in ``fraud_state_snapshot_parts``.
fraud_state_snapshots = Table(
    "fraud_state_snapshots",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("ledger_hash", String(64), nullable=False),
    Column("saved_at", String(32), nullable=False),
    Column("saved_by", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

#: The saved state's compressed parts, in order (``part`` from 0), each a slice of whole
#: keys, so that no one value grows with the whole state (PostgreSQL's limit is 1 GB).
#: ``position`` ties them to the header row they were saved with.
fraud_state_snapshot_parts = Table(
    "fraud_state_snapshot_parts",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

#: The high-risk payee watch list (:mod:`dualtrack.fraud.watchlist`): one row per payee ever
#: listed; a payee taken off keeps its row with ``listed`` false. ``revision`` is the list
#: revision of the row's last change, so a scoring process reads only what changed.
fraud_watchlist = Table(
    "fraud_watchlist",
    metadata,
    Column("payee_id", String(128), primary_key=True),
    Column("listed", Boolean, nullable=False),
    # what scoring does with a payment to the payee: "review" or "block"
    Column("action", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("listed_by", String(64), nullable=False),
    Column("listed_at", String(40), nullable=False),
    Column("unlisted_by", String(64), nullable=True),
    Column("unlisted_at", String(40), nullable=True),
    Column("unlisted_reason", Text, nullable=True),
    # taken off by a sync (the source dropped it) rather than by a person
    Column("unlisted_in_sync", Boolean, nullable=False),
    Column("revision", BigInteger, nullable=False),
    # the payee's keyed pseudonym (migration fraud_0007): finds a decision's listing
    Column("payee_ref", String(80), nullable=True),
    Index("ix_fraud_watchlist_revision", "revision"),
    Index("ix_fraud_watchlist_payee_ref", "payee_ref"),
    Index("ix_fraud_watchlist_listed_revision", "listed", "revision"),
    Index("ix_fraud_watchlist_source_listed", "source", "listed"),
)

#: Each source's listings behind the watch list (migration ``fraud_0007``): a payee two
#: sources list has two rows; its ``fraud_watchlist`` row carries the strictest listing's
#: action. A payee taken off has none.
fraud_watchlist_listings = Table(
    "fraud_watchlist_listings",
    metadata,
    Column("payee_id", String(128), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("action", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("listed_by", String(64), nullable=False),
    Column("listed_at", String(40), nullable=False),
    # the date (YYYY-MM-DD, Hong Kong) by which someone must review the listing, if any
    Column("review_by", String(10), nullable=True),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", String(40), nullable=True),
    Column("review_note", Text, nullable=True),
    Index("ix_fraud_watchlist_listings_source", "source"),
    Index("ix_fraud_watchlist_listings_review_by", "review_by"),
)

#: The last sync of each source that publishes its whole list (a Scameter extract): when,
#: by whom and at which list revision it was refreshed.
fraud_watchlist_sources = Table(
    "fraud_watchlist_sources",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("synced_at", String(40), nullable=False),
    Column("synced_by", String(64), nullable=False),
    Column("revision", BigInteger, nullable=False),
)

#: The watch list's revision (one row, ``fraud.watchlist``), raised by every change in the
#: change's transaction; its row lock makes writers of the list wait for each other.
fraud_watchlist_revision = Table(
    "fraud_watchlist_revision",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

#: What the customer did after a decision held their payment for review (the warning of
#: the HKMA's Suspicious Account Alert): proceeded or cancelled, once per decision.
fraud_customer_responses = Table(
    "fraud_customer_responses",
    metadata,
    Column("txn_id", String(64), primary_key=True),
    Column("response", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)
