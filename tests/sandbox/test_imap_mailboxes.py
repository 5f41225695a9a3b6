"""Mailbox commands as clients use them: LIST with special use, SELECT/EXAMINE, CREATE/RENAME/DELETE, STATUS."""

from __future__ import annotations

from conftest_imap import ADDRESS, PASSWORD, RunningImap, Transcript, imap_fixture  # noqa: F401  (fixture)
from imapclient import IMAPClient


def logged_in(imap: RunningImap) -> Transcript:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.login(ADDRESS, PASSWORD)
    return talk


def test_list_shows_special_use_folders(imap: RunningImap) -> None:
    talk = logged_in(imap)
    untagged, done = talk.command('LIST "" "*"')
    assert done == b"OK LIST completed"
    assert untagged == [
        b'* LIST (\\HasNoChildren) "/" "INBOX"',
        b'* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
        b'* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
        b'* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
        b'* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    ]
    assert len(talk.command('LIST (SPECIAL-USE) "" "*"')[0]) == 4
    assert len(talk.command('LIST "" "*" RETURN (SPECIAL-USE)')[0]) == 5
    assert talk.command('LIST "" ""')[0] == [b'* LIST (\\Noselect) "/" ""']
    assert talk.command('LIST "" "inbox"')[0] == [b'* LIST (\\HasNoChildren) "/" "INBOX"']
    assert talk.command("NAMESPACE")[0] == [b'* NAMESPACE (("" "/")) NIL NIL']


def test_imapclient_finds_folders_by_special_use(imap: RunningImap) -> None:
    imap.bind_user()
    with IMAPClient(imap.host, imap.ports["imaps"], ssl_context=imap.client_context()) as client:
        client.login(ADDRESS, PASSWORD)
        assert client.find_special_folder(b"\\Sent") == "Sent"
        assert client.find_special_folder(b"\\Trash") == "Trash"


def test_select_and_examine_report_uidvalidity_uidnext_and_mode(imap: RunningImap) -> None:
    talk = logged_in(imap)
    imap.sandbox.mail.deliver(ADDRESS, b"Subject: a\r\n\r\nx\r\n")
    inbox = imap.sandbox.mail.mailbox(ADDRESS, "INBOX")
    untagged, done = talk.command("SELECT inbox")
    assert done == b"OK [READ-WRITE] SELECT completed"
    assert b"* 1 EXISTS" in untagged
    assert b"* OK [UIDVALIDITY %d] UIDs valid" % inbox.uidvalidity in untagged
    assert b"* OK [UIDNEXT 2] predicted next UID" in untagged
    untagged, done = talk.command("EXAMINE INBOX")
    assert done == b"OK [READ-ONLY] EXAMINE completed"
    assert b"* OK [PERMANENTFLAGS ()] flags permitted" in untagged
    assert talk.command("SELECT Nowhere")[1].startswith(b"NO [NONEXISTENT]")
    assert talk.command("FETCH 1 FLAGS")[1].startswith(b"BAD ")  # a failed SELECT leaves nothing selected


def test_create_rename_delete_subscribe(imap: RunningImap) -> None:
    talk = logged_in(imap)
    assert talk.command('CREATE "Customers/Hamburg"')[1] == b"OK CREATE completed"
    # RFC 3501: the superior name is created with the child, so creating it again is refused.
    assert talk.command("CREATE Customers")[1].startswith(b"NO [ALREADYEXISTS]")
    assert talk.command('CREATE "bad&name"')[1].startswith(b"NO [CANNOT]")
    assert talk.command('LIST "" "Customers%"')[0] == [b'* LIST (\\HasChildren) "/" "Customers"']
    assert talk.command("RENAME Customers Clients")[1] == b"OK RENAME completed"
    assert talk.command('LIST "" "Clients/*"')[0] == [b'* LIST (\\HasNoChildren) "/" "Clients/Hamburg"']
    assert talk.command("UNSUBSCRIBE Clients")[1] == b"OK UNSUBSCRIBE completed"
    assert b'"Clients"' not in b"".join(talk.command('LSUB "" "*"')[0])
    assert talk.command("DELETE Clients/Hamburg")[1] == b"OK DELETE completed"
    assert talk.command("DELETE INBOX")[1].startswith(b"NO ")
    assert talk.command("DELETE Nowhere")[1].startswith(b"NO [NONEXISTENT]")


def test_status_counts_messages_and_unseen(imap: RunningImap) -> None:
    talk = logged_in(imap)
    imap.sandbox.mail.deliver(ADDRESS, b"Subject: a\r\n\r\nx\r\n", flags=["\\Seen"])
    imap.sandbox.mail.deliver(ADDRESS, b"Subject: b\r\n\r\nx\r\n")
    inbox = imap.sandbox.mail.mailbox(ADDRESS, "INBOX")
    untagged, done = talk.command("STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)")
    assert done == b"OK STATUS completed"
    assert untagged == [b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 UIDVALIDITY %d RECENT 0)' % inbox.uidvalidity]


def test_close_expunges_silently_and_unselect_does_not(imap: RunningImap) -> None:
    talk = logged_in(imap)
    for n in range(2):
        imap.sandbox.mail.deliver(ADDRESS, b"Subject: %d\r\n\r\nx\r\n" % n, flags=["\\Deleted"])
    talk.command("SELECT INBOX")
    assert talk.command("UNSELECT") == ([], b"OK UNSELECT completed")
    talk.command("SELECT INBOX")
    assert talk.command("CLOSE") == ([], b"OK CLOSE completed")
    assert imap.sandbox.mail.status(imap.sandbox.mail.mailbox(ADDRESS, "INBOX").id).messages == 0


def test_idle_timeout_logs_the_client_out(imap: RunningImap) -> None:
    talk = logged_in(imap)

    def shorten() -> None:
        imap.server.idle_timeout = 0.2  # type: ignore[union-attr]

    imap.on_server(shorten)
    talk.command("NOOP")
    assert talk.line() == b"* BYE autologout; idle for too long"
