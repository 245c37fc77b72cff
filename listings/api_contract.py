"""What the read API promises about its parameters and errors, in one place for code and schema.

- ``blank_parameter_errors``: a filter parameter that is given must have a value (``?legal_status=``
  is an error, not "no filter"); only ``q`` may be empty.
- ``page_size_errors``: ``page_size`` is a whole number from 1 to the maximum (``null``, ``0``,
  ``1000`` are errors, not silently replaced).
- ``ApiAutoSchema``: the OpenAPI schema documents the 400/404/429 answers with their body shape,
  and the bounds and patterns of the parameters (``minimum``, ``maximum``, ``maxLength``,
  ``pattern``) from the filters themselves.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# An IPC section, class, subclass or main group as ``listings.api.parse_ipc_prefix`` accepts it:
# H, H01, h01m, H01M10, H01M 10/00 (a subgroup such as H01M 10/052 is refused).
IPC_PREFIX_PATTERN = r"^ *[A-HYa-hy](?:[0-9]{2}(?:[A-Za-z](?: *[0-9]{1,4}(?: */ *0+)?)?)?)? *$"

MAY_BE_EMPTY = {"q"}


def blank_parameter_errors(query_params, filterset_class) -> dict[str, list[str]]:
    errors = {}
    for name in filterset_class.base_filters:
        if name in MAY_BE_EMPTY or name not in query_params:
            continue
        if any(not value.strip() for value in query_params.getlist(name)):
            errors[name] = [_("is empty: give a value or leave the parameter out.")]
    return errors


def page_size_errors(raw: str, maximum: int) -> list[str]:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:  # "²".isdigit() is true
        return [_("must be a whole number from 1 to %(maximum)s, not “%(value)s”.") % {"maximum": maximum,
                                                                                    "value": raw}]
    return []


# --- documented error bodies -------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, in the request's language."))


class ParameterErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy("The messages for each invalid parameter, by parameter name."),
    )


ERROR_RESPONSES = {
    "400": (ParameterErrorSerializer, gettext_lazy("A parameter is invalid or empty: `detail` names it, "
                                                   "`errors` lists the messages by parameter.")),
    "404": (ErrorSerializer, gettext_lazy("Not found, or not browsable, or a page beyond the last.")),
    "429": (ErrorSerializer, gettext_lazy("Too many requests: wait and try again (see `Retry-After`).")),
}


def _bounds_of(filter_) -> dict:
    extra = getattr(filter_, "extra", {})
    schema = {}
    for option, keyword in (("min_value", "minimum"), ("max_value", "maximum"), ("max_length", "maxLength")):
        if extra.get(option) is not None:
            schema[keyword] = extra[option]
    if getattr(filter_, "schema_pattern", None):
        schema["pattern"] = filter_.schema_pattern
    return schema


class ApiAutoSchema(AutoSchema):
    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None or not self._is_list_view():
            return parameters
        for parameter in parameters:
            filter_ = filterset_class.base_filters.get(parameter["name"])
            bounds = _bounds_of(filter_) if filter_ is not None else {}
            if bounds:
                parameter["schema"] = {**parameter.get("schema", {}), **bounds}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        has_query_parameters = self._is_list_view() and getattr(self.view, "filterset_class", None) is not None
        for code, (serializer, description) in ERROR_RESPONSES.items():
            if code == "400" and not has_query_parameters:
                continue
            if code not in responses:
                response = self._get_response_for_code(serializer, code, direction=direction)
                response["description"] = str(description)
                responses[code] = response
        return responses
