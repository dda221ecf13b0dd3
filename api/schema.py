from drf_spectacular import openapi

from .errors import ErrorSerializer


class AutoSchema(openapi.AutoSchema):
    """Document the error bodies too, so clients (and Schemathesis) can rely on their shape."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "429"]
        if self.method in ("POST", "PUT", "PATCH") or "{" not in self.path:
            codes.append("400")  # invalid input, or invalid filters of a list or report
        if self._is_list_view() or "{" in self.path:
            codes.append("404")  # an object not visible to the caller, or a page past the end
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        if self.method == "DELETE":
            codes.append("409")  # still used by other rows
        for code in codes:
            # Errors are JSON whatever was asked for (the report also speaks CSV).
            responses.setdefault(
                code,
                self._get_response_for_code(ErrorSerializer, code, ["application/json"]),
            )
        return responses
