"""The CapabilityStatement at ``metadata``, written from the registry."""

from __future__ import annotations

from .registry import REGISTRY
from .search import COMMON

# When what this server serves last changed: bump with the registry.
PUBLISHED = "2026-12-05"
PARAM_TYPES = {
    "_id": "token",
    "_lastUpdated": "date",
    "patient": "reference",
    "subject": "reference",
    "date": "date",
    "category": "token",
    "questionnaire": "reference",
}
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"


def capability_statement(base_url: str) -> dict:
    resources = []
    for name, resource_type in REGISTRY.items():
        params = {**COMMON, **resource_type.search}
        resource = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": param, "type": PARAM_TYPES[param], "documentation": documentation}
                for param, documentation in params.items()
            ],
        }
        if name == "Patient":
            resource["operation"] = [{"name": "everything", "definition": EVERYTHING}]
        resources.append(resource)
    resources.append({"type": "CodeSystem", "interaction": [{"code": "read"}]})
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "Flexion",
        "kind": "instance",
        "software": {"name": "Flexion"},
        "implementation": {
            "description": "Flexion home exercise programs (read-only)",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Authenticate with a clinic's API token: "
                    "`Authorization: Bearer flx_…`. Searches are paged with _count "
                    "(at most 200) and _offset; follow the Bundle's next link."
                ),
                "security": {
                    "description": "Bearer API tokens issued by a clinic admin in Flexion's admin."
                },
                "resource": resources,
            }
        ],
    }
