"""A read-only FHIR R4 interface to each patient's program, sessions and check-ins.

``registry`` names every resource type it serves (its mapper and search parameters);
``views`` answers the REST interactions over it. See docs/fhir.md.
"""
