"""Rasa's check of each action server reply, with the schema validator built once per process.

Rasa 3.6 checks every reply of the action server against its JSON schema with `jsonschema.validate`,
which first validates the schema itself against the draft 2020-12 metaschema: about 15 ms of CPU
on the server's event loop per action call, for a schema that never changes (the reply itself takes
under 0.5 ms). `install()` replaces that method of Rasa's `RemoteAction` with the same check on a
validator built once: the same schema, the same error (jsonschema's best match) with Rasa's hint.
bot.tracking.stores installs it, being what every Rasa server of either profile loads.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_HINT = (". Failed to validate Action server response from API, make sure your response from the "
         f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += _HINT
        raise error
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]

