"""``mailhub sandbox ...``: run the local enterprise mail service and play its admin and its users.

Every command acts on a data directory; a running ``serve`` on the same directory sees the change at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mailhub.paths import sandbox_home
from mailhub.sandbox.errors import SandboxError
from mailhub.sandbox.sandbox import Sandbox

app = typer.Typer(no_args_is_help=True)
domain_app = typer.Typer(no_args_is_help=True, help="Mail domains and their edition.")
user_app = typer.Typer(no_args_is_help=True, help="Users: main password, phone, department, IMAP/SMTP switch.")
policy_app = typer.Typer(no_args_is_help=True, help="安全管理 › 账户安全策略 (account security policy).")
client_password_app = typer.Typer(no_args_is_help=True, help="三方客户端安全密码 (client security passwords).")
sms_app = typer.Typer(no_args_is_help=True, help="The sandbox's SMS outbox (the users' 'phones').")
admin_app = typer.Typer(no_args_is_help=True, help="The domain admin (postmaster@DOMAIN) of the web console.")
app.add_typer(domain_app, name="domain")
app.add_typer(user_app, name="user")
app.add_typer(policy_app, name="policy")
app.add_typer(client_password_app, name="client-password")
app.add_typer(sms_app, name="sms")
app.add_typer(admin_app, name="admin")

console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data", envvar="MAILHUB_SANDBOX_DATA", help="Data directory (default: MAILHUB_HOME/sandbox)."),
]


@contextlib.contextmanager
def open_sandbox(data: Path | None) -> Iterator[Sandbox]:
    """Open the sandbox; a SandboxError becomes a one-line red message and exit code 1."""
    sandbox = Sandbox(data or sandbox_home())
    try:
        yield sandbox
    except SandboxError as error:
        chinese = getattr(error, "message_zh", "")
        err.print(f"[red]error:[/red] {error}" + (f"\n[red]错误：[/red]{chinese}" if chinese else ""), highlight=False)
        raise typer.Exit(1) from None
    finally:
        sandbox.close()


def _when(moment) -> str:
    """A timestamp as a person reads it (seconds, local zone), or a dash."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _read_secret_from_stdin() -> str:
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        err.print("[red]error:[/red] no password on standard input")
        raise typer.Exit(1)
    return secret


@app.command()
def serve(
    data: DataDir = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    imaps_port: Annotated[int, typer.Option(help="IMAP over implicit TLS (993-style); 0 = any free port.")] = 993,
    imap_port: Annotated[int, typer.Option(help="IMAP with STARTTLS (143-style).")] = 143,
    smtps_port: Annotated[int, typer.Option(help="SMTP submission over implicit TLS (465-style).")] = 465,
    submission_port: Annotated[int, typer.Option(help="SMTP submission with STARTTLS (587-style).")] = 587,
    console_port: Annotated[
        int | None, typer.Option(help="Also serve the web console (admin + user pages) over HTTP; 0 = any port.")
    ] = None,
) -> None:
    """Run the IMAP and SMTP servers (and the web console) until interrupted; prints the bound ports."""
    from mailhub.sandbox.service import SandboxService

    ports = {"imaps": imaps_port, "imap": imap_port, "smtps": smtps_port, "submission": submission_port}
    if console_port is not None:
        ports["console"] = console_port

    async def run() -> None:
        with open_sandbox(data) as sandbox:
            async with SandboxService(sandbox, host, ports) as service:
                for name, port in service.ports.items():
                    if name != "console":
                        console.print(f"{name} {host}:{port}", highlight=False)
                if "console" in service.ports:  # before ``ca``: scripts read the ports up to that line
                    console.print(f"console http://{host}:{service.ports['console']}", highlight=False)
                console.print(f"ca {sandbox.tls.ca_file}", highlight=False)
                sys.stdout.flush()
                await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@app.command()
def ca(data: DataDir = None) -> None:
    """Print the path of the sandbox CA certificate (trust it in clients: MAILHUB_CA_FILE)."""
    with open_sandbox(data) as sandbox:
        print(sandbox.tls.ca_file)


@app.command()
def audit(
    address: Annotated[str | None, typer.Argument(help="Only this user's attempts.")] = None,
    limit: int = 50,
    data: DataDir = None,
) -> None:
    """The login audit log: every attempt and its outcome (never the secret)."""
    with open_sandbox(data) as sandbox:
        table = Table("time", "user", "protocol", "ip", "outcome")
        for entry in sandbox.security.audit_log(address=address, limit=limit):
            outcome = "ok" if entry.allowed else f"denied: {entry.denial}"
            table.add_row(_when(entry.at), entry.username, entry.protocol, entry.ip, outcome)
        console.print(table)


@domain_app.command("add")
def domain_add(
    domain: str,
    edition: Annotated[str, typer.Option(help="aliyun-standard, alibaba-foreign-trade, tencent-exmail, ...")],
    data: DataDir = None,
) -> None:
    """Add a mail domain served with an edition's host names and replies."""
    with open_sandbox(data) as sandbox:
        added = sandbox.directory.add_domain(domain, edition)
        console.print(f"domain {added.name} ({added.edition})", highlight=False)


@domain_app.command("list")
def domain_list(data: DataDir = None) -> None:
    """List domains."""
    with open_sandbox(data) as sandbox:
        table = Table("domain", "edition")
        for domain in sandbox.directory.list_domains():
            table.add_row(domain.name, domain.edition)
        console.print(table)


@user_app.command("add")
def user_add(
    address: str,
    phone: Annotated[str, typer.Option(help="Bound phone number (receives SMS codes).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the main password from stdin.")
    ] = False,
    department: Annotated[str | None, typer.Option(help="Department name.")] = None,
    data: DataDir = None,
) -> None:
    """Add a user with a main (web) password and a bound phone; IMAP/SMTP starts switched off."""
    password = _read_secret_from_stdin() if password_stdin else typer.prompt("Main password", hide_input=True)
    with open_sandbox(data) as sandbox:
        user = sandbox.add_user(address, password, phone, department)
        console.print(f"user {user.address}", highlight=False)


@user_app.command("set")
def user_set(
    address: str,
    imap_smtp: Annotated[str, typer.Option("--imap-smtp", help="开启IMAP/SMTP服务: on | off")],
    data: DataDir = None,
) -> None:
    """Switch a user's IMAP/SMTP service on or off (the admin's 开启IMAP/SMTP服务)."""
    if imap_smtp not in ("on", "off"):
        err.print("[red]error:[/red] --imap-smtp must be on or off")
        raise typer.Exit(1)
    with open_sandbox(data) as sandbox:
        sandbox.directory.set_imap_smtp(address, imap_smtp == "on")
        console.print(f"{address} imap/smtp {imap_smtp}", highlight=False)


@user_app.command("list")
def user_list(domain: Annotated[str | None, typer.Argument()] = None, data: DataDir = None) -> None:
    """List users."""
    with open_sandbox(data) as sandbox:
        table = Table("address", "department", "phone", "imap/smtp")
        for user in sandbox.directory.list_users(domain):
            table.add_row(user.address, user.department or "", user.phone, "on" if user.imap_smtp_enabled else "off")
        console.print(table)


@policy_app.command("set")
def policy_set(
    domain: str,
    third_party: Annotated[str | None, typer.Option(help="允许使用第三方客户端: off | all | scoped")] = None,
    allow: Annotated[list[str] | None, typer.Option(help="dept:NAME or user:ADDR (repeatable)")] = None,
    exceptions: Annotated[list[str] | None, typer.Option("--except", help="dept:NAME or user:ADDR")] = None,
    company_ip: Annotated[list[str] | None, typer.Option(help="Company IP range (CIDR) exempt from the rule")] = None,
    force_security_password: Annotated[str | None, typer.Option(help="强制启用安全密码: off | all | scoped")] = None,
    force: Annotated[list[str] | None, typer.Option(help="Force scope: dept:NAME or user:ADDR")] = None,
    force_except: Annotated[list[str] | None, typer.Option(help="Force exceptions")] = None,
    data: DataDir = None,
) -> None:
    """Set the domain's account security policy; options left out stay as they are."""
    with open_sandbox(data) as sandbox:
        policy = sandbox.security.set_policy(
            domain,
            third_party=third_party,
            allow=allow,
            exceptions=exceptions,
            company_ip_ranges=company_ip,
            force_security_password=force_security_password,
            force_scope=force,
            force_exceptions=force_except,
        )
        console.print(policy)


@policy_app.command("show")
def policy_show(domain: str, data: DataDir = None) -> None:
    """Show the domain's account security policy."""
    with open_sandbox(data) as sandbox:
        console.print(sandbox.security.get_policy(domain))


@client_password_app.command("enable")
def client_password_enable(address: str, data: DataDir = None) -> None:
    """The user switches on 三方客户端安全密码."""
    with open_sandbox(data) as sandbox:
        sandbox.security.enable_client_passwords(address)
        console.print(f"client passwords enabled for {address}", highlight=False)


@client_password_app.command("request-code")
def client_password_request_code(address: str, data: DataDir = None) -> None:
    """生成新密码, step 1: send a 6-digit SMS code to the user's bound phone."""
    with open_sandbox(data) as sandbox:
        masked = sandbox.security.request_code(address)
        console.print(f"SMS code sent to {masked} (read it with: mailhub sandbox sms list {address})", highlight=False)


@client_password_app.command("create")
def client_password_create(
    address: str,
    code: Annotated[str, typer.Option(help="The SMS code.")],
    remark: Annotated[str, typer.Option(help="What the password is for, e.g. 来发信, PC Outlook.")],
    data: DataDir = None,
) -> None:
    """生成新密码, step 2: with the SMS code, create a password; it is printed once, alone on the last line."""
    with open_sandbox(data) as sandbox:
        info, password = sandbox.security.create_client_password(address, code, remark)
        console.print(f"client password #{info.id} ({info.remark}) — shown once, copy it now:", highlight=False)
        print(password)


@client_password_app.command("list")
def client_password_list(address: str, data: DataDir = None) -> None:
    """List the user's client passwords: remark, created, last used (time, protocol, client IP)."""
    with open_sandbox(data) as sandbox:
        table = Table("id", "remark", "created", "last used", "protocol", "client ip")
        for item in sandbox.security.list_client_passwords(address):
            table.add_row(
                str(item.id),
                item.remark,
                _when(item.created_at),
                _when(item.last_used_at),
                item.last_used_protocol or "—",
                item.last_used_ip or "—",
            )
        console.print(table)


@client_password_app.command("delete")
def client_password_delete(address: str, password_id: int, data: DataDir = None) -> None:
    """删除: revoke a client password; a running serve ends its live sessions at once."""
    with open_sandbox(data) as sandbox:
        sandbox.delete_client_password(address, password_id)
        console.print(f"client password #{password_id} deleted", highlight=False)


@sms_app.command("list")
def sms_list(address: Annotated[str | None, typer.Argument()] = None, data: DataDir = None) -> None:
    """Show the SMS messages the sandbox 'sent' (newest last)."""
    with open_sandbox(data) as sandbox:
        table = Table("time", "to", "phone", "text")
        for message in sandbox.security.sms_messages(address):
            table.add_row(_when(message.sent_at), message.address, message.phone, message.text)
        console.print(table)


@admin_app.command("set-password")
def admin_set_password(
    domain: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    data: DataDir = None,
) -> None:
    """Set postmaster@DOMAIN's password for the web console's admin pages (8 characters or more)."""
    from mailhub.sandbox.console.admins import ConsoleAdmins, admin_address

    password = _read_secret_from_stdin() if password_stdin else typer.prompt("Admin password", hide_input=True)
    with open_sandbox(data) as sandbox:
        known = [d.name for d in sandbox.directory.list_domains()]
        ConsoleAdmins(sandbox.db).set_password(domain, password, known_domains=known)
        console.print(f"console admin {admin_address(domain.strip().lower())} password set", highlight=False)
