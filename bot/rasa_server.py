"""`python -m bot.rasa_server run ...`: Rasa's own command line, with a few patches installed first.

1. A measured speed-up. Rasa 3.6 checks every action server reply with `jsonschema.validate`, which
   first re-validates the (large) events schema against the JSON-Schema meta-schema on every call.
   Profiling a turn with a custom action (py-spy) showed about two thirds of the Rasa server's time
   there. Here the schema is checked once and the compiled validator is reused: the same replies pass
   and fail as before.
2. Input limit. Every incoming message (REST, socket.io, any channel: they all build a `UserMessage`)
   is cut to `MAX_MESSAGE_CHARS` characters (default 1000) before NLU sees it. The edge (nginx) limits
   the request size and rate; this limits what one message can cost inside.
3. Never silence when the action server fails. Rasa logs a failed call to the action server and says
   nothing to the user. Here a failed call (server down, timeout, error status, broken reply) becomes
   the domain's `utter_action_failed`: a short apology with a route to a person. The next turn calls
   the action server again, so the bot answers normally as soon as it is back.
5. The opening of a conversation. The most used Rasa web widget (rasa-webchat) opens with the payload
   `/get_started`, an intent this domain does not have; it is read as `/greet`, so the widget's user gets
   the greeting with the privacy line and the start buttons.
4. The HTTP API never opens without authentication: `--enable-api` needs a token or a JWT secret. They
   come from the environment (`RASA_API_TOKEN`, `RASA_JWT_SECRET`) and are added to the arguments
   inside this process, so they never show in the process list.
6. Personal data is masked at the door. Every incoming message (every channel builds a `UserMessage`) goes
   through `bot.privacy.scan` right after the input limit: a BSN (elfproef), IBAN, phone number, e-mail
   address or postcode with house number becomes a placeholder ("[BSN]") before NLU, the tracker, the
   event broker or the logs of the turn see it. The message metadata says which kinds were masked
   (`{"masked": ["BSN"]}`), never the values. The reply to such a message starts with the short warning
   (`actions.answers.personal_data_warning`), whatever the intent: the Rasa server says it itself, as the
   first bot message of the turn, so smalltalk rules and an unreachable action server get it too.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any, Dict, List, Text, Tuple

from jsonschema import ValidationError
from jsonschema.validators import validator_for

# Light imports: the answer texts (no KB, no TensorFlow) and the masking (tests/test_rasa_server.py checks).
from actions.answers import personal_data_warning
from bot.privacy import MAX_INPUT, scan

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 1000
ACTION_FAILED = "utter_action_failed"
#: Only when the model's domain has no `utter_action_failed` (a model trained before it existed).
ACTION_FAILED_TEXT = "Sorry, ik kan dit nu niet opzoeken. Vraag het aan een medewerker van de bibliotheek."

_validator = None
_originals: Dict[str, Any] = {}


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


# -- input limit ---------------------------------------------------------------------------------
def max_message_chars() -> int:
    try:
        return max(1, int(os.environ.get("MAX_MESSAGE_CHARS") or DEFAULT_MAX_MESSAGE_CHARS))
    except ValueError:
        return DEFAULT_MAX_MESSAGE_CHARS


def cut(text: Any, limit: int) -> Any:
    return text[:limit] if isinstance(text, str) and len(text) > limit else text


#: Opening payloads of common web widgets, read as the greeting.
OPENINGS = {"/get_started": "/greet", "/start": "/greet"}


def opening(text: Any) -> Any:
    return OPENINGS.get(text.strip(), text) if isinstance(text, str) else text


# -- personal data at the door ---------------------------------------------------------------------
#: Metadata key of a message in which personal data was masked: the kinds, e.g. ["BSN", "TELEFOON"].
MASKED = "masked"
#: Metadata key of the bot's warning, so it is said once per turn.
WARNING = "privacy_warning"


def at_the_door(text: Any, metadata: Any) -> Tuple[Any, Any]:
    """The text with personal data masked, and the metadata saying which kinds were masked.

    Only this process says what was masked: a `masked` key sent by a client is dropped.
    """
    if isinstance(metadata, dict) and MASKED in metadata:
        metadata = {k: v for k, v in metadata.items() if k != MASKED}
    if not isinstance(text, str):
        return text, metadata
    masked_text, kinds = scan(text)
    if kinds:
        metadata = {**(metadata if isinstance(metadata, dict) else {}), MASKED: kinds}
    # A text longer than bot.privacy.MAX_INPUT is cut there too: its unread tail never passes unmasked.
    return (masked_text if kinds or len(text) > MAX_INPUT else text), metadata


def _user_message_init(self, text=None, output_channel=None, sender_id=None, parse_data=None, input_channel=None,
                       message_id=None, metadata=None) -> None:
    text, metadata = at_the_door(opening(cut(text, max_message_chars())), metadata)
    _originals["UserMessage.__init__"](self, text, output_channel, sender_id, parse_data, input_channel, message_id,
                                       metadata)


def masked_turn(tracker) -> bool:
    """Whether the message of this turn had personal data masked (and the warning is not said yet)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    latest = tracker.latest_message
    if latest is None or not isinstance(latest.metadata, dict) or not latest.metadata.get(MASKED):
        return False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, BotUttered) and (event.metadata or {}).get(WARNING):
            return False
    return True


def warning_event():
    from rasa.shared.core.events import BotUttered

    return BotUttered(personal_data_warning().text, metadata={WARNING: True})


async def run_prediction_loop(self, output_channel, tracker) -> None:
    """The warning first, in the tracker and to the user, then the turn as Rasa runs it."""
    if masked_turn(tracker):
        event = warning_event()
        tracker.update(event, self.domain)
        await output_channel.send_response(tracker.sender_id, event.message())
    await _originals["MessageProcessor._run_prediction_loop"](self, output_channel, tracker)


# -- the action server fails -----------------------------------------------------------------------
async def action_failed_message(output_channel, nlg, tracker):
    """The apology as a BotUttered event, worded in the domain (`utter_action_failed`)."""
    from rasa.core.actions.action import create_bot_utterance

    draft = None
    try:
        draft = await nlg.generate(ACTION_FAILED, tracker, output_channel.name())
    except Exception:  # the apology must never fail itself
        logger.warning("could not render %s", ACTION_FAILED, exc_info=True)
    draft = dict(draft or {"text": ACTION_FAILED_TEXT})
    draft["utter_action"] = ACTION_FAILED
    return create_bot_utterance(draft)


async def run_remote_action(self, output_channel, nlg, tracker, domain) -> List[Any]:
    import aiohttp
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.exceptions import RasaException

    try:
        return await _originals["RemoteAction.run"](self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # the action declined on purpose: Rasa lets another policy choose
    except (RasaException, asyncio.TimeoutError, aiohttp.ClientError, ValidationError) as exc:
        logger.error("custom action '%s' failed (%s: %s); the user gets %s", self.name(), exc.__class__.__name__, exc,
                     ACTION_FAILED)
        return [await action_failed_message(output_channel, nlg, tracker)]


def install() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    if "RemoteAction._validate_action_result" not in _originals:
        _originals["RemoteAction._validate_action_result"] = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = validate_action_result
    if "RemoteAction.run" not in _originals:
        _originals["RemoteAction.run"] = RemoteAction.run
        RemoteAction.run = run_remote_action
    if "UserMessage.__init__" not in _originals:
        _originals["UserMessage.__init__"] = UserMessage.__init__
        UserMessage.__init__ = _user_message_init
    if "MessageProcessor._run_prediction_loop" not in _originals:
        _originals["MessageProcessor._run_prediction_loop"] = MessageProcessor._run_prediction_loop
        MessageProcessor._run_prediction_loop = run_prediction_loop


def uninstall() -> None:
    """Undo `install` (for tests in one process)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    if "RemoteAction._validate_action_result" in _originals:
        RemoteAction._validate_action_result = _originals.pop("RemoteAction._validate_action_result")
    if "RemoteAction.run" in _originals:
        RemoteAction.run = _originals.pop("RemoteAction.run")
    if "UserMessage.__init__" in _originals:
        UserMessage.__init__ = _originals.pop("UserMessage.__init__")
    if "MessageProcessor._run_prediction_loop" in _originals:
        MessageProcessor._run_prediction_loop = _originals.pop("MessageProcessor._run_prediction_loop")


# -- the HTTP API only with authentication ------------------------------------------------------------
class ApiWithoutAuth(SystemExit):
    pass


def auth_arguments(argv: List[str], env=None) -> List[str]:
    """The arguments to add for `--enable-api`: a token and/or a JWT secret from the environment, or refuse."""
    env = os.environ if env is None else env
    if "--enable-api" not in argv:
        return []
    given = any(a.split("=", 1)[0] in ("--auth-token", "--jwt-secret") for a in argv)
    extra: List[str] = []
    if not given and env.get("RASA_API_TOKEN"):
        extra += ["--auth-token", env["RASA_API_TOKEN"]]
    if not given and env.get("RASA_JWT_SECRET"):
        extra += ["--jwt-secret", env["RASA_JWT_SECRET"], "--jwt-method", env.get("RASA_JWT_METHOD") or "HS256"]
    if not given and not extra:
        raise ApiWithoutAuth("De HTTP-API van Rasa gaat niet open zonder beveiliging: zet RASA_API_TOKEN "
                             "(of RASA_JWT_SECRET), of laat --enable-api weg.")
    return extra


def main() -> int:
    try:
        extra = auth_arguments(sys.argv[1:])
    except ApiWithoutAuth as exc:
        print(exc, file=sys.stderr)
        return 2
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:], *extra]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
