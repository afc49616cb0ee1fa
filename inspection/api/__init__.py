"""The JSON API under ``/api/v1``, described at ``/schema/openapi.json``."""

from __future__ import annotations

from inspection.api import (
    auth,
    corrective,
    duty,
    field,
    inspections,
    public,
    rosters,
    scores,
    whitelist,
)

ROUTES = [*auth.ROUTES, *rosters.ROUTES, *inspections.ROUTES, *scores.ROUTES, *public.ROUTES,
          *duty.ROUTES, *field.ROUTES, *corrective.ROUTES, *whitelist.ROUTES]
