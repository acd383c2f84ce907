"""`python -m bot.rasa_server run ...`: Rasa's own command line, with one measured speed-up.

Rasa 3.6 checks every action server reply with `jsonschema.validate`, which first re-validates the
(large) events schema against the JSON-Schema meta-schema on every call. Profiling a turn with a
custom action (py-spy) showed about two thirds of the Rasa server's time there. Here the schema is
checked once and the compiled validator is reused: the same replies pass and fail as before.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for

_validator = None


def _compiled():
    global _validator
    if _validator is None:
        from rasa.core.actions.action import RemoteAction

        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    return _validator


def validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _compiled().validate(result)
        return True
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response from the "
                      f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
        raise e


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result


def main() -> int:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
