"""The `cockpit` loggers write INFO and above to stderr with a timestamp, through one handler however often set up."""

from __future__ import annotations

import logging
import re

import pytest

from dashboard.logging_setup import HANDLER_NAME, configure_logging


def test_set_up_twice_one_handler_with_timestamp_and_info(capsys: pytest.CaptureFixture[str]) -> None:
    first = configure_logging()
    second = configure_logging()  # a Streamlit rerun, or the CLI after the app in one process
    logger = logging.getLogger("cockpit")
    assert first is second
    assert [handler.get_name() for handler in logger.handlers].count(HANDLER_NAME) == 1
    assert logger.getEffectiveLevel() == logging.INFO

    capsys.readouterr()
    logging.getLogger("cockpit.auth").info("Anmeldung: %r", "jemand")
    logging.getLogger("cockpit.auth").debug("nicht zu sehen")
    err = capsys.readouterr().err  # the stderr of this moment, not the one at set-up
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO cockpit\.auth: Anmeldung: 'jemand'\n", err), err


def test_records_still_reach_the_root_logger(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging()
    caplog.set_level(logging.INFO)
    logging.getLogger("cockpit.auth").warning("Anmeldung fehlgeschlagen")
    assert [(record.name, record.levelname) for record in caplog.records] == [("cockpit.auth", "WARNING")]
