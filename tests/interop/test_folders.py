"""Folders with Chinese names, as desktop clients create and list them (RFC 3501 modified UTF-7).

Each test runs against Dovecot and the sandbox: both must behave the same.
"""

from __future__ import annotations

import imaplib

import pytest
from tests.interop.accounts import MailAccount
from tests.interop.samples import imap_utf7

pytestmark = pytest.mark.peer


def _login(account: MailAccount) -> imaplib.IMAP4_SSL:
    imap = imaplib.IMAP4_SSL(account.hostname, account.ports["imaps"], ssl_context=account.client_context())
    imap.login(account.address, account.password)
    return imap


def test_create_and_list_a_chinese_folder(account: MailAccount) -> None:
    with _login(account) as imap:
        assert imap.create(f'"{imap_utf7("客户")}"')[0] == "OK"
        status, listing = imap.list()
        assert status == "OK"
        assert any(line.endswith(b'"&W6JiNw-"') or line.endswith(b" &W6JiNw-") for line in listing)


def test_nested_create_lists_the_implied_parent(account: MailAccount) -> None:
    """RFC 3501 CREATE: "the server SHOULD create any superior hierarchical names"; clients such as
    Thunderbird build the folder tree from LIST, so a missing parent leaves the child hanging."""
    with _login(account) as imap:
        assert imap.create(f'"{imap_utf7("客户/阿里巴巴")}"')[0] == "OK"
        _, listing = imap.list()
        names = [line.rsplit(b" ", 1)[-1].strip(b'"') for line in listing]
        assert b"&W6JiNw-" in names


@pytest.mark.parametrize("bad_name", ["bad&name", "&Jjo", "&lj&RzF30XfQ-"])
def test_invalid_modified_utf7_names_are_refused(account: MailAccount, bad_name: str) -> None:
    """A name that is not valid modified UTF-7 cannot be shown by any client: refuse it at CREATE."""
    with _login(account) as imap:
        status, _ = imap.create(f'"{bad_name}"')
        assert status == "NO"
