"""The certificate API: requests, issuance, refusal, revocation, the seal log, verification."""

from ninja import Router

router = Router(tags=["certificates"])
