"""Building messages (RFC 2047 Chinese headers, Message-ID, Bcc kept off the headers) and 群发单显 from a CSV."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

import pytest
from outbox_support import FOREIGN, OutboxHub

from mailhub.outbox import ComposeError, Draft, OutboxError, compose, enqueue_many, list_entries
from mailhub.outbox.batch import compose_batch, read_recipients


def test_chinese_subject_and_names_are_encoded_words_and_read_back() -> None:
    message = compose(Draft("张三 <zs@acme.cn>", to=["李四 <ls@buyer.cn>"], subject="报价单（第二版）", text="正文"))
    head = message.raw.split(b"\r\n\r\n")[0]
    assert head.isascii()  # RFC 2047 words, no raw 8-bit in headers
    assert b"=?utf-8?" in head
    parsed = email.message_from_bytes(message.raw, policy=default)
    assert parsed["Subject"] == "报价单（第二版）"
    assert parsed["To"].addresses[0].display_name == "李四"
    assert parsed["Message-ID"] == message.message_id and message.message_id.endswith("@acme.cn>")
    assert message.envelope_from == "zs@acme.cn" and message.recipients == ("ls@buyer.cn",)


def test_bcc_is_in_the_envelope_only_and_duplicates_collapse() -> None:
    message = compose(Draft("a@acme.cn", to=["b@x.cn"], cc=["B@x.cn", "c@x.cn"], bcc=["d@x.cn"], text="x"))
    assert message.recipients == ("b@x.cn", "B@x.cn", "c@x.cn", "d@x.cn")
    assert b"d@x.cn" not in message.raw


def test_a_message_needs_a_recipient_and_real_addresses() -> None:
    with pytest.raises(ComposeError) as error:
        compose(Draft("a@acme.cn", subject="x", text="y"))
    assert error.value.code == "no_recipient" and error.value.messages["zh"] == "邮件没有收件人。"
    with pytest.raises(ComposeError):
        compose(Draft("a@acme.cn", to=["not an address"], text="y"))


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "recipients.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    path = _csv(tmp_path, "邮箱,name,company\nwang@buyer.cn,王先生,华贸\n", "gbk")
    [row] = read_recipients(path)
    assert row.address == "wang@buyer.cn" and row.fields["name"] == "王先生" and row.fields["company"] == "华贸"


def test_a_template_field_missing_from_the_csv_is_refused_before_queueing(tmp_path: Path) -> None:
    rows = read_recipients(_csv(tmp_path, "email,name\na@x.cn,A\n"))
    with pytest.raises(OutboxError) as error:
        compose_batch("me@acme.cn", rows, "Hi {name}", "Dear {name} of {company}")
    assert error.value.code == "template_field_missing" and "company" in error.value.messages["en"]


async def test_batch_sends_one_message_per_recipient_each_seeing_only_themselves(
    hub: OutboxHub, tmp_path: Path
) -> None:
    account_id, sender = await hub.bind("sales")
    colleague = hub.local_user("zhao")
    path = _csv(tmp_path, f"email,name,company\n{colleague},赵经理,华贸\nlee@{FOREIGN},Mr Lee,Lee Trading\n")
    messages = compose_batch(sender, read_recipients(path), "{company} 报价 / quote", "{name}，您好：\n报价见附件。")
    enqueue_many(hub.store, account_id, messages, batch_id="spring")

    report = await hub.worker(account_id).run_once()

    assert report.sent == 2
    [inbox] = hub.mailbox(colleague, "INBOX")
    assert inbox["Subject"] == "华贸 报价 / quote" and str(inbox["To"]) == colleague
    assert inbox.get_body(("plain",)).get_content().startswith("赵经理，您好：")
    [foreign] = hub.running.sandbox.outbound.for_recipient(f"lee@{FOREIGN}")
    assert foreign.rcpt_tos == (f"lee@{FOREIGN}",) and foreign.subject == "Lee Trading 报价 / quote"
    entries = list_entries(hub.store, account_id=account_id)
    assert {e.batch_id for e in entries} == {"spring"} and len({e.message_id for e in entries}) == 2
