"""The REST API under /api/v1/: thin views over the domain code.

Every view limits its rows with ``Model.objects.visible_to(request.user)`` in
``get_queryset``, so another clinic's (or another patient's) object answers 404.
Staff may do what their role's Django permissions allow; patients only what a
view opens to them (``patient_actions``).
"""
