"""Commands on mailboxes: SELECT/EXAMINE, CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST/LSUB, STATUS, APPEND."""

from __future__ import annotations

import datetime as dt
import re

from mailhub.sandbox.imap.encode import string, uid_set
from mailhub.sandbox.imap.mailbox_names import is_valid_modified_utf7, superior_names
from mailhub.sandbox.imap.parser import Atom, Command, ParseError, as_bytes, as_text
from mailhub.sandbox.imap.selected import SelectedMailbox
from mailhub.sandbox.imap.session import Bad, No, Session
from mailhub.sandbox.mailstore import Mailbox, MailboxExists, mailbox_name

DELIMITER = "/"
_FLAGS = b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
_PERMANENT = b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)"
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}  # fmt: skip
_DATE_TIME = re.compile(r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")


def _name(session: Session, command: Command, index: int = 0) -> str:
    if len(command.args) <= index:
        raise Bad("a mailbox name is missing")
    name = as_text(command.args[index])
    if not name or "\r" in name or "\n" in name or "\0" in name:
        raise Bad("invalid mailbox name")
    return mailbox_name(name.rstrip(DELIMITER) or name)


def _existing(session: Session, name: str) -> Mailbox:
    assert session.address is not None
    box = session.store.get_mailbox(session.address, name)
    if box is None:
        raise No("[NONEXISTENT] no such mailbox")
    return box


async def select(session: Session, command: Command) -> bytes:
    return await _open(session, command, read_only=False)


async def examine(session: Session, command: Command) -> bytes:
    return await _open(session, command, read_only=True)


async def _open(session: Session, command: Command, read_only: bool) -> bytes:
    edition = session.edition
    if edition.requires_id_before_select and not session.id_sent:
        session.unselect()
        return edition.imap_text("unsafe_login").encode()
    if len(command.args) == 2 and isinstance(command.args[1], list):
        if [as_text(p).upper() for p in command.args[1]] != ["CONDSTORE"]:
            raise Bad("the only SELECT parameter is CONDSTORE")
        session.condstore = True
    elif len(command.args) != 1:
        raise Bad(f"{command.name} takes one mailbox name")
    session.unselect()
    box = _existing(session, _name(session, command))
    selected = SelectedMailbox(session.store, box, read_only)
    box = selected.mailbox
    session.write_lines(
        [
            b"* FLAGS " + _FLAGS + b"\r\n",
            b"* OK [PERMANENTFLAGS " + (b"()" if read_only else _PERMANENT) + b"] flags permitted\r\n",
            b"* %d EXISTS\r\n" % selected.exists,
            b"* 0 RECENT\r\n",
            b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % box.uidvalidity,
            b"* OK [UIDNEXT %d] predicted next UID\r\n" % box.uidnext,
        ]
    )
    if session.condstore:
        session.write(b"* OK [HIGHESTMODSEQ %d] highest\r\n" % selected.modseq)
    session.select(selected)
    mode = b"READ-ONLY" if read_only else b"READ-WRITE"
    return b"OK [" + mode + b"] " + command.name.encode() + b" completed"


async def create(session: Session, command: Command) -> bytes:
    assert session.address is not None
    name = _name(session, command)
    if name == "INBOX":
        raise No("[ALREADYEXISTS] INBOX always exists")
    if not is_valid_modified_utf7(name):
        raise No("[CANNOT] mailbox name is not valid modified UTF-7")
    for parent in superior_names(name.rstrip(DELIMITER), DELIMITER):
        if session.store.get_mailbox(session.address, parent) is None:
            session.store.create_mailbox(session.address, parent)
    try:
        session.store.create_mailbox(session.address, name)
    except MailboxExists:
        raise No("[ALREADYEXISTS] mailbox already exists") from None
    return b"OK CREATE completed"


async def delete(session: Session, command: Command) -> bytes:
    assert session.address is not None
    box = _existing(session, _name(session, command))
    if box.name == "INBOX":
        raise No("INBOX cannot be deleted")
    if session.selected is not None and session.selected.id == box.id:
        session.unselect()
    session.store.delete_mailbox(session.address, box.name)
    return b"OK DELETE completed"


async def rename(session: Session, command: Command) -> bytes:
    assert session.address is not None
    if len(command.args) != 2:
        raise Bad("RENAME needs two mailbox names")
    old, new = _existing(session, _name(session, command, 0)), _name(session, command, 1)
    if not is_valid_modified_utf7(new):
        raise No("[CANNOT] mailbox name is not valid modified UTF-7")
    try:
        session.store.rename_mailbox(session.address, old.name, new)
    except MailboxExists:
        raise No("[ALREADYEXISTS] target mailbox already exists") from None
    return b"OK RENAME completed"


async def subscribe(session: Session, command: Command) -> bytes:
    assert session.address is not None
    box = _existing(session, _name(session, command))
    session.store.set_subscribed(session.address, box.name, command.name == "SUBSCRIBE")
    return b"OK " + command.name.encode() + b" completed"


async def unsubscribe(session: Session, command: Command) -> bytes:
    return await subscribe(session, command)


def _pattern(reference: str, pattern: str) -> re.Pattern[str]:
    full = reference + pattern if not pattern.startswith(DELIMITER) else pattern
    regex = "".join(".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in full)
    return re.compile(regex, re.IGNORECASE if full.upper().startswith("INBOX") else 0)


def _attributes(box: Mailbox, names: set[str]) -> bytes:
    children = any(n.startswith(box.name + DELIMITER) for n in names)
    attributes = ["\\HasChildren" if children else "\\HasNoChildren"]
    if box.special_use:
        attributes.append(box.special_use)
    return ("(" + " ".join(attributes) + ")").encode()


async def list_mailboxes(session: Session, command: Command) -> bytes:
    """LIST and LSUB, including ``LIST (SPECIAL-USE) "" "*"`` and ``RETURN (SPECIAL-USE)``."""
    assert session.address is not None
    args = list(command.args)
    special_only = False
    if args and isinstance(args[0], list):
        options = {as_text(o).upper() for o in args.pop(0)}
        special_only = "SPECIAL-USE" in options
    if len(args) == 4 and isinstance(args[2], Atom) and args[2].upper() == "RETURN":
        args = args[:2]
    if len(args) != 2:
        raise Bad(f"{command.name} needs a reference and a pattern")
    reference = as_text(args[0])
    patterns = [as_text(p) for p in args[1]] if isinstance(args[1], list) else [as_text(args[1])]
    word = b"LSUB" if command.name == "LSUB" else b"LIST"
    if patterns == [""]:
        session.write(b"* " + word + b' (\\Noselect) "/" ""\r\n')
        return b"OK " + word + b" completed"
    boxes = session.store.list_mailboxes(session.address)
    names = {b.name for b in boxes}
    compiled = [_pattern(reference, p) for p in patterns]
    for box in sorted(boxes, key=lambda b: (b.name != "INBOX", b.name)):
        if (word == b"LSUB" and not box.subscribed) or (special_only and not box.special_use):
            continue
        if any(p.fullmatch(box.name) for p in compiled):
            session.write(b"* " + word + b" " + _attributes(box, names) + b' "/" ' + string(box.name) + b"\r\n")
    return b"OK " + word + b" completed"


async def status(session: Session, command: Command) -> bytes:
    if len(command.args) != 2 or not isinstance(command.args[1], list):
        raise Bad("STATUS needs a mailbox name and a list of items")
    box = _existing(session, _name(session, command))
    current = session.store.status(box.id)
    values = {
        "MESSAGES": current.messages,
        "RECENT": 0,
        "UIDNEXT": current.uidnext,
        "UIDVALIDITY": current.uidvalidity,
        "UNSEEN": current.unseen,
        "HIGHESTMODSEQ": current.highest_modseq,
    }
    items = []
    for token in command.args[1]:
        item = as_text(token).upper()
        if item not in values:
            raise Bad(f"unknown STATUS item {item[:20]}")
        items.append(b"%s %d" % (item.encode(), values[item]))
    session.write(b"* STATUS " + string(box.name) + b" (" + b" ".join(items) + b")\r\n")
    return b"OK STATUS completed"


def parse_date_time(text: str) -> float:
    """APPEND's ``"17-Jul-1996 02:44:25 -0700"`` as a POSIX time."""
    match = _DATE_TIME.fullmatch(text)
    if match is None or match.group(2).capitalize() not in _MONTHS:
        raise ParseError("invalid date-time")
    day, month, year, hour, minute, second, sign, tz_hour, tz_minute = match.groups()
    offset = dt.timedelta(hours=int(tz_hour), minutes=int(tz_minute)) * (1 if sign == "+" else -1)
    try:
        moment = dt.datetime(int(year), _MONTHS[month.capitalize()], int(day), int(hour), int(minute), int(second),
                             tzinfo=dt.timezone(offset))  # fmt: skip
    except ValueError:
        raise ParseError("invalid date-time") from None
    return moment.timestamp()


async def append(session: Session, command: Command) -> bytes:
    args = list(command.args)
    if len(args) < 2:
        raise Bad("APPEND needs a mailbox and a message")
    name = _name(session, command)
    message = args[-1]
    if not isinstance(message, bytes):
        raise Bad("the message must be a literal")
    flags: list[str] = []
    when: float | None = None
    for extra in args[1:-1]:
        if isinstance(extra, list) and not flags:
            flags = [as_text(f) for f in extra]
        elif isinstance(extra, bytes) and when is None:
            when = parse_date_time(as_text(extra))
        else:
            raise Bad("unexpected APPEND argument")
    assert session.address is not None
    box = session.store.get_mailbox(session.address, name)
    if box is None:
        raise No("[TRYCREATE] no such mailbox")
    if not as_bytes(message):
        raise No("empty message")
    uid = session.store.append(box.id, message, flags, when)
    return b"OK [APPENDUID %d %s] APPEND completed" % (box.uidvalidity, uid_set([uid]))
