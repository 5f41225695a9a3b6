"""Commands on the selected mailbox's messages: FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, CLOSE, IDLE."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import replace

from mailhub.sandbox.imap.encode import flag_list, uid_set
from mailhub.sandbox.imap.fetch import parse_fetch_items, render, with_modseq
from mailhub.sandbox.imap.parser import Atom, Command, Token, as_text
from mailhub.sandbox.imap.search import Candidate, parse_search
from mailhub.sandbox.imap.selected import SelectedMailbox
from mailhub.sandbox.imap.sequence import parse_sequence_set
from mailhub.sandbox.imap.session import Bad, Disconnect, No, Session

BATCH = 200  # messages read from the store per query
DRAIN_AT = 1 << 20  # bytes written before waiting for the socket
BODIES_AT_ONCE = 4 << 20  # bytes of message bodies read from the store per query
IDLE_POLL = 0.5  # seconds between checks for changes made by other processes


def _selected(session: Session) -> SelectedMailbox:
    assert session.selected is not None
    return session.selected


def _writable(selected: SelectedMailbox) -> None:
    if selected.read_only:
        raise No("[READ-ONLY] the mailbox is open read-only")


def _targets(selected: SelectedMailbox, token: Token, by_uid: bool) -> list[int]:
    largest = selected.largest_uid if by_uid else selected.exists
    return selected.uids_for(parse_sequence_set(as_text(token), largest), by_uid)


def _runs(selected: SelectedMailbox, uids: list[int]) -> list[tuple[int, int]]:
    """UID ranges covering ``uids`` without reading messages between them (adjacent in the session's view)."""
    runs: list[tuple[int, int]] = []
    previous_seq = -2
    for uid in uids:
        seq = selected.seq_of(uid) or -2
        if runs and seq == previous_seq + 1:
            runs[-1] = (runs[-1][0], uid)
        else:
            runs.append((uid, uid))
        previous_seq = seq
    return runs


def _modifier(token: Token, name: str) -> int:
    """``(CHANGEDSINCE 7)`` / ``(UNCHANGEDSINCE 7)`` (RFC 7162) as its number."""
    if not isinstance(token, list) or len(token) != 2 or as_text(token[0]).upper() != name:
        raise Bad(f"expected ({name} <mod-sequence>)")
    value = as_text(token[1])
    if not value.isdigit():
        raise Bad("a mod-sequence is a number")
    return int(value)


def _groups(session: Session, selected: SelectedMailbox, uids: list[int], with_raw: bool) -> Iterator[list[int]]:
    """UIDs in groups read by one query each: ``BATCH`` at a time, and when bodies are read, also at most
    ``BODIES_AT_ONCE`` bytes of them (a group of 64 MB messages must not sit in memory together)."""
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        if not with_raw:
            yield batch
            continue
        group: list[int] = []
        size = 0
        for row in session.store.rows(selected.id, _runs(selected, batch), with_raw=False):
            if group and size + row.size > BODIES_AT_ONCE:
                yield group
                group, size = [], 0
            group.append(row.uid)
            size += row.size
        if group:
            yield group


async def fetch(session: Session, command: Command, by_uid: bool = False) -> bytes:
    if len(command.args) not in (2, 3):
        raise Bad("FETCH needs a sequence set and items")
    selected = _selected(session)
    request = parse_fetch_items(command.args[1], by_uid)
    changed_since = _modifier(command.args[2], "CHANGEDSINCE") if len(command.args) == 3 else None
    if changed_since is not None or "MODSEQ" in request.items:
        session.condstore = True
    if changed_since is not None and "MODSEQ" not in request.items:
        request = replace(request, items=(*request.items, "MODSEQ"))
    if session.condstore:
        request = with_modseq(request)
    uids = _targets(selected, command.args[0], by_uid)
    newly_seen: set[int] = set()
    if request.sets_seen and not selected.read_only and uids:
        changes = session.store.store_flags(selected.id, uids, "+", ["\\Seen"])
        selected.note_own_flags(changes)
        newly_seen = {change.uid for change in changes if change.changed}
    written = 0
    for group in _groups(session, selected, uids, request.needs_raw):
        if session.revoked:
            break
        wanted = set(group)
        for row in session.store.rows(selected.id, _runs(selected, group), request.needs_raw):
            seq = selected.seq_of(row.uid)
            if seq is None or row.uid not in wanted or (changed_since is not None and row.modseq <= changed_since):
                continue
            chunks = render(row, seq, request, add_flags=row.uid in newly_seen)
            session.write_lines(chunks)
            written += row.size if request.needs_raw else 64
            if written >= DRAIN_AT:  # bounded memory: at most ~1 MB queued before the socket must take it
                written = 0
                await session.flush()
    return b"OK FETCH completed"


async def store(session: Session, command: Command, by_uid: bool = False) -> bytes:
    args = list(command.args)
    unchanged_since = None
    if len(args) >= 2 and isinstance(args[1], list):
        unchanged_since = _modifier(args.pop(1), "UNCHANGEDSINCE")
        session.condstore = True
    if len(args) < 3:
        raise Bad("STORE needs a sequence set, an item and flags")
    selected = _selected(session)
    _writable(selected)
    item = as_text(args[1]).upper()
    mode = item[0] if item[:1] in "+-" else ""
    name = item.lstrip("+-")
    if name not in ("FLAGS", "FLAGS.SILENT"):
        raise Bad("STORE supports FLAGS and FLAGS.SILENT")
    flag_tokens: list[Token] = args[2:]
    if len(flag_tokens) == 1 and isinstance(flag_tokens[0], list):
        flag_tokens = flag_tokens[0]
    if any(not isinstance(f, Atom) for f in flag_tokens):
        raise Bad("flags are atoms")
    flags = [as_text(f) for f in flag_tokens]
    uids = _targets(selected, args[0], by_uid)
    changes = session.store.store_flags(selected.id, uids, mode, flags, unchanged_since) if uids else []
    selected.note_own_flags(changes)
    silent = name.endswith(".SILENT")
    conflicts: list[int] = []
    for change in changes:
        seq = selected.seq_of(change.uid)
        if seq is None:
            continue
        if change.conflict:
            conflicts.append(change.uid if by_uid else seq)
            continue
        # RFC 7162 §3.1.3: a conditional STORE reports each new MODSEQ, even when silent
        if silent and not (unchanged_since is not None and change.changed):
            continue
        items = [b"UID %d" % change.uid] if by_uid else []
        if not silent:
            items.append(b"FLAGS " + flag_list(change.flags))
        if session.condstore:
            items.append(b"MODSEQ (%d)" % change.modseq)
        session.write(b"* %d FETCH (%s)\r\n" % (seq, b" ".join(items)))
    if conflicts:
        return b"OK [MODIFIED %s] conditional STORE failed for some messages" % uid_set(sorted(conflicts))
    return b"OK STORE completed"


async def search(session: Session, command: Command, by_uid: bool = False) -> bytes:
    selected = _selected(session)
    args = list(command.args)
    if len(args) >= 2 and isinstance(args[0], Atom) and args[0].upper() == "CHARSET":
        if as_text(args[1]).upper() not in ("UTF-8", "US-ASCII"):
            raise No("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset")
        args = args[2:]
    criteria = parse_search(args)
    found: list[int] = []
    highest = 0
    for group in _groups(session, selected, list(selected.uids), criteria.needs_raw):
        for row in session.store.rows(selected.id, _runs(selected, group), criteria.needs_raw):
            seq = selected.seq_of(row.uid)
            if seq is None:
                continue
            candidate = Candidate(row, seq, selected.exists, selected.largest_uid)
            if criteria.matches(candidate):
                found.append(row.uid if by_uid else seq)
                highest = max(highest, row.modseq)
        await asyncio.sleep(0)  # let other sessions run during a long body search
    modseq = b" (MODSEQ %d)" % highest if criteria.uses_modseq and found else b""
    session.write(b"* SEARCH" + b"".join(b" %d" % n for n in found) + modseq + b"\r\n")
    return b"OK SEARCH completed"


async def copy(session: Session, command: Command, by_uid: bool = False, move: bool = False) -> bytes:
    if len(command.args) != 2:
        raise Bad(f"{command.name} needs a sequence set and a mailbox")
    selected = _selected(session)
    if move:
        _writable(selected)
    assert session.address is not None
    target = session.store.get_mailbox(session.address, as_text(command.args[1]))
    if target is None:
        raise No("[TRYCREATE] no such mailbox")
    uids = _targets(selected, command.args[0], by_uid)
    if not uids:
        return b"OK nothing to " + command.name.encode()
    act = session.store.move if move else session.store.copy
    pairs = act(selected.id, uids, target.id)
    code = b"COPYUID %d %s %s" % (target.uidvalidity, uid_set([s for s, _ in pairs]), uid_set([t for _, t in pairs]))
    if move:
        session.write(b"* OK [" + code + b"] moved\r\n")
        return b"OK MOVE completed"
    return b"OK [" + code + b"] COPY completed"


async def move(session: Session, command: Command, by_uid: bool = False) -> bytes:
    return await copy(session, command, by_uid, move=True)


async def expunge(session: Session, command: Command, by_uid: bool = False) -> bytes:
    selected = _selected(session)
    _writable(selected)
    if by_uid:
        if len(command.args) != 1:
            raise Bad("UID EXPUNGE needs a UID set")
        session.store.expunge(selected.id, _targets(selected, command.args[0], True))
    else:
        if command.args:
            raise Bad("EXPUNGE takes no arguments")
        session.store.expunge(selected.id)
    return b"OK EXPUNGE completed"


async def uid(session: Session, command: Command) -> bytes:
    if not command.args or not isinstance(command.args[0], Atom):
        raise Bad("UID needs a command")
    name = command.args[0].upper()
    inner = Command(command.tag, name, command.args[1:])
    handlers = {"FETCH": fetch, "STORE": store, "SEARCH": search, "COPY": copy, "MOVE": move, "EXPUNGE": expunge}
    if name not in handlers:
        raise Bad("unknown UID command")
    return await handlers[name](session, inner, by_uid=True)


async def check(session: Session, command: Command) -> bytes:
    return b"OK CHECK completed"


async def close(session: Session, command: Command) -> bytes:
    selected = _selected(session)
    if not selected.read_only:
        session.store.expunge(selected.id)  # silently: CLOSE sends no EXPUNGE responses
    session.unselect()
    return b"OK CLOSE completed"


async def unselect(session: Session, command: Command) -> bytes:
    session.unselect()
    return b"OK UNSELECT completed"


async def idle(session: Session, command: Command) -> bytes:
    """Push changes until the client says DONE; other processes' changes are found by polling."""
    session.write(b"+ idling\r\n")
    await session.flush()
    reading = asyncio.ensure_future(session.read_continuation())
    session.busy = False  # waiting for DONE: a revocation may say BYE at once
    try:
        while True:
            selected = session.selected
            waiters: set[asyncio.Future] = {reading}
            if selected is not None:
                waiters.add(asyncio.ensure_future(selected.watch.event.wait()))
            done, pending = await asyncio.wait(waiters, timeout=IDLE_POLL, return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending - {reading}:
                waiter.cancel()
            if reading in done:
                line = reading.result()
                if line is None:
                    raise Disconnect
                if line.strip().upper() != b"DONE":
                    raise Bad("expected DONE")
                return b"OK IDLE terminated"
            if selected is not None:
                selected.watch.event.clear()
                session.send_updates(allow_expunge=True)
                await session.flush()
    finally:
        session.busy = True
        if not reading.done():
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
