"""The burden API: each community's inventories and its burden index."""

from ninja import Router

router = Router(tags=["burden"])
