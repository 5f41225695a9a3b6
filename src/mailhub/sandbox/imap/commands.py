"""The command table (name -> handler and the states it is valid in) and the commands valid in any state."""

from __future__ import annotations

from mailhub.sandbox.imap import login, mailbox_commands, message_commands
from mailhub.sandbox.imap.encode import string
from mailhub.sandbox.imap.parser import Atom, Command, as_text
from mailhub.sandbox.imap.session import Bad, Disconnect, Handler, Session, State

_SERVER_ID = (("name", "mailhub sandbox"), ("vendor", "mailhub"), ("support-url", "https://github.com/mailhub"))


async def capability(session: Session, command: Command) -> bytes:
    session.write(b"* CAPABILITY " + session.capabilities().encode() + b"\r\n")
    return b"OK CAPABILITY completed"


async def noop(session: Session, command: Command) -> bytes:
    return b"OK NOOP completed"  # pending changes go out with every tagged answer (Session._execute)


async def logout(session: Session, command: Command) -> bytes | None:
    session.write(b"* BYE " + session.edition.imap_text("logout_bye").encode() + b"\r\n")
    session.write(command.tag.encode() + b" OK LOGOUT completed\r\n")
    await session.flush()
    raise Disconnect


async def id_command(session: Session, command: Command) -> bytes:
    """RFC 2971 ID; some editions (NetEase) refuse SELECT until the client has sent it."""
    if len(command.args) != 1:
        raise Bad("ID takes one argument")
    argument = command.args[0]
    if isinstance(argument, list):
        if len(argument) % 2:
            raise Bad("ID needs field/value pairs")
        for token in argument:
            as_text(token)
    elif not (isinstance(argument, Atom) and argument.upper() == "NIL"):
        raise Bad("ID takes a list or NIL")
    session.id_sent = True
    fields = b" ".join(string(k) + b" " + string(v) for k, v in _SERVER_ID)
    session.write(b"* ID (" + fields + b")\r\n")
    return b"OK ID completed"


async def enable(session: Session, command: Command) -> bytes:
    if not command.args:
        raise Bad("ENABLE needs capability names")
    enabled = []
    for token in command.args:
        if as_text(token).upper() == "CONDSTORE":
            session.condstore = True
            enabled.append(b" CONDSTORE")
    session.write(b"* ENABLED" + b"".join(enabled) + b"\r\n")
    return b"OK ENABLE completed"


async def namespace(session: Session, command: Command) -> bytes:
    session.write(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
    return b"OK NAMESPACE completed"


ANY = (State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED)
BEFORE = (State.NOT_AUTHENTICATED,)
AFTER = (State.AUTHENTICATED, State.SELECTED)
SELECTED = (State.SELECTED,)

COMMANDS: dict[str, tuple[Handler, tuple[State, ...]]] = {
    "CAPABILITY": (capability, ANY),
    "NOOP": (noop, ANY),
    "LOGOUT": (logout, ANY),
    "ID": (id_command, ANY),
    "STARTTLS": (login.starttls, BEFORE),
    "LOGIN": (login.login, BEFORE),
    "AUTHENTICATE": (login.authenticate, BEFORE),
    "ENABLE": (enable, AFTER),
    "NAMESPACE": (namespace, AFTER),
    "SELECT": (mailbox_commands.select, AFTER),
    "EXAMINE": (mailbox_commands.examine, AFTER),
    "CREATE": (mailbox_commands.create, AFTER),
    "DELETE": (mailbox_commands.delete, AFTER),
    "RENAME": (mailbox_commands.rename, AFTER),
    "SUBSCRIBE": (mailbox_commands.subscribe, AFTER),
    "UNSUBSCRIBE": (mailbox_commands.unsubscribe, AFTER),
    "LIST": (mailbox_commands.list_mailboxes, AFTER),
    "LSUB": (mailbox_commands.list_mailboxes, AFTER),
    "STATUS": (mailbox_commands.status, AFTER),
    "APPEND": (mailbox_commands.append, AFTER),
    "IDLE": (message_commands.idle, AFTER),
    "CHECK": (message_commands.check, SELECTED),
    "CLOSE": (message_commands.close, SELECTED),
    "UNSELECT": (message_commands.unselect, SELECTED),
    "EXPUNGE": (message_commands.expunge, SELECTED),
    "SEARCH": (message_commands.search, SELECTED),
    "FETCH": (message_commands.fetch, SELECTED),
    "STORE": (message_commands.store, SELECTED),
    "COPY": (message_commands.copy, SELECTED),
    "MOVE": (message_commands.move, SELECTED),
    "UID": (message_commands.uid, SELECTED),
}
