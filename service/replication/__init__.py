"""Read replicas, the consistency token and failover: routing reads to fresh-enough standbys."""

from service.replication.failures import node_lost, retry_on_primary
from service.replication.lsn import format_lsn, parse_lsn
from service.replication.queries import COMMIT_POSITION, commit_position, engine_token, session_token
from service.replication.report import NodeReport
from service.replication.router import Node, ReplicaSet
from service.replication.settings import ReplicationSettings, split_replica_urls
from service.replication.token import PRIMARY_ONLY_TOKEN, InvalidToken, decode_token, encode_token
from service.replication.urls import engine_url, parse_target

__all__ = [
    "COMMIT_POSITION",
    "PRIMARY_ONLY_TOKEN",
    "InvalidToken",
    "Node",
    "NodeReport",
    "ReplicaSet",
    "ReplicationSettings",
    "commit_position",
    "decode_token",
    "encode_token",
    "engine_token",
    "engine_url",
    "format_lsn",
    "node_lost",
    "parse_lsn",
    "parse_target",
    "retry_on_primary",
    "session_token",
    "split_replica_urls",
]
